#!/usr/bin/env python3
"""The parts of scripts/bench-ingress.sh that wrk cannot do, against a stack of scripts/run.sh.

  create       POST N tickets through the ingress (keep-alive, several threads); prints their ids
  ids          every unreserved ticket's id, paging GET /api/tickets?before=; prints them
  known        waits until the orders service's replica of tickets holds every id of a file
  orders       how many orders the orders service holds
  broker       the floor of propagation: a nats-server of its own, publish to delivery at a rate
  cpu-snapshot, cpu-per-request
               every process's CPU time before and after a run, and what each command spent
               per request in between (microseconds)
  propagation  PUTs ticket updates at a given rate and measures, for each, the time from its 200
               to the orders replica holding the new version; prints one JSON object

The orders replica is read where the service keeps it (the --db argument is its DATABASE_URL):
SQLite read-only (`file:...?mode=ro`), PostgreSQL through one long-lived psql (there is no
PostgreSQL driver in Python's standard library). Standard library only.
"""
import argparse
import collections
import json
import os
import re
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

TICKET_ID = re.compile(r"^[0-9a-f]{24}$")
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; Python names it only sometimes
# A ticket as the storefront would show it: its GET answer is about 150 bytes.
TICKET = {"title": "Bench concert, front row: the ingress benchmark", "price": 20.5}


