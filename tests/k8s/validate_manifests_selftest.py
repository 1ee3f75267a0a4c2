#!/usr/bin/env python3
"""Checks that validate_manifests.py's hardening checks really look: each case undoes one item of
the Kubernetes hardening (DESIGN.md section 13) in a copy of the manifests and expects the
validator to fail in the named check of that item (other checks may fail too: a variable no code
reads, say), while the unmodified copy passes.

Usage: validate_manifests_selftest.py <project root>

Run by ctest as K8sManifests.ValidatorSelfTest (label unit). The copy holds what the validator
reads (infra/k8s, infra/docker, the services' and common's sources, CMakeLists.txt,
scripts/images.sh, .dockerignore) in a temporary directory; the manifests are edited as YAML, so
comments do not matter. Prints one line per case and exits 1 if any case is not caught.
"""

import contextlib
import io
import pathlib
import shutil
import sys
import tempfile

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import validate_manifests as vm  # noqa: E402

COPIED = ("infra/k8s", "infra/docker", "infra/web", "common/src", "common/include", "auth/src",
          "tickets/src", "orders/src", "expiration/src", "payments/src", "CMakeLists.txt",
          "scripts/images.sh", ".dockerignore")


def copy_tree(root, dest):
    for rel in COPIED:
        src = root / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel)
        elif src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def edit(root, file_name, change):
    """Applies change(docs) to the documents of infra/k8s/<file_name>; it must change something."""
    path = root / "infra" / "k8s" / file_name
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    before = yaml.safe_dump_all(docs)
    change(docs)
    after = yaml.safe_dump_all(docs)
    if before == after:
        raise AssertionError(f"the case changed nothing in {file_name}: update the self-test")
    path.write_text(after)


def doc(docs, kind, name):
    for d in docs:
        if d.get("kind") == kind and (d.get("metadata") or {}).get("name") == name:
            return d
    raise AssertionError(f"{kind}/{name} not found: update the self-test")


def container(docs, kind, name):
    return doc(docs, kind, name)["spec"]["template"]["spec"]["containers"][0]


def env_list(docs, kind, name):
    return container(docs, kind, name)["env"]


def set_env(docs, kind, name, var, entry):
    env = env_list(docs, kind, name)
    for i, e in enumerate(env):
        if e["name"] == var:
            env[i] = dict(entry, name=var)
            return
    env.append(dict(entry, name=var))


def drop(docs, kind, name):
    docs.remove(doc(docs, kind, name))


def nats_conf(docs, change):
    cm = doc(docs, "ConfigMap", "nats-config")
    cm["data"]["nats.conf"] = change(cm["data"]["nats.conf"])


def replace_once(text, old, new):
    if old not in text:
        raise AssertionError(f"{old!r} not found: update the self-test")
    return text.replace(old, new, 1)


