"""The stack the security probes attack, and what the probes need to know about it.

LocalStack starts one with the project's own run command (scripts/run.sh start --detach) from a
build's binaries, on a block of free loopback ports in a temporary data directory, as
tests/e2e/stack.cpp and api/contract/stack.mjs do, and stops it (stop() is idempotent). A stack
already running (scripts/run.sh start with TICKETING_DATA_DIR) can be used instead: attach().

Everything else is read back from the data directory as scripts/run.sh writes it: the ports
(run/stack.env), the rendered nginx.conf and supervisord.conf, the session keys, the NATS and
Redis credentials, the logs. Nothing here is a secret of its own: the probes only use what an
operator of the machine can read.
"""

import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# scripts/run.sh derives every port from TICKETING_PORT_BASE: base..base+12 for the ingress, the
# servers and Prometheus, base+20.. for the services (10 per service).
PORT_SPAN = 70
SERVICES = ["auth", "tickets", "orders", "expiration", "payments"]


def _port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_port_block():
    """A block at a multiple of 100 from 10000 to 31900, as tests/e2e/stack.cpp picks: below the
    kernel's ephemeral ports (32768..), so no client socket of another test takes one of them."""
    for _ in range(200):
        base = random.randint(100, 319) * 100
        if all(_port_free(p) for p in range(base, base + PORT_SPAN)):
            return base
    raise RuntimeError("no block of free ports")


def _read(path):
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