# --- HTTP ---------------------------------------------------------------------------------------
class Client:
    """One keep-alive HTTP/1.1 connection to the ingress; not thread-safe (one per thread).
    request() sends and waits; propagation's event loop uses send() and feed() instead. Answers
    are read with recvmsg and SO_TIMESTAMPNS, so each comes with the time the kernel received its
    first bytes, however late the reader got to it."""

    def __init__(self, base, cookie=None):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.headers = "Host: %s:%d\r\nContent-Type: application/json\r\n" % (self.host, self.port)
        if cookie:
            self.headers += "Cookie: %s\r\n" % cookie
        self.sock = None

    def connect(self):
        self.sock = socket.create_connection((self.host, self.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.buffer, self.arrived = b"", None

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def send(self, method, path, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        head = "%s %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n" % (
            method, path, self.headers, len(data))
        self.sock.sendall(head.encode() + data)

    def feed(self):
        """Reads what has come (blocks if nothing has); the answer once it is complete:
        (status, body bytes, time.time() its first bytes were received, keep-alive), else None."""
        data, ancillary, _, _ = self.sock.recvmsg(1 << 16, socket.CMSG_SPACE(16))
        if not data:
            raise ConnectionResetError("the ingress closed the connection")
        if self.arrived is None:
            self.arrived = time.time()
            for level, kind, value in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    seconds, nanoseconds = struct.unpack("qq", value[:16])
                    self.arrived = seconds + nanoseconds / 1e9
        self.buffer += data
        return self._parse()

    def _parse(self):
        buf = self.buffer
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = buf[:end].decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        pos = end + 4
        if fields.get("transfer-encoding") == "chunked":
            payload = b""
            while True:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    return None
                size = int(buf[pos:eol].split(b";")[0], 16)
                if len(buf) < eol + 2 + size + 2:  # the chunk and its CRLF (no trailers)
                    return None
                payload += buf[eol + 2:eol + 2 + size]
                pos = eol + 2 + size + 2
                if size == 0:
                    break
        else:
            length = int(fields.get("content-length", "0"))
            if len(buf) < pos + length:
                return None
            payload, pos = buf[pos:pos + length], pos + length
        self.buffer, arrived, self.arrived = buf[pos:], self.arrived, None
        return status, payload, arrived, fields.get("connection") != "close"

    def request(self, method, path, body=None):
        """(status, body bytes, time.time() its first bytes were received)."""
        for attempt in range(2):
            fresh = self.sock is None
            if fresh:
                self.connect()
            try:
                self.send(method, path, body)
                answer = None
                while answer is None:
                    answer = self.feed()
                status, payload, arrived, keep_alive = answer
                if not keep_alive:
                    self.close()
                return status, payload, arrived
            except (ConnectionResetError, BrokenPipeError):
                # The ingress closed an idle keep-alive connection: once more, on a new one.
                self.close()
                if fresh or attempt == 1:
                    raise
        raise AssertionError("unreachable")


def create(args):
    ids, failures, lock = [], [], threading.Lock()
    counter = iter(range(args.count))

    def work():
        client = Client(args.base, args.cookie)
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            status, body, _ = client.request("POST", "/api/tickets", TICKET)
            with lock:
                if status == 201:
                    ids.append(json.loads(body)["id"])
                else:
                    failures.append((status, body[:200]))

    threads = [threading.Thread(target=work) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit("POST /api/tickets failed %d times, e.g. %s" % (len(failures), failures[0]))
    print("\n".join(ids))


def list_ids(args):
    exclude = set(read_ids(args.exclude)) if args.exclude else set()
    client = Client(args.base)
    before, out = "", []
    while True:
        status, body, _ = client.request(
            "GET", "/api/tickets?limit=1000&before=%s" % before)
        if status != 200:
            sys.exit("GET /api/tickets: %d %s" % (status, body[:200]))
        page = json.loads(body)
        if not page:
            break
        out.extend(t["id"] for t in page if t["id"] not in exclude)
        before = page[-1]["id"]
    print("\n".join(out))


def read_ids(path):
    with open(path) as f:
        ids = [line.strip() for line in f if line.strip()]
    for i in ids:
        if not TICKET_ID.match(i):
            sys.exit("%s: not a ticket id: %r" % (path, i))
    return ids


# --- the orders replica -------------------------------------------------------------------------
class SqliteReader:
    def __init__(self, path):
        import sqlite3

        self.db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout = 5000")

    def versions(self, ids):
        marks = ",".join("?" * len(ids))
        return dict(self.db.execute(
            "SELECT id, version FROM tickets WHERE id IN (%s)" % marks, ids).fetchall())

    def scalar(self, sql):
        return self.db.execute(sql).fetchone()[0]


class PsqlReader:
    """One psql process, a query per line in and one line out (queries return one row)."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.psql = subprocess.Popen(
            ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", u.hostname,
             "-p", str(u.port or 5432), "-U", u.username or "postgres", "-d", u.path.lstrip("/")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def _line(self, sql):
        self.psql.stdin.write(sql + "\n")
        self.psql.stdin.flush()
        line = self.psql.stdout.readline()
        if not line:
            raise RuntimeError("psql ended")
        return line.rstrip("\n")

    def versions(self, ids):
        quoted = ",".join("'%s'" % i for i in ids)  # ids are checked hex (TICKET_ID)
        line = self._line("SELECT coalesce(string_agg(id || ':' || version, ','), '') "
                          "FROM tickets WHERE id IN (%s);" % quoted)
        pairs = (p.split(":") for p in line.split(",") if p)
        return {k: int(v) for k, v in pairs}

    def scalar(self, sql):
        return int(self._line(sql.rstrip(";") + ";"))


def open_reader(url):
    if url.startswith("sqlite://"):
        return SqliteReader(url[len("sqlite://"):])
    if url.startswith("postgresql://"):
        return PsqlReader(url)
    sys.exit("unsupported database URL: %s" % url)


def known(args):
    reader = open_reader(args.db)
    missing = read_ids(args.ids)
    total, deadline, report = len(missing), time.monotonic() + args.timeout, time.monotonic()
    while missing:
        still = []
        for n in range(0, len(missing), 500):
            chunk = missing[n:n + 500]
            have = reader.versions(chunk)
            still.extend(i for i in chunk if i not in have)
        missing = still
        if not missing:
            break
        now = time.monotonic()
        if now > deadline:
            sys.exit("orders knows %d of %d tickets after %ds" %
                     (total - len(missing), total, args.timeout))
        if now - report >= 5:
            print("  orders knows %d of %d tickets" % (total - len(missing), total),
                  file=sys.stderr)
            report = now
        time.sleep(0.2)


def orders(args):
    print(open_reader(args.db).scalar("SELECT COUNT(*) FROM orders"))


# --- propagation ---------------------------------------------------------------------------------
def percentile(values, p):
    """Nearest rank."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, int(-(-p * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


def propagation(args):
    """One thread, one event loop: it sends each update when it is due, on one of --connections
    connections, to a ticket that has no update in flight; each 200 (its version, and the time
    the kernel received it: Client) is awaited in the replica, all awaited tickets in one query a
    look. The delay counted is from the 200's receipt to the start of the first look that saw the
    version (the look's snapshot is taken then), 0 when a look before the receipt saw it: longer
    than the real one by at most one look (tens of microseconds, plus --poll-sleep) and by what
    the loop was busy with."""
    ids = read_ids(args.ids)
    total = int(args.rate * args.seconds)
    reader = open_reader(args.db)
    selector = selectors.DefaultSelector()
    idle = [Client(args.base, args.cookie) for _ in range(min(args.connections, len(ids)))]
    free = collections.deque(ids)  # tickets with no update in flight
    busy = {}  # client -> its ticket
    pending = {}  # ticket -> [(version, time its 200 was received)]
    statuses, delays, unseen = {}, [], 0
    start = time.monotonic() + 0.2
    sent, last_answer = 0, time.time()

    def look():
        nonlocal unseen
        tickets = list(pending)
        looked = time.time()
        have = reader.versions(tickets)
        for ticket in tickets:
            current, waiting = have.get(ticket, -1), []
            for version, arrived in pending[ticket]:
                if current >= version:
                    delays.append(max(0.0, looked - arrived))
                elif looked - arrived > args.settle:
                    unseen += 1
                else:
                    waiting.append((version, arrived))
            if waiting:
                pending[ticket] = waiting
            else:
                del pending[ticket]

    while sent < total or busy or pending:
        now = time.monotonic()
        while sent < total and start + sent / args.rate <= now and idle and free:
            client, ticket = idle.pop(), free.popleft()
            if client.sock is None:
                client.connect()
                selector.register(client.sock, selectors.EVENT_READ, client)
            client.send("PUT", "/api/tickets/%s" % ticket, dict(TICKET, price=10 + sent % 90))
            busy[client] = ticket
            sent += 1
        if pending:
            look()
        if sent < total:
            timeout = max(0.0, start + sent / args.rate - time.monotonic())
        else:
            timeout = 0.05
        ready = None
        if pending:
            # The selector rounds a timeout up to whole milliseconds (epoll's unit): a shorter
            # pause between looks is slept with nanosleep, after a look at the sockets that does
            # not block. An answer that comes during it keeps the time the kernel received it.
            timeout = min(timeout, args.poll_sleep)
            if timeout < 0.001:
                ready = selector.select(0)
                if not ready and timeout > 0:
                    time.sleep(timeout)
        if ready is None:
            ready = selector.select(timeout)
        for key, _ in ready:
            client = key.data
            answer = client.feed()
            if answer is None:
                continue
            status, body, arrived, keep_alive = answer
            ticket = busy.pop(client)
            free.append(ticket)
            idle.append(client)
            statuses[status] = statuses.get(status, 0) + 1
            last_answer = time.time()
            if status == 200:
                pending.setdefault(ticket, []).append((json.loads(body)["version"], arrived))
            if not keep_alive:
                selector.unregister(client.sock)
                client.close()
        if sent == total and not busy and time.time() - last_answer > args.settle + 1:
            break  # what is still pending never reached the replica
    elapsed = time.monotonic() - start
    ok = statuses.get(200, 0)
    unseen = ok - len(delays)
    # A version never seen counts as later than any seen; a percentile that falls on one is
    # given as null, with "unseen" saying how many there were.
    ms = [d * 1000 for d in delays] + [float("inf")] * unseen
    finite = lambda v: None if v is None or v == float("inf") else round(v, 3)
    print(json.dumps({
        "rate": args.rate, "sent": total, "ok": ok, "achieved_rate": round(ok / elapsed, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "samples": len(delays), "unseen": unseen, "settle_s": args.settle,
        "p50_ms": finite(percentile(ms, 50)), "p99_ms": finite(percentile(ms, 99)),
        "max_ms": finite(max(ms) if ms else None),
    }))


def host(args):
    """How busy the host is, as a figure beside the benchmark's: the median time of a round trip of
    one byte between two processes over two pipes (each round trip is two wake-ups, the cost that
    moves with a virtual machine's neighbours), in batches of --rounds."""
    child_reads, parent_writes = os.pipe()
    parent_reads, child_writes = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(parent_writes)
        os.close(parent_reads)
        while True:
            byte = os.read(child_reads, 1)
            if byte in (b"", b"q"):
                os._exit(0)
            os.write(child_writes, byte)
    os.close(child_reads)
    os.close(child_writes)
    batches = []
    try:
        for _ in range(args.batches):
            start = time.perf_counter()
            for _ in range(args.rounds):
                os.write(parent_writes, b"x")
                os.read(parent_reads, 1)
            batches.append((time.perf_counter() - start) / args.rounds * 1e6)
    finally:
        os.write(parent_writes, b"q")
        os.waitpid(pid, 0)
    batches.sort()
    print("%.1f" % batches[len(batches) // 2])


# --- the broker alone ---------------------------------------------------------------------------
class NatsClient:
    """Just enough of the NATS client protocol for broker(): one connection, no auth."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")
        self.file.readline()  # INFO
        self.send(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}'
                  b'\r\nPING\r\n')
        self.wait_pong()

    def send(self, data):
        self.sock.sendall(data)

    def wait_pong(self):
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError("nats-server closed the connection")
            if line.startswith(b"PONG"):
                return
            if line.startswith(b"-ERR"):
                raise RuntimeError(line.decode().strip())

    def next_message(self):
        """(subject, body) of the next MSG or HMSG; answers the server's PINGs."""
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError("nats-server closed the connection")
            parts = line.split()
            if parts and parts[0] == b"PING":
                self.send(b"PONG\r\n")
            elif parts and parts[0] in (b"MSG", b"HMSG"):
                size = int(parts[-1])
                data = self.file.read(size + 2)[:-2]
                if parts[0] == b"HMSG":  # headers first: their size is the last but one
                    data = data[int(parts[-2]):]
                return parts[1], data
            elif parts and parts[0] == b"-ERR":
                raise RuntimeError(line.decode().strip())

    def request(self, subject, body, timeout=20):
        """The JSON answer; asks again while JetStream is still starting (no responders: an
        empty answer with a 503 status header)."""
        deadline = time.monotonic() + timeout
        while True:
            self.send(b"SUB _bench.reply 9999\r\nUNSUB 9999 1\r\nPUB %s _bench.reply %d\r\n%s\r\n"
                      % (subject.encode(), len(body), body))
            answer = self.next_message()[1]
            if answer:
                return json.loads(answer)
            if time.monotonic() > deadline:
                raise RuntimeError("no answer from %s" % subject)
            time.sleep(0.05)


def broker(args):
    """The floor of the event path: a nats-server of its own (JetStream, file storage, as the
    stack's), one connection publishing to a stream at --rate, another receiving each message
    from a push consumer. Per message: publish to delivery, publish to the publisher's
    acknowledgement. The same machine, no service in the path."""
    store = tempfile.mkdtemp(prefix="bench-broker.")
    server = subprocess.Popen(
        [args.nats_server, "-js", "-a", "127.0.0.1", "-p", "-1", "-sd", store,
         "--ports_file_dir", store], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port, deadline = None, time.monotonic() + 20
        while port is None:
            ports = [f for f in os.listdir(store) if f.endswith(".ports")]
            if ports:
                with open(os.path.join(store, ports[0])) as f:
                    port = int(json.load(f)["nats"][0].rsplit(":", 1)[1])
            elif server.poll() is not None or time.monotonic() > deadline:
                sys.exit("nats-server did not start")
            else:
                time.sleep(0.05)
        publisher, receiver = NatsClient(port), NatsClient(port)
        created = publisher.request("$JS.API.STREAM.CREATE.BENCH", json.dumps(
            {"name": "BENCH", "subjects": ["bench.>"], "storage": "file"}).encode())
        if "error" in created:
            sys.exit("stream: %s" % created["error"])
        created = publisher.request("$JS.API.CONSUMER.DURABLE.CREATE.BENCH.push", json.dumps(
            {"stream_name": "BENCH", "config": {"durable_name": "push", "deliver_subject":
             "deliver.bench", "ack_policy": "none", "filter_subject": "bench.event"}}).encode())
        if "error" in created:
            sys.exit("consumer: %s" % created["error"])
        receiver.send(b"SUB deliver.bench 1\r\nPING\r\n")
        receiver.wait_pong()
        publisher.send(b"SUB _bench.ack.> 2\r\nPING\r\n")
        publisher.wait_pong()
        total = int(args.rate * args.seconds)
        delivered, acked = [], []
        start = time.monotonic()
        for i in range(total):
            pause = start + i / args.rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            sent = time.perf_counter()
            publisher.send(b"PUB bench.event _bench.ack.%d 8\r\n%08d\r\n" % (i, i))
            receiver.next_message()
            delivered.append((time.perf_counter() - sent) * 1000)
            publisher.next_message()
            acked.append((time.perf_counter() - sent) * 1000)
        print(json.dumps({
            "rate": args.rate, "samples": total,
            "p50_ms": round(percentile(delivered, 50), 3),
            "p99_ms": round(percentile(delivered, 99), 3),
            "ack_p50_ms": round(percentile(acked, 50), 3),
            "ack_p99_ms": round(percentile(acked, 99), 3)}))
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(store, ignore_errors=True)


# --- CPU time by process ------------------------------------------------------------------------
def process_name(pid, comm):
    """The command's name: comm (nginx, postgres, nats-server), but the executable's own name for
    ours, whose comm the kernel cuts at 15 characters (ticketing-tickets)."""
    if comm.startswith("ticketing-"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                comm = os.path.basename(f.read().split(b"\0", 1)[0].decode() or comm)
        except OSError:
            pass
    return comm


def cpu_snapshot(args):
    """Every process's CPU time so far (user and system, all its threads, in clock ticks) and the
    machine's busy and idle ticks, as JSON: the before or after of a run."""
    procs = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                head, tail = f.read().rsplit(")", 1)  # "pid (comm" and the fields after it
            fields = tail.split()
            # utime, stime; starttime tells a pid used again from the same process
            procs[pid] = [process_name(pid, head.split("(", 1)[1]),
                          int(fields[11]) + int(fields[12]), int(fields[19])]
        except (OSError, IndexError, ValueError):
            continue  # it ended meanwhile
    with open("/proc/stat") as f:
        cpu = [int(v) for v in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (the hypervisor's, not this machine's work)
    machine = {"busy": cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6], "idle": cpu[3] + cpu[4],
               "steal": cpu[7]}
    with open(args.out, "w") as f:
        json.dump({"procs": procs, "machine": machine}, f)


def cpu_per_request(args):
    """What each command spent between two snapshots, in microseconds of CPU per request, the
    largest first; processes that started in between count from zero."""
    with open(args.before) as f:
        before = json.load(f)
    with open(args.after) as f:
        after = json.load(f)
    if args.requests <= 0:
        sys.exit("no requests to divide by")
    tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
    by_name = collections.Counter()
    for pid, (name, ticks, started) in after["procs"].items():
        was = before["procs"].get(pid)
        by_name[name] += ticks - (was[1] if was and was[2] == started else 0)
    per = lambda ticks: ticks * tick_us / args.requests
    shown = ["%s %.0f" % (name, per(t)) for name, t in by_name.most_common(args.top) if per(t) >= 1]
    machine = {k: after["machine"][k] - before["machine"][k] for k in ("busy", "idle", "steal")}
    # /proc/stat's first line adds up every CPU of the machine
    print("%s; machine busy %.0f, idle %.0f, stolen %.0f" % (
        ", ".join(shown) or "-", per(machine["busy"]), per(machine["idle"]),
        per(machine["steal"])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("create")
    p.add_argument("--base", required=True)
    p.add_argument("--cookie", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--threads", type=int, default=8)
    p.set_defaults(run=create)
    p = sub.add_parser("ids")
    p.add_argument("--base", required=True)
    p.add_argument("--exclude", help="a file of ids to leave out")
    p.set_defaults(run=list_ids)
    p = sub.add_parser("known")
    p.add_argument("--db", required=True, help="the orders service's DATABASE_URL")
    p.add_argument("--ids", required=True)
    p.add_argument("--timeout", type=int, default=600)
    p.set_defaults(run=known)
    p = sub.add_parser("orders")
    p.add_argument("--db", required=True)
    p.set_defaults(run=orders)
    p = sub.add_parser("propagation")
    p.add_argument("--base", required=True)
    p.add_argument("--cookie", required=True, help="the seller's session cookie")
    p.add_argument("--db", required=True)
    p.add_argument("--ids", required=True, help="the seller's tickets to edit")
    p.add_argument("--rate", type=float, required=True, help="updates per second")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--poll-sleep", type=float, default=0.0,
                   help="seconds between two looks at the replica while a version is awaited")
    p.add_argument("--settle", type=float, default=10,
                   help="how long a version is awaited after its 200 before it counts as unseen")
    p.set_defaults(run=propagation)
    p = sub.add_parser("broker")
    p.add_argument("--rate", type=float, required=True, help="messages per second")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--nats-server", default="nats-server")
    p.set_defaults(run=broker)
    p = sub.add_parser("cpu-snapshot")
    p.add_argument("--out", required=True)
    p.set_defaults(run=cpu_snapshot)
    p = sub.add_parser("cpu-per-request")
    p.add_argument("--before", required=True)
    p.add_argument("--after", required=True)
    p.add_argument("--requests", type=int, required=True)
    p.add_argument("--top", type=int, default=8)
    p.set_defaults(run=cpu_per_request)
    p = sub.add_parser("host")
    p.add_argument("--rounds", type=int, default=2000)
    p.add_argument("--batches", type=int, default=5)
    p.set_defaults(run=host)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