# (check that must fail, what is undone, file, change)
CASES = [
    ("network-policies", "no default deny", "network-policies.yaml",
     lambda d: drop(d, "NetworkPolicy", "default-deny")),
    ("network-policies", "payments may reach the cloud metadata service", "network-policies.yaml",
     lambda d: doc(d, "NetworkPolicy", "payments-to-stripe")["spec"]["egress"][0]["to"][0]
     ["ipBlock"]["except"].remove("169.254.0.0/16")),
    ("network-policies", "tickets may reach orders' PostgreSQL", "network-policies.yaml",
     lambda d: (doc(d, "NetworkPolicy", "orders-postgres")["spec"]["ingress"][0].pop("from"),
                doc(d, "NetworkPolicy", "tickets-to-postgres")["spec"]["egress"][0].pop("to"))),
    ("network-policies", "no egress to NATS", "network-policies.yaml",
     lambda d: drop(d, "NetworkPolicy", "services-to-nats")),
    ("service-account-tokens", "auth mounts a token", "auth.yaml",
     lambda d: doc(d, "Deployment", "auth")["spec"]["template"]["spec"].pop(
         "automountServiceAccountToken")),
    ("service-account-tokens", "NATS mounts a token", "nats.yaml",
     lambda d: doc(d, "StatefulSet", "nats")["spec"]["template"]["spec"].update(
         automountServiceAccountToken=True)),
    ("disruption-budgets", "orders has no budget", "orders.yaml",
     lambda d: drop(d, "PodDisruptionBudget", "orders")),
    ("disruption-budgets", "NATS may lose two members", "nats.yaml",
     lambda d: doc(d, "PodDisruptionBudget", "nats")["spec"].update(maxUnavailable=2)),
    ("pinned-images", "NATS on a moving tag", "nats.yaml",
     lambda d: container(d, "StatefulSet", "nats").update(image="nats:2.9-alpine")),
    ("pinned-images", "Redis on latest", "redis.yaml",
     lambda d: container(d, "StatefulSet", "redis").update(image="redis:latest")),
    ("ingress-hardening", "no TLS on the private routes", "ingress.yaml",
     lambda d: doc(d, "Ingress", "ticketing-private")["spec"].pop("tls")),
    ("ingress-hardening", "no host", "ingress.yaml",
     lambda d: doc(d, "Ingress", "ticketing-tickets")["spec"]["rules"][0].pop("host")),
    ("ingress-hardening", "sign-in limited like the rest", "ingress.yaml",
     lambda d: doc(d, "Ingress", "ticketing-sign-in")["metadata"]["annotations"].update(
         {"nginx.ingress.kubernetes.io/limit-rps": "20"})),
    ("ingress-hardening", "no no-store on the private routes", "ingress.yaml",
     lambda d: doc(d, "Ingress", "ticketing-private")["metadata"]["annotations"].update(
         {"nginx.ingress.kubernetes.io/configuration-snippet": replace_once(
             doc(d, "Ingress", "ticketing-private")["metadata"]["annotations"]
             ["nginx.ingress.kubernetes.io/configuration-snippet"],
             'more_set_headers "Cache-Control: no-store";', "")})),
    ("ingress-hardening", "a failed answer moves the request", "ingress.yaml",
     lambda d: doc(d, "Ingress", "ticketing-tickets")["metadata"]["annotations"].update(
         {"nginx.ingress.kubernetes.io/proxy-next-upstream": "error timeout http_502"})),
    ("nats-monitoring-port", "8222 on the client Service", "nats.yaml",
     lambda d: doc(d, "Service", "nats")["spec"]["ports"].append(
         {"name": "monitor", "port": 8222, "targetPort": "monitor"})),
    ("identities", "orders may publish ticket:created", "nats.yaml",
     lambda d: nats_conf(d, lambda c: replace_once(
         c, '["order:created",', '["order:created", "ticket:created",'))),
    ("identities", "NATS without users", "nats.yaml",
     lambda d: nats_conf(d, lambda c: c[:c.index("\nauthorization {")]
                         if "\nauthorization {" in c else c)),
    ("identities", "the shared JWT_KEY is back", "tickets.yaml",
     lambda d: set_env(d, "Deployment", "tickets", "JWT_KEY",
                       {"valueFrom": {"secretKeyRef": {"name": "ticketing-secrets",
                                                       "key": "jwt-key"}}})),
    ("identities", "expiration's Redis URL without a password", "expiration.yaml",
     lambda d: set_env(d, "Deployment", "expiration", "REDIS_URL",
                       {"value": "redis://redis:6379/0"})),
    ("identities", "a literal NATS password", "payments.yaml",
     lambda d: set_env(d, "Deployment", "payments", "NATS_PASSWORD", {"value": "hunter2"})),
    ("identities", "Redis without protected mode", "redis.yaml",
     lambda d: doc(d, "ConfigMap", "redis-config")["data"].update(
         {"redis.conf": replace_once(doc(d, "ConfigMap", "redis-config")["data"]["redis.conf"],
                                     "protected-mode yes", "protected-mode no")})),
    ("identities", "orders holds the signing key", "orders.yaml",
     lambda d: set_env(d, "Deployment", "orders", "JWT_PRIVATE_KEY_FILE",
                       {"value": "/etc/ticketing/jwt-signing/signing.pem"})),
    ("identities", "the sandbox gateway", "payments.yaml",
     lambda d: set_env(d, "Deployment", "payments", "PAYMENT_GATEWAY", {"value": "sandbox"})),
    ("security-context", "PostgreSQL with a writable root", "postgres-auth.yaml",
     lambda d: container(d, "StatefulSet", "auth-postgres")["securityContext"].pop(
         "readOnlyRootFilesystem")),
]


def run_validator(root):
    """(failed check names, output) of validate_manifests.main on a copy."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        vm.main(["validate_manifests.py", str(root)])
    failed = {name for name, (_, n) in vm_report_counts(out.getvalue()).items() if n}
    return failed, out.getvalue()


def vm_report_counts(text):
    """{check: (checks, failed)} from the validator's "check <name>: p/n passed" lines."""
    counts = {}
    for line in text.splitlines():
        if line.startswith("check "):
            name, _, rest = line[len("check "):].partition(": ")
            passed, _, total = rest.split()[0].partition("/")
            counts[name] = (int(total), int(total) - int(passed))
    return counts


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} <project root>", file=sys.stderr)
        return 2
    root = pathlib.Path(argv[1]).resolve()
    problems = 0
    with tempfile.TemporaryDirectory() as tmp:
        pristine = pathlib.Path(tmp) / "pristine"
        copy_tree(root, pristine)
        failed, output = run_validator(pristine)
        if failed:
            print(f"FAIL the unmodified manifests already fail {sorted(failed)}:\n{output}")
            return 1
        for i, (check, what, file_name, change) in enumerate(CASES):
            case_root = pathlib.Path(tmp) / f"case{i}"
            shutil.copytree(pristine, case_root)
            try:
                edit(case_root, file_name, change)
            except (AssertionError, KeyError, ValueError, IndexError) as e:
                print(f"FAIL {check}: {what}: cannot make the case ({e})")
                problems += 1
                continue
            failed, output = run_validator(case_root)
            if check in failed:
                also = sorted(failed - {check})
                print(f"ok   {check}: {what}" + (f" (also {', '.join(also)})" if also else ""))
                shutil.rmtree(case_root)
                continue
            problems += 1
            print(f"FAIL {check}: {what}: the validator failed {sorted(failed) or 'nothing'}")
            print("\n".join("     " + line for line in output.splitlines()
                            if line.startswith("FAIL")))
            shutil.rmtree(case_root)
    print(f"validator self-test: {len(CASES)} cases, {problems} not caught as expected")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