class LocalStack:
    def __init__(self, data_dir, owned, bin_dir=None, base=None):
        self.dir = Path(data_dir)
        self.owned = owned  # started (and to be stopped and removed) by this process
        self.bin = bin_dir
        self.base = base
        self.stopped = False
        self.env = {}
        self._runs = 0

    # --- lifecycle -----------------------------------------------------------------------------

    @classmethod
    def start(cls, bin_dir, extra_env=None):
        data = tempfile.mkdtemp(prefix="ticketing-security-")
        # mkdtemp makes it 0700; a stack on PostgreSQL runs initdb as the postgres user.
        os.chmod(data, 0o755)
        stack = cls(data, owned=True, bin_dir=str(bin_dir), base=free_port_block())
        stack.env = dict(extra_env or {})
        code, output = stack.run(["start", "--detach"])
        if code != 0:
            stack.stop()
            raise RuntimeError(f"scripts/run.sh start failed ({code}):\n{output}")
        stack._load()
        return stack

    @classmethod
    def attach(cls, data_dir):
        stack = cls(Path(data_dir).resolve(), owned=False)
        stack._load()
        return stack

    def run(self, args, timeout=300):
        self._runs += 1
        log = self.dir / f"run-{self._runs}.log"
        env = dict(os.environ)
        env.update({
            "TICKETING_DATA_DIR": str(self.dir),
            "TICKETING_PORT_BASE": str(self.base),
            "TICKETING_SKIP_BUILD": "1",
            "TICKETING_BIN": str(self.bin),
            # The ingress's own limit, not a load test's (the rate-limit probes measure it).
            "TICKETING_AUTH_RATE": "10",
            "LOG_LEVEL": "info",
        })
        env.update(self.env)
        with open(log, "w") as out:
            try:
                code = subprocess.run(["bash", str(ROOT / "scripts/run.sh"), *args], env=env,
                                      stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                      timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                code = -1
        return code, _read(log)

    def stop(self):
        """Stops everything and removes the data directory (kept with TICKETING_KEEP_TEMP=1)."""
        if self.stopped or not self.owned:
            return
        self.stopped = True
        code, output = self.run(["stop"], timeout=120)
        if code != 0:
            print(f"scripts/run.sh stop failed ({code}):\n{output}", flush=True)
        if os.environ.get("TICKETING_KEEP_TEMP") == "1":
            print(f"kept the stack's data and logs in {self.dir}", flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def supervisorctl(self, *args):
        result = subprocess.run(["supervisorctl", "-c", str(self.run_dir / "supervisord.conf"),
                                 *args], capture_output=True, text=True, timeout=60)
        return result.returncode, result.stdout + result.stderr

    # --- what run.sh wrote ---------------------------------------------------------------------

    def _load(self):
        values = {}
        for line in _read(self.run_dir / "stack.env").splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip()
        if "INGRESS_PORT" not in values:
            raise RuntimeError(f"no stack.env under {self.run_dir}: nothing was started there")
        self.values = values
        self.base = int(values["INGRESS_PORT"])
        if self.bin is None:
            self.bin = values.get("BIN")

    @property
    def run_dir(self):
        return self.dir / "run"

    @property
    def logs_dir(self):
        return self.dir / "logs"

    def port(self, name):
        return int(self.values[name])

    @property
    def ingress_port(self):
        return self.port("INGRESS_PORT")

    def service_port(self, service, replica=0):
        # As scripts/run.sh recorded it (its service_port is the one place that computes it).
        return self.port(f"SERVICE_PORT_{service}_{replica}")

    @property
    def replicas(self):
        return int(self.values.get("REPLICAS", "1"))

    def stack_ports(self):
        """Every port the stack listens on, by name."""
        ports = {"ingress": self.ingress_port}
        nodes = int(self.values.get("NATS_NODES", "1"))
        for n in range(nodes):
            ports[f"nats-{n}"] = self.port("NATS_PORT") + n
            ports[f"nats-{n} monitoring"] = self.port("NATS_MONITOR_PORT") + n
        ports["redis"] = self.port("REDIS_PORT")
        if self.values.get("USE_POSTGRES") == "1":
            ports["postgres"] = self.port("PG_PORT")
        for svc in SERVICES:
            for i in range(self.replicas):
                ports[f"{svc}-{i}"] = self.service_port(svc, i)
        return ports

    def nginx_conf(self):
        return _read(self.run_dir / "nginx.conf")

    def supervisord_programs(self):
        """{program name: its `environment=` line} of the rendered supervisord.conf."""
        programs, name = {}, None
        for line in _read(self.run_dir / "supervisord.conf").splitlines():
            m = re.match(r"\[program:(.+)\]", line)
            if m:
                name = m.group(1)
                programs[name] = ""
            elif name and line.startswith("environment="):
                programs[name] = line[len("environment="):]
        return programs

    def config_files(self):
        """The files run.sh generated (run/ and any keys or secrets directory beside it), not
        the stores' own data (databases, the NATS store, Redis's files, the logs)."""
        skip = {"logs", "redis", "pg", "pg-socket", "volumes", "prometheus"}
        found = []
        for top in sorted(self.dir.iterdir()):
            if (top.name in skip or top.name.startswith("nats-") or ".db" in top.name
                    or top.suffix == ".log"):
                continue
            if top.is_file():
                found.append(top)
            elif top.is_dir():
                found.extend(p for p in sorted(top.rglob("*")) if p.is_file()
                             and not p.name.startswith("nginx-") and p.suffix not in (".sock",))
        return [p for p in found if p.stat().st_size < 1_000_000]

    def session_keys(self):
        """(private key PEM file, {kid: public key PEM file}) as run.sh made them; either may be
        missing. Found by the variables auth and the others get, else by the PEMs' contents."""
        private, public = None, {}
        for env in self.supervisord_programs().values():
            m = re.search(r'JWT_PRIVATE_KEY_FILE="([^"%]+)"', env)
            if m and Path(m.group(1)).is_file():
                private = Path(m.group(1))
            m = re.search(r'JWT_PUBLIC_KEYS_DIR="([^"%]+)"', env)
            if m and Path(m.group(1)).is_dir():
                for pem in Path(m.group(1)).glob("*.pem"):
                    public[pem.stem] = pem
        for path in self.config_files():
            if path.suffix != ".pem":
                continue
            text = _read(path)
            if "PRIVATE KEY" in text and private is None:
                private = path
            elif "PUBLIC KEY" in text and path.stem not in public:
                public[path.stem] = path
        return private, public

    def nats_users(self):
        """{user: password} of the NATS users run.sh made, wherever it keeps them: the
        nats-server configuration ({user: ..., password: ...}), one file per user under a path
        naming nats (nats/tickets.password), or the services' NATS_USER/NATS_PASSWORD or NATS_URL
        (nats://user:password@...) in supervisord.conf when given there literally."""
        users = {}
        pair = re.compile(r'user\s*[:=]\s*"?([A-Za-z0-9_.-]+)"?\s*[,\s]\s*'
                          r'(?:password|pass)\s*[:=]\s*"?([^"\s,}$]+)"?')
        for path in self.config_files():
            where = str(path.relative_to(self.dir)).lower()
            if "nats" not in where:
                continue
            text = _read(path)
            users.update(pair.findall(text))
            names = [n for n in SERVICES + ["ops"] if n in path.stem.lower()]
            if names and "\n" not in text.strip() and text.strip():
                users.setdefault(names[0], text.strip())
        for env in self.supervisord_programs().values():
            user = re.search(r'NATS_USER="([^"%]+)"', env)
            password = re.search(r'NATS_PASSWORD="([^"%]+)"', env)
            if user and password:
                users.setdefault(user.group(1), password.group(1))
            for name, secret in re.findall(r"nats://([^:/@\s\"]+):([^@\s\"]+)@", env):
                users.setdefault(name, secret)
        return users

    def redis_passwords(self):
        """Passwords of the Redis configuration or ACL file run.sh wrote (requirepass, or an ACL
        user's >password), of a file under a path naming redis, and of a literal REDIS_URL."""
        found = set()
        for path in self.config_files():
            if "redis" not in str(path.relative_to(self.dir)).lower():
                continue
            text = _read(path)
            found.update(re.findall(r"^\s*requirepass\s+\"?([^\"\s]+)", text, re.M))
            found.update(re.findall(r"^\s*user\s+\S+\s+.*?>(\S+)", text, re.M))
            if "\n" not in text.strip() and re.search(r"(secret|password|pass)", path.name, re.I):
                found.add(text.strip())
        for env in self.supervisord_programs().values():
            found.update(re.findall(r"redis://(?:[^:/@\s\"]*):([^@\s\"]+)@", env))
        return found

    def secret_values(self):
        """Every secret value the generated configuration holds (to look for in the logs): NATS
        and Redis passwords, and the contents of files named as secrets or keys."""
        values = set(self.nats_users().values()) | self.redis_passwords()
        for path in self.config_files():
            text = _read(path).strip()
            if path.suffix == ".pem" and "PRIVATE KEY" in text:
                # A private key's base64 lines (a log line holding it would hold some of them).
                values.update(line for line in text.splitlines()
                              if len(line) >= 32 and not line.startswith("-----"))
            elif re.search(r"(secret|password|key)", path.name, re.I) and "\n" not in text:
                values.add(text)
        return {v for v in values if len(v) >= 8}
