#!/usr/bin/env python3
"""Checks the Kubernetes manifests (infra/k8s) and the Dockerfiles (infra/docker) offline.

Usage: validate_manifests.py <project root> [--images]

With --images it also inspects the images scripts/images.sh built (podman image inspect) and checks
that the manifests agree with them: the image's user is the pods' runAsUser and runAsGroup, its
exposed port is the containerPort, its entrypoint is the service's executable, and the HTTP_PORT
it defaults to is the one the Deployment sets. The container test (tests/container) runs it so.

Run by ctest as K8sManifests.Validate (label unit: no cluster, no Docker, no servers). It checks
the manifests against each other (selectors, Services, Ingress backends, Secrets), against what
DESIGN.md sections 9 and 10 ask of them (probes, resources, non-root, NATS cluster, Redis AOF,
PostgreSQL per service), and against the C++ sources: the environment variables each service's
Deployment sets are compared with the variables its configuration code reads (EnvReader calls
such as env.Required("JWT_KEY")), so that a variable renamed in the code, or a required one added,
fails here rather than in a CrashLoopBackOff. The web image (the storefront and the API's page,
DESIGN.md section 14) is checked too: its Deployment, Service, Ingress routes (/ and /api/docs),
its Dockerfile stage and its nginx configuration.

It also checks the security hardening of DESIGN.md section 13 (issue 16), one named check per
item, so that a failure says which: network-policies (default deny in and out, and exactly the
allows the system needs, evaluated as a network plugin would), service-account-tokens,
disruption-budgets, pinned-images, ingress-hardening (TLS, host, limits, headers),
nats-monitoring-port, identities (NATS users and permissions, Redis ACL user, PostgreSQL and
Stripe secrets, ES256 session keys, no literal password) and security-context.

Prints one line per failed check, "FAIL [<check>] <file or resource>: <what is wrong>", then one
line per named check with its count, and exits 1 when any check failed (2 for a usage error), 0
otherwise. Needs PyYAML (Debian package python3-yaml).
"""

import ast
import ipaddress
import json
import operator
import os
import pathlib
import re
import subprocess
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - environment problem, reported readably
    print("FAIL environment: PyYAML is missing (install the Debian package python3-yaml)")
    sys.exit(1)

NAMESPACE = "ticketing"
# The five services (DESIGN.md section 1) and which of them are behind the Ingress.
SERVICES = ("auth", "tickets", "orders", "expiration", "payments")
HTTP_SERVICES = ("auth", "tickets", "orders", "payments")
# Services with a SQL database of their own: each gets a PostgreSQL StatefulSet <svc>-postgres.
DATABASE_SERVICES = ("auth", "tickets", "orders", "payments")
INGRESS_ROUTES = {
    "/api/users": "auth",
    # sign-in and sign-up on an Ingress of their own, for their stricter rate limit
    "/api/users/signin": "auth",
    "/api/users/signup": "auth",
    "/api/tickets": "tickets",
    "/api/orders": "orders",
    "/api/payments": "payments",
    # the storefront and the API's page: static files served by the web image
    "/api/docs": "web",
    "/": "web",
}
SERVICE_PORT = 3000
# The web image: nginx serving web/dist and api/dist (infra/docker/Dockerfile, target web).
WEB = "web"
WEB_PORT = 8080
WEB_ENTRYPOINT = ["/usr/sbin/nginx", "-c", "/etc/ticketing/nginx.conf"]
# Secrets the services take their values from (DESIGN.md section 9).
SECRET_REFS = {
    "STRIPE_KEY": ("ticketing-secrets", "stripe-key"),
    "STRIPE_PUBLISHABLE_KEY": ("ticketing-secrets", "stripe-publishable-key"),
    "JWT_KEY_ID": ("jwt-signing-key", "kid"),
    "REDIS_PASSWORD": ("redis-users", "expiration"),
}
# Variables a Deployment may set although no service code reads them, with the reason. Add one
# here only with a comment saying who reads it.
DOCUMENTED_EXTRA_VARS = {
    # Kubernetes reads it: REDIS_URL is built from it by dependent variable expansion.
    "REDIS_PASSWORD": "expanded into REDIS_URL as $(REDIS_PASSWORD)",
}
# The variable that sets the replicas of the streams a service provisions (common/src/config).
STREAM_REPLICAS_VAR = "NATS_STREAM_REPLICAS"
# What every value in secrets.example.yaml must contain: it is an example, never a real secret.
PLACEHOLDER = "REPLACE_ME"

WORKLOAD_KINDS = ("Deployment", "StatefulSet")

# Third-party images and the tags they may have: a release of the line Debian 12 ships (what the
# tests run against), never a moving tag such as latest, 2.9 or 15 (DESIGN.md section 13).
THIRD_PARTY_IMAGES = {
    "nats": r"2\.9\.\d+(-alpine)?",
    "redis": r"7\.0\.\d+(-alpine|-bookworm)?",
    "postgres": r"15\.\d+(-alpine|-bookworm)?",
}
# What each service's NATS user may publish besides its own subjects: the JetStream API (stream
# and consumer management, pull requests), acknowledgements, inboxes (replies) and, for events
# it gives up on, the dead-letter subjects (their form is checked against the code).
NATS_COMMON_PUBLISH = ("$JS.API.>", "$JS.ACK.>", "$JS.FC.>", "_INBOX.>")
# The subjects each service owns (DESIGN.md section 5; session:revoked section 13).
NATS_OWNED_SUBJECTS = {
    "auth": ("session:revoked",),
    "tickets": ("ticket:created", "ticket:updated"),
    "orders": ("order:created", "order:cancelled", "order:completed"),
    "expiration": ("expiration:complete",),
    "payments": ("payment:created",),
}
NATS_OPS_USER = "ops"
# The Ingress's placeholders (README.md, "TLS").
INGRESS_HOST = "ticketing.example.com"
INGRESS_TLS_SECRET = "ticketing-tls"
# Routes whose answers are a user's own: Cache-Control: no-store (DESIGN.md section 13).
PRIVATE_ROUTES = ("/api/users", "/api/orders", "/api/payments", "/api/users/signin",
                  "/api/users/signup")
SIGN_IN_ROUTES = ("/api/users/signin", "/api/users/signup")
# The ingress-nginx controller as its Helm chart and static manifests label it.
INGRESS_CONTROLLER = ({"kubernetes.io/metadata.name": "ingress-nginx"},
                      {"app.kubernetes.io/name": "ingress-nginx",
                       "app.kubernetes.io/component": "controller",
                       "app.kubernetes.io/instance": "ingress-nginx"})
KUBE_DNS = ({"kubernetes.io/metadata.name": "kube-system"}, {"k8s-app": "kube-dns"})


class Report:
    """Collects check results, by named check; one line per failure."""

    def __init__(self):
        self.checks = 0
        self.failures = []
        self.name = "manifests"
        self.by_name = {}  # name -> [checks, failures]

    def section(self, name):
        """Attributes the checks that follow to the named check `name`."""
        self.name = name
        self.by_name.setdefault(name, [0, 0])

    def check(self, ok, where, message):
        self.checks += 1
        counts = self.by_name.setdefault(self.name, [0, 0])
        counts[0] += 1
        if not ok:
            counts[1] += 1
            self.failures.append(f"FAIL [{self.name}] {where}: {message}")
        return ok

    def fail(self, where, message):
        return self.check(False, where, message)

    def failed(self, name):
        return self.by_name.get(name, [0, 0])[1]


# ---- loading -------------------------------------------------------------------------------------


class Resource:
    def __init__(self, doc, path):
        self.doc = doc
        self.path = path
        self.kind = doc.get("kind", "")
        self.name = (doc.get("metadata") or {}).get("name", "")

    def __str__(self):
        return f"{self.path.name} {self.kind}/{self.name}"


def load_yaml_files(k8s_dir, report):
    """Parses every YAML file under infra/k8s; returns {path: [documents]}."""
    parsed = {}
    files = sorted(p for p in k8s_dir.rglob("*") if p.suffix in (".yaml", ".yml"))
    report.check(bool(files), k8s_dir, "no YAML files found")
    for path in files:
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        except yaml.YAMLError as e:
            report.fail(path.name, "does not parse as YAML: " + " ".join(str(e).split()))
            continue
        report.check(True, path.name, "parses")
        for i, d in enumerate(docs):
            if not isinstance(d, dict):
                report.fail(path.name, f"document {i + 1} is not a mapping")
                continue
            if path.name != "kustomization.yaml":
                for field in ("apiVersion", "kind"):
                    report.check(field in d, path.name, f"document {i + 1} has no {field}")
                report.check(bool((d.get("metadata") or {}).get("name")), path.name,
                             f"document {i + 1} has no metadata.name")
        parsed[path] = [d for d in docs if isinstance(d, dict)]
    return parsed


def load_kustomization(k8s_dir, parsed, report):
    """Checks kustomization.yaml; returns the Resources it lists."""
    path = k8s_dir / "kustomization.yaml"
    where = "kustomization.yaml"
    if not report.check(path in parsed and parsed[path], where, "missing or empty"):
        return []
    k = parsed[path][0]
    report.check(k.get("namespace") == NAMESPACE, where,
                 f"namespace is {k.get('namespace')!r}, expected {NAMESPACE!r}")
    listed = k.get("resources") or []
    report.check(bool(listed), where, "lists no resources")
    resources = []
    listed_paths = set()
    for entry in listed:
        target = (k8s_dir / entry).resolve()
        listed_paths.add(target)
        if not report.check(target.is_file(), where, f"resource {entry} does not exist"):
            continue
        report.check(not target.name.endswith(".example.yaml"), where,
                     f"{target.name} must not be applied: it is an example (placeholders, or "
                     "another namespace's configuration)")
        for d in parsed.get(target, parsed.get(k8s_dir / entry, [])):
            r = Resource(d, target)
            report.check(r.kind != "Secret", str(r),
                         "a Secret in the kustomization would put secret values in Git")
            resources.append(r)
    # A manifest nobody lists is a manifest nobody applies.
    for p in parsed:
        if p.name == "kustomization.yaml" or p.name.endswith(".example.yaml"):
            continue
        report.check(p.resolve() in listed_paths, p.name, "is not listed in kustomization.yaml")
    seen = {}
    for r in resources:
        key = (r.kind, r.name)
        report.check(key not in seen, str(r), f"defined twice (also in {seen.get(key)})")
        seen.setdefault(key, r.path.name)
    return resources


# ---- helpers -------------------------------------------------------------------------------------


def by_kind(resources, kind):
    return {r.name: r for r in resources if r.kind == kind}


def pod_spec(workload):
    return ((workload.doc.get("spec") or {}).get("template") or {}).get("spec") or {}


def pod_labels(workload):
    return (((workload.doc.get("spec") or {}).get("template") or {}).get("metadata") or {}).get(
        "labels") or {}


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def container_ports(container):
    """{name or number: number} for the container's ports."""
    ports = {}
    for p in container.get("ports") or []:
        number = p.get("containerPort")
        ports[number] = number
        if p.get("name"):
            ports[p["name"]] = number
    return ports


def resolve_port(port, containers):
    for c in containers:
        ports = container_ports(c)
        if port in ports:
            return ports[port]
    return None


def effective_run_as_non_root(pod, container):
    c = (container.get("securityContext") or {}).get("runAsNonRoot")
    return c if c is not None else (pod.get("securityContext") or {}).get("runAsNonRoot")


def effective_run_as_user(pod, container):
    c = (container.get("securityContext") or {}).get("runAsUser")
    return c if c is not None else (pod.get("securityContext") or {}).get("runAsUser")


# ---- workloads -----------------------------------------------------------------------------------


def check_workloads(resources, report):
    services = by_kind(resources, "Service")
    for r in resources:
        if r.kind not in WORKLOAD_KINDS:
            continue
        spec = r.doc.get("spec") or {}
        pod = pod_spec(r)
        labels = pod_labels(r)
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        report.check(selects(selector, labels), str(r),
                     f"selector {selector} does not match the pod template labels {labels}")
        containers = pod.get("containers") or []
        report.check(bool(containers), str(r), "has no containers")
        for c in containers:
            where = f"{r} container {c.get('name')}"
            report.check(bool(c.get("image")), where, "has no image")
            for probe in ("readinessProbe", "livenessProbe"):
                p = c.get(probe)
                if not report.check(isinstance(p, dict) and p, where, f"has no {probe}"):
                    continue
                for action in ("httpGet", "tcpSocket"):
                    if action in p:
                        port = p[action].get("port")
                        report.check(resolve_port(port, [c]) is not None, where,
                                     f"{probe} port {port!r} is not a port of the container")
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for what in ("cpu", "memory"):
                    report.check(bool((res.get(part) or {}).get(what)), where,
                                 f"has no resources.{part}.{what}")
            report.check(effective_run_as_non_root(pod, c) is True, where,
                         "does not set securityContext.runAsNonRoot: true")
            user = effective_run_as_user(pod, c)
            report.check(user != 0, where, "runs as uid 0")
        if r.kind == "StatefulSet":
            svc = spec.get("serviceName")
            report.check(svc in services, str(r), f"serviceName {svc!r} is not a Service here")
            templates = [t.get("metadata", {}).get("name")
                         for t in spec.get("volumeClaimTemplates") or []]
            report.check(bool(templates), str(r), "has no volumeClaimTemplates (no PVC)")
            mounts = {m.get("name") for c in containers for m in c.get("volumeMounts") or []}
            for t in templates:
                report.check(t in mounts, str(r), f"volumeClaimTemplate {t} is mounted nowhere")
        if r.kind == "Deployment":
            matching = [s for s in services.values()
                        if selects((s.doc.get("spec") or {}).get("selector"), labels)]
            report.check(bool(matching), str(r), "no Service selects its pods")

    # Every Service selects some workload's pods, and its targetPorts are ports of those pods.
    workloads = [r for r in resources if r.kind in WORKLOAD_KINDS]
    for s in services.values():
        spec = s.doc.get("spec") or {}
        selector = spec.get("selector") or {}
        targets = [w for w in workloads if selects(selector, pod_labels(w))]
        if not report.check(bool(targets), str(s), f"selector {selector} selects no pods"):
            continue
        for p in spec.get("ports") or []:
            target = p.get("targetPort", p.get("port"))
            for w in targets:
                report.check(resolve_port(target, pod_spec(w).get("containers") or []) is not None,
                             str(s), f"targetPort {target!r} is not a port of {w.kind}/{w.name}")


def service_port_numbers(service):
    return {p.get("port") for p in (service.doc.get("spec") or {}).get("ports") or []} | {
        p.get("name") for p in (service.doc.get("spec") or {}).get("ports") or [] if p.get("name")}


def project_version(root):
    m = re.search(r"^project\(ticketing VERSION ([0-9][0-9.]*)", (root / "CMakeLists.txt").read_text(),
                  re.M)
    return m.group(1) if m else None


VERSION = None  # CMakeLists.txt's project VERSION, set by main()


def image_name(svc):
    """The name scripts/images.sh gives the service's image: the tag is the project's version."""
    return f"ticketing/{svc}:{VERSION}"


def check_probe_paths(root, report):
    """The probes the manifests use are routes the HTTP server really serves."""
    server = root / "common" / "src" / "http" / "server.cpp"
    text = server.read_text() if server.is_file() else ""
    for path in ("/readyz", "/healthz"):
        report.check(f'"{path}"' in text, "common/src/http/server.cpp",
                     f"serves no {path}, which the Deployments probe")


def check_services(resources, report):
    deployments = by_kind(resources, "Deployment")
    services = by_kind(resources, "Service")
    for svc in SERVICES:
        d = deployments.get(svc)
        if not report.check(d is not None, f"Deployment/{svc}", "missing"):
            continue
        spec = d.doc.get("spec") or {}
        if svc in HTTP_SERVICES:
            report.check((spec.get("replicas") or 1) >= 2, str(d),
                         f"replicas is {spec.get('replicas')}, expected at least 2")
        containers = pod_spec(d).get("containers") or []
        if not report.check(len(containers) >= 1, str(d), "has no container"):
            continue
        c = containers[0]
        where = f"{d} container {c.get('name')}"
        expected = image_name(svc)
        report.check(c.get("image") == expected, where,
                     f"image is {c.get('image')!r}, expected {expected!r} (scripts/images.sh)")
        report.check(SERVICE_PORT in container_ports(c).values(), where,
                     f"does not expose containerPort {SERVICE_PORT}")
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            if not c.get(probe):
                continue  # reported by check_workloads
            get = c[probe].get("httpGet") or {}
            report.check(get.get("path") == path, where,
                         f"{probe} is not an HTTP GET of {path} (got {get.get('path')!r})")
            report.check(resolve_port(get.get("port"), [c]) == SERVICE_PORT, where,
                         f"{probe} does not probe port {SERVICE_PORT}")
        s = services.get(svc)
        if report.check(s is not None, f"Service/{svc}", "missing"):
            sspec = s.doc.get("spec") or {}
            report.check(sspec.get("type", "ClusterIP") == "ClusterIP", str(s), "is not ClusterIP")
            report.check(selects(sspec.get("selector"), pod_labels(d)), str(s),
                         f"does not select the pods of Deployment/{svc}")
            ports = [p for p in sspec.get("ports") or [] if p.get("port") == SERVICE_PORT]
            if report.check(bool(ports), str(s), f"has no port {SERVICE_PORT}"):
                target = ports[0].get("targetPort", SERVICE_PORT)
                report.check(resolve_port(target, [c]) == SERVICE_PORT, str(s),
                             f"port {SERVICE_PORT} does not reach container port {SERVICE_PORT}")


def ingress_routes(ingresses):
    """{path: [(Ingress, path entry)]} over every rule of every Ingress."""
    routes = {}
    for ing in ingresses.values():
        for rule in (ing.doc.get("spec") or {}).get("rules") or []:
            for p in (rule.get("http") or {}).get("paths") or []:
                routes.setdefault(p.get("path"), []).append((ing, p))
    return routes


def check_ingress(resources, report):
    """The routes: every path of INGRESS_ROUTES once, Prefix, to the right Service and port."""
    ingresses = by_kind(resources, "Ingress")
    services = by_kind(resources, "Service")
    if not report.check(bool(ingresses), "Ingress", "none found"):
        return
    for ing in ingresses.values():
        report.check(ing.doc.get("apiVersion") == "networking.k8s.io/v1", str(ing),
                     "apiVersion is not networking.k8s.io/v1")
        spec = ing.doc.get("spec") or {}
        report.check(spec.get("ingressClassName") == "nginx", str(ing),
                     "ingressClassName is not nginx")
        annotations = (ing.doc.get("metadata") or {}).get("annotations") or {}
        report.check(annotations.get("nginx.ingress.kubernetes.io/proxy-body-size") == "1m",
                     str(ing), "no nginx.ingress.kubernetes.io/proxy-body-size: 1m annotation")
        report.check("nginx.ingress.kubernetes.io/limit-rps" in annotations, str(ing),
                     "no nginx.ingress.kubernetes.io/limit-rps annotation")
    routes = ingress_routes(ingresses)
    for path, svc in INGRESS_ROUTES.items():
        entries = routes.get(path) or []
        if not report.check(len(entries) == 1, "Ingress",
                            f"{len(entries)} routes for {path}, expected one"):
            continue
        ing, p = entries[0]
        report.check(p.get("pathType") == "Prefix", str(ing), f"{path} pathType is not Prefix")
        backend = (p.get("backend") or {}).get("service") or {}
        name = backend.get("name")
        port = (backend.get("port") or {}).get("number",
                                               (backend.get("port") or {}).get("name"))
        report.check(name == svc, str(ing), f"{path} goes to {name!r}, expected {svc!r}")
        if report.check(name in services, str(ing), f"{path} goes to Service {name!r}, not here"):
            report.check(port in service_port_numbers(services[name]), str(ing),
                         f"{path} goes to port {port!r}, which Service/{name} does not have")
    for path in routes:
        report.check(path in INGRESS_ROUTES, "Ingress", f"unexpected route {path}")


# ---- stores: NATS, Redis, PostgreSQL -------------------------------------------------------------


def mounted_config(workload, configmaps, key_suffix):
    """Text of the ConfigMap entries mounted into the workload whose key ends with key_suffix."""
    texts = []
    for v in pod_spec(workload).get("volumes") or []:
        cm = (v.get("configMap") or {}).get("name")
        if cm in configmaps:
            for k, text in ((configmaps[cm].doc.get("data") or {}).items()):
                if k.endswith(key_suffix):
                    texts.append(text)
    return "\n".join(texts)


def check_nats(resources, report):
    sts = by_kind(resources, "StatefulSet").get("nats")
    services = by_kind(resources, "Service")
    configmaps = by_kind(resources, "ConfigMap")
    if not report.check(sts is not None, "StatefulSet/nats", "missing"):
        return
    spec = sts.doc.get("spec") or {}
    report.check(spec.get("replicas") == 3, str(sts), "replicas is not 3")
    headless = services.get(spec.get("serviceName"))
    if headless is not None:
        report.check((headless.doc.get("spec") or {}).get("clusterIP") == "None", str(headless),
                     "the StatefulSet's governing Service is not headless (clusterIP: None)")
    conf = mounted_config(sts, configmaps, ".conf")
    if report.check(bool(conf), str(sts), "mounts no ConfigMap with a .conf nats-server config"):
        report.check(re.search(r"\bjetstream\b", conf) is not None, str(sts),
                     "the nats-server config has no jetstream block")
        store = re.search(r"store_dir:\s*\"?([^\s\"]+)", conf)
        mounts = {m.get("name"): m.get("mountPath")
                  for c in pod_spec(sts).get("containers") or []
                  for m in c.get("volumeMounts") or []}
        pvc_paths = [mounts.get(t.get("metadata", {}).get("name"))
                     for t in spec.get("volumeClaimTemplates") or []]
        report.check(store is not None and any(
            p and store.group(1).startswith(p) for p in pvc_paths), str(sts),
            "jetstream store_dir is not on a volumeClaimTemplate's mount")
        hs = spec.get("serviceName")
        for i in range(3):
            report.check(re.search(rf"nats://nats-{i}\.{re.escape(str(hs))}[.:]", conf) is not None,
                         str(sts), f"cluster routes do not include nats-{i}.{hs}")
    client = services.get("nats")
    if report.check(client is not None, "Service/nats", "missing (the client Service)"):
        report.check(4222 in service_port_numbers(client), str(client), "has no port 4222")


def check_redis(resources, report):
    sts = by_kind(resources, "StatefulSet").get("redis")
    if not report.check(sts is not None, "StatefulSet/redis", "missing"):
        return
    report.check((sts.doc.get("spec") or {}).get("replicas") == 1, str(sts), "replicas is not 1")
    report.check("redis" in by_kind(resources, "Service"), "Service/redis", "missing")
    conf = mounted_config(sts, by_kind(resources, "ConfigMap"), ".conf")
    for line in ("appendonly yes", "appendfsync everysec", "maxmemory-policy noeviction"):
        report.check(re.search(rf"^\s*{line}\s*$", conf, re.M) is not None, str(sts),
                     f"its mounted redis.conf lacks '{line}'")


def check_postgres(resources, report):
    statefulsets = by_kind(resources, "StatefulSet")
    for svc in DATABASE_SERVICES:
        name = f"{svc}-postgres"
        sts = statefulsets.get(name)
        if not report.check(sts is not None, f"StatefulSet/{name}", "missing"):
            continue
        report.check(name in by_kind(resources, "Service"), f"Service/{name}", "missing")
        for c in pod_spec(sts).get("containers") or []:
            report.check(re.fullmatch(THIRD_PARTY_IMAGES["postgres"],
                                      c.get("image", "").partition(":")[2]) is not None, str(sts),
                         f"image is {c.get('image')!r}, expected postgres:15.<minor>")
            env = {e.get("name"): e for e in c.get("env") or []}
            pw = env.get("POSTGRES_PASSWORD") or {}
            report.check("secretKeyRef" in (pw.get("valueFrom") or {}), str(sts),
                         "POSTGRES_PASSWORD does not come from a Secret")


# ---- environment vs. the C++ configuration code --------------------------------------------------

READ_CALL = re.compile(r"\.\s*(Required|Optional|Int|OneOf)\s*\(\s*\"([A-Z][A-Z0-9_]*)\"")
GETENV_CALL = re.compile(r"getenv\s*\(\s*\"([A-Z][A-Z0-9_]*)\"")
INT_CALL = re.compile(
    r"\.\s*Int\s*\(\s*\"([A-Z][A-Z0-9_]*)\"\s*,\s*([^,()]+)\s*,\s*([^,()]+)\s*,\s*([^,()]+)\)")
# The common configuration's reads for services that check sessions:
# `if (sessions == Sessions::kVerified) { ... }` (common/src/config/env.cpp).
SESSIONS_BLOCK = re.compile(r"if\s*\(\s*sessions\s*==\s*Sessions::kVerified\s*\)\s*\{(.*?)\n\s*\}",
                            re.S)
ONEOF_CALL = re.compile(r"\.\s*OneOf\s*\(\s*\"([A-Z][A-Z0-9_]*)\"\s*,[^{]*\{([^}]*)\}")


def eval_int(text):
    """A C++ integer expression of literals, + - * (e.g. 7 * 24 * 3600, 31'536'000), or None."""
    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}

    def walk(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](walk(node.left), walk(node.right))
        raise ValueError(text)

    try:
        return walk(ast.parse(text.replace("'", "").strip(), mode="eval").body)
    except (ValueError, SyntaxError):
        return None


class EnvSpec:
    """What one service's code reads from the environment."""

    def __init__(self):
        self.read = set()
        self.required = set()
        self.ranges = {}   # name -> (min, max) or None when not literal
        self.choices = {}  # name -> allowed values
        self.sources = {}  # name -> file that reads it

    def scan(self, path, root):
        text = path.read_text(errors="replace")
        rel = str(path.relative_to(root))
        for kind, name in READ_CALL.findall(text):
            self.read.add(name)
            self.sources.setdefault(name, rel)
            if kind == "Required":
                self.required.add(name)
        for name in GETENV_CALL.findall(text):
            self.read.add(name)
            self.sources.setdefault(name, rel)
        for name, _default, lo, hi in INT_CALL.findall(text):
            self.ranges[name] = (eval_int(lo), eval_int(hi))
        for name, allowed in ONEOF_CALL.findall(text):
            self.choices[name] = set(re.findall(r"\"([^\"]*)\"", allowed))


def service_env_spec(root, svc, report):
    spec = EnvSpec()
    own = sorted(p for p in (root / svc / "src").rglob("*") if p.suffix in (".cpp", ".hpp"))
    report.check(bool(own), f"{svc}/src", "no C++ sources found")
    uses_common = any("CommonConfig::FromEnv" in p.read_text(errors="replace") for p in own)
    # A service that checks no session (CommonConfig::FromEnv(..., Sessions::kNone): expiration)
    # neither needs nor reads what the common configuration reads only for sessions.
    no_sessions = any("Sessions::kNone" in p.read_text(errors="replace") for p in own)
    if uses_common:
        for p in sorted((root / "common" / "src" / "config").glob("*.cpp")):
            spec.scan(p, root)
            if no_sessions:
                for block in SESSIONS_BLOCK.findall(p.read_text(errors="replace")):
                    for _, name in READ_CALL.findall(block):
                        spec.read.discard(name)
                        spec.required.discard(name)
    for p in own:
        spec.scan(p, root)
    return spec, uses_common


def deployment_env(deployment, configmaps, report):
    """{name: env entry} of the service container, with envFrom ConfigMaps resolved."""
    containers = pod_spec(deployment).get("containers") or []
    env = {}
    if not containers:
        return env
    c = containers[0]
    for src in c.get("envFrom") or []:
        cm = (src.get("configMapRef") or {}).get("name")
        if cm is not None and cm in configmaps:
            prefix = src.get("prefix", "")
            for k, v in (configmaps[cm].doc.get("data") or {}).items():
                env[prefix + k] = {"name": prefix + k, "value": v}
        elif cm is not None:
            report.fail(str(deployment), f"envFrom ConfigMap {cm} is not in the manifests")
        else:
            report.fail(str(deployment),
                        "envFrom secretRef hides which variables are set: list them under env "
                        "with valueFrom.secretKeyRef")
    for e in c.get("env") or []:
        report.check(e.get("name") not in env or not (c.get("envFrom")), str(deployment),
                     f"{e.get('name')} is set twice")
        env[e.get("name")] = e
    return env


def check_url_target(value, services, where, name, report):
    """A URL value scheme://host:port/... must name a Service here with that port."""
    m = re.match(r"^[a-z]+://(?:[^@/]*@)?([a-z0-9.-]+):(\d+)", value)
    if not m:
        return
    host, port = m.group(1).split(".")[0], int(m.group(2))
    if report.check(host in services, where, f"{name} points at {host!r}, not a Service here"):
        report.check(port in service_port_numbers(services[host]), where,
                     f"{name} uses port {port}, which Service/{host} does not have")


def check_environment(root, resources, secrets, report):
    deployments = by_kind(resources, "Deployment")
    services = by_kind(resources, "Service")
    configmaps = by_kind(resources, "ConfigMap")
    statefulsets = by_kind(resources, "StatefulSet")
    for svc in SERVICES:
        d = deployments.get(svc)
        if d is None:
            continue  # reported by check_services
        spec, uses_common = service_env_spec(root, svc, report)
        if uses_common:
            # The scanner must see the common configuration, or every check below is vacuous.
            report.check("HTTP_PORT" in spec.read, f"{svc}/src",
                         "the scanner found no env.Int(\"HTTP_PORT\", ...) in common/src/config: "
                         "did the EnvReader API change? (update tests/k8s/validate_manifests.py)")
        report.check(bool(spec.read), f"{svc}/src", "the scanner found no environment reads")
        env = deployment_env(d, configmaps, report)
        where = str(d)
        for name in sorted(spec.required):
            report.check(name in env, where,
                         f"does not set {name}, which {spec.sources[name]} requires")
        for name in sorted(env):
            report.check(name in spec.read or name in DOCUMENTED_EXTRA_VARS, where,
                         f"sets {name}, which no code of {svc} reads (a typo, or a variable the "
                         "code no longer reads?)")
        for name, e in sorted(env.items()):
            value_from = e.get("valueFrom")
            if value_from is None:
                value = e.get("value")
                if not report.check(isinstance(value, str), where,
                                    f"{name} has no string value (quote numbers)"):
                    continue
                if name in spec.ranges:
                    lo, hi = spec.ranges[name]
                    ok = re.fullmatch(r"-?\d+", value) is not None and (
                        lo is None or int(value) >= lo) and (hi is None or int(value) <= hi)
                    report.check(ok, where, f"{name}={value} is not an integer in [{lo}, {hi}]")
                if name in spec.choices:
                    report.check(value in spec.choices[name], where,
                                 f"{name}={value} is not one of {sorted(spec.choices[name])}")
                check_url_target(value, services, where, name, report)
                report.check(name not in SECRET_REFS and name not in (
                    "DATABASE_URL", "NATS_PASSWORD"), where,
                             f"{name} is a secret: take it from a Secret, not a literal value")
                continue
            ref = value_from.get("secretKeyRef")
            if ref is None:
                continue
            pair = (ref.get("name"), ref.get("key"))
            report.check(pair in secrets, where,
                         f"{name} comes from Secret {pair[0]} key {pair[1]}, which "
                         "secrets.example.yaml does not define")
            if name in SECRET_REFS:
                report.check(pair == SECRET_REFS[name], where,
                             f"{name} comes from {pair}, expected {SECRET_REFS[name]}")
            if name == "DATABASE_URL":
                report.check(pair == (f"{svc}-postgres", "database-url"), where,
                             f"DATABASE_URL comes from {pair}, expected "
                             f"('{svc}-postgres', 'database-url')")
        report.check(env.get("HTTP_PORT", {}).get("value") == str(SERVICE_PORT), where,
                     f"HTTP_PORT is not set to \"{SERVICE_PORT}\"")
        report.check(("STRIPE_KEY" in env) == (svc == "payments"), where,
                     "STRIPE_KEY belongs to payments only")
        # A service on the bus provisions the streams at start-up: on the JetStream cluster they
        # need one copy per member, and every service must say the same (the last start wins).
        if "NATS_URL" in env and STREAM_REPLICAS_VAR in spec.read:
            members = (statefulsets["nats"].doc.get("spec") or {}).get("replicas") \
                if "nats" in statefulsets else None
            report.check(env.get(STREAM_REPLICAS_VAR, {}).get("value") == str(members), where,
                         f"{STREAM_REPLICAS_VAR} is not the number of NATS members ({members})")
        if svc in DATABASE_SERVICES:
            report.check("DATABASE_URL" in env, where,
                         "does not set DATABASE_URL (SQLite in a pod's file system would not be "
                         "shared by the replicas)")


def load_secrets_example(k8s_dir, parsed, report):
    """{(secret, key)} defined by secrets.example.yaml; checks its values are placeholders."""
    path = k8s_dir / "secrets.example.yaml"
    pairs = set()
    if not report.check(path in parsed, "secrets.example.yaml", "missing"):
        return pairs
    statefulset_dbs = {}
    for d in parsed[path]:
        r = Resource(d, path)
        if not report.check(r.kind == "Secret", str(r), "is not a Secret"):
            continue
        data = dict(d.get("stringData") or {})
        data.update(d.get("data") or {})
        for key, value in data.items():
            pairs.add((r.name, key))
            report.check(PLACEHOLDER in str(value), str(r),
                         f"key {key} is not a placeholder (must contain {PLACEHOLDER}): "
                         "never commit a real secret")
        url = data.get("database-url")
        if url is not None:
            statefulset_dbs[r.name] = url
    for name, url in statefulset_dbs.items():
        m = re.match(r"^postgres(?:ql)?://[^@]+@([^:/]+)(?::\d+)?/([^?]+)", url)
        if report.check(m is not None, f"secrets.example.yaml Secret/{name}",
                        "database-url is not postgresql://user:password@host:port/db"):
            report.check(m.group(1) == name, f"secrets.example.yaml Secret/{name}",
                         f"database-url points at host {m.group(1)!r}, expected {name!r}")
    return pairs


def check_secret_refs(resources, secrets, report):
    """Every secretKeyRef in any workload is defined in secrets.example.yaml."""
    for r in resources:
        if r.kind not in WORKLOAD_KINDS:
            continue
        for c in pod_spec(r).get("containers") or []:
            for e in c.get("env") or []:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    pair = (ref.get("name"), ref.get("key"))
                    report.check(pair in secrets, f"{r} container {c.get('name')}",
                                 f"{e.get('name')} uses Secret {pair[0]} key {pair[1]}, not "
                                 "defined in secrets.example.yaml")
        # Secret volumes: the Secret, and the keys a volume picks, are in secrets.example.yaml.
        names = {name for name, _ in secrets}
        for v in pod_spec(r).get("volumes") or []:
            secret = v.get("secret")
            if secret is None:
                continue
            name = secret.get("secretName")
            if not report.check(name in names, str(r), f"volume {v.get('name')} mounts Secret "
                                                       f"{name}, not in secrets.example.yaml"):
                continue
            for item in secret.get("items") or []:
                report.check((name, item.get("key")) in secrets, str(r),
                             f"volume {v.get('name')} takes key {item.get('key')} of Secret "
                             f"{name}, not defined in secrets.example.yaml")


# ---- Docker --------------------------------------------------------------------------------------


def dockerfile_stages(path):
    """The stages of a Dockerfile: name -> (base, instruction lines), in order."""
    lines = []
    for raw in path.read_text().replace("\\\n", " ").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    stages, current = {}, None
    for line in lines:
        m = re.match(r"(?i)^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", line)
        if m:
            current = m.group(2) or f"stage{len(stages)}"
            stages[current] = (m.group(1), [])
        elif current is not None:
            stages[current][1].append(line)
    return stages, lines


def stage_lines(stages, name):
    """A stage's instructions after those of the stages it is built FROM (inherited first)."""
    chain = []
    while name in stages and name not in chain:
        chain.append(name)
        name = stages[name][0]
    out = []
    for n in reversed(chain):
        out.extend(stages[n][1])
    return out


def check_docker(root, resources, report):
    path = root / "infra" / "docker" / "Dockerfile"
    where = "infra/docker/Dockerfile"
    if not report.check(path.is_file(), where, "missing"):
        return
    options = set(re.findall(r"option\(\s*([A-Z_]+)", (root / "CMakeLists.txt").read_text()))
    stages, lines = dockerfile_stages(path)
    report.check(len(stages) >= 2, where, "is not multi-stage (fewer than two FROM)")
    users = set()
    # One target per service (scripts/images.sh builds `--target <svc>`), each running its own
    # executable as a non-root user on the service port.
    for svc in SERVICES:
        swhere = f"{where} stage {svc}"
        if not report.check(svc in stages, where, f"has no stage {svc!r} (scripts/images.sh --target)"):
            continue
        final = stage_lines(stages, svc)
        user = [re.split(r"\s+", line, maxsplit=1)[1] for line in final
                if re.match(r"(?i)^USER\s", line)]
        if report.check(bool(user), swhere, "sets no USER (it would run as root)"):
            name = user[-1].split(":")[0]
            report.check(name not in ("root", "0"), swhere, f"runs as {user[-1]}")
            users.add(name)
        report.check(any(re.match(rf"(?i)^EXPOSE\s+{SERVICE_PORT}\b", line) for line in final),
                     swhere, f"does not EXPOSE {SERVICE_PORT}")
        entry = [line for line in final if re.match(r"(?i)^ENTRYPOINT\s", line)]
        report.check(bool(entry) and f"/usr/local/bin/ticketing-{svc}" in entry[-1], swhere,
                     f"ENTRYPOINT is not /usr/local/bin/ticketing-{svc}")
        # The build stage is shared: a build argument in it would make five compilations.
    build_args = [line for n, (_, body) in stages.items() if n not in SERVICES for line in body
                  if re.match(r"(?i)^ARG\s", line)]
    report.check(not build_args, where,
                 f"a shared stage takes a build argument ({build_args}): each image would compile")
    for opt in re.findall(r"-D([A-Z][A-Z0-9_]*)=", " ".join(lines)):
        if opt.startswith("TICKETING_"):
            report.check(opt in options, where,
                         f"sets -D{opt}, which is not an option() of CMakeLists.txt")
    # A numeric image user must be the uid the Deployments declare (runAsNonRoot is checked by
    # the kubelet against the image's USER).
    numeric = {u for u in users if u.isdigit()}
    for svc in SERVICES:
        d = by_kind(resources, "Deployment").get(svc)
        if d is None:
            continue
        pod = pod_spec(d)
        for c in pod.get("containers") or []:
            uid = effective_run_as_user(pod, c)
            if uid is not None and numeric:
                report.check(str(uid) in numeric, str(d),
                             f"runAsUser {uid} is not the image's USER {sorted(numeric)}")
    ignore = root / ".dockerignore"
    if report.check(ignore.is_file(), ".dockerignore", "missing at the repository root"):
        patterns = {line.strip().rstrip("/") for line in ignore.read_text().splitlines()
                    if line.strip() and not line.startswith("#")}
        for needed in ("build", ".data", ".git"):
            covered = any(p == needed or (p.endswith("*") and needed.startswith(p[:-1]))
                          for p in patterns)
            report.check(covered, ".dockerignore", f"does not exclude {needed}/")


def inspect_image(name, env, report):
    """The Config of a built image (podman image inspect), or None (reported) when it is not built."""
    run = subprocess.run(["podman", "image", "inspect", name], capture_output=True, text=True,
                         env=env, check=False)
    if not report.check(run.returncode == 0, f"image {name}", "not built (scripts/images.sh build)"):
        return None
    return json.loads(run.stdout)[0].get("Config") or {}


def check_built_images(root, resources, report):
    """The manifests against the images podman built (podman image inspect)."""
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", str(root / "infra" / "containers" / "containers.conf"))
    deployments = by_kind(resources, "Deployment")
    check_built_web_image(resources, env, report)
    for svc in SERVICES:
        name = image_name(svc)
        where = f"image {name}"
        config = inspect_image(name, env, report)
        if config is None:
            continue
        d = deployments.get(svc)
        if d is None:
            continue
        pod = pod_spec(d)
        c = (pod.get("containers") or [{}])[0]
        uid = effective_run_as_user(pod, c)
        gid = ((c.get("securityContext") or {}).get("runAsGroup")
               or (pod.get("securityContext") or {}).get("runAsGroup"))
        user = str(config.get("User", ""))
        report.check(user == f"{uid}:{gid}" if gid is not None else user.split(":")[0] == str(uid),
                     where, f"runs as {user!r}, the Deployment as {uid}:{gid}")
        exposed = {int(p.split("/")[0]) for p in (config.get("ExposedPorts") or {})}
        report.check(set(container_ports(c).values()) <= exposed, where,
                     f"exposes {sorted(exposed)}, the Deployment's ports are "
                     f"{sorted(container_ports(c).values())}")
        report.check(config.get("Entrypoint") == [f"/usr/local/bin/ticketing-{svc}"], where,
                     f"entrypoint is {config.get('Entrypoint')}")
        report.check(config.get("Cmd") == ["serve"], where,
                     f"command is {config.get('Cmd')}, expected ['serve']")
        image_env = dict(e.split("=", 1) for e in config.get("Env") or [] if "=" in e)
        dep_env = {e.get("name"): e.get("value") for e in c.get("env") or []}
        report.check(image_env.get("HTTP_PORT") == dep_env.get("HTTP_PORT"), where,
                     f"HTTP_PORT is {image_env.get('HTTP_PORT')} in the image, "
                     f"{dep_env.get('HTTP_PORT')} in the Deployment")
        sc = c.get("securityContext") or {}
        # A read-only root filesystem: the image must not need to write outside its volumes.
        report.check(sc.get("readOnlyRootFilesystem") is True, str(d),
                     "the container's root filesystem is not read-only")


# ---- web: the storefront's image ------------------------------------------------------------------


def check_web(root, resources, report):
    """The web Deployment and Service, its Dockerfile stage and its nginx configuration."""
    d = by_kind(resources, "Deployment").get(WEB)
    if report.check(d is not None, f"Deployment/{WEB}", "missing (the storefront, web.yaml)"):
        spec = d.doc.get("spec") or {}
        report.check((spec.get("replicas") or 1) >= 2, str(d),
                     f"replicas is {spec.get('replicas')}, expected at least 2")
        pod = pod_spec(d)
        c = (pod.get("containers") or [{}])[0]
        where = f"{d} container {c.get('name')}"
        report.check(c.get("image") == image_name(WEB), where,
                     f"image is {c.get('image')!r}, expected {image_name(WEB)!r} (scripts/images.sh)")
        report.check(WEB_PORT in container_ports(c).values(), where,
                     f"does not expose containerPort {WEB_PORT}")
        for probe in ("readinessProbe", "livenessProbe"):
            get = (c.get(probe) or {}).get("httpGet") or {}
            report.check(get.get("path") == "/healthz" and resolve_port(get.get("port"), [c]) == WEB_PORT,
                         where, f"{probe} is not an HTTP GET of /healthz on {WEB_PORT}")
        sc = c.get("securityContext") or {}
        report.check(sc.get("readOnlyRootFilesystem") is True, where,
                     "the root filesystem is not read-only")
        mounts = {m.get("mountPath") for m in c.get("volumeMounts") or []}
        report.check("/tmp" in mounts, where,
                     "mounts nothing at /tmp, where nginx writes its pid and temporary files")
        report.check(not c.get("env"), where, "sets environment variables, which nginx does not read")
        s = by_kind(resources, "Service").get(WEB)
        if report.check(s is not None, f"Service/{WEB}", "missing"):
            report.check(selects((s.doc.get("spec") or {}).get("selector"), pod_labels(d)), str(s),
                         f"does not select the pods of Deployment/{WEB}")
            report.check(WEB_PORT in service_port_numbers(s), str(s), f"has no port {WEB_PORT}")

    dockerfile = root / "infra" / "docker" / "Dockerfile"
    where = f"infra/docker/Dockerfile stage {WEB}"
    stages, _ = dockerfile_stages(dockerfile) if dockerfile.is_file() else ({}, [])
    if report.check(WEB in stages, "infra/docker/Dockerfile", f"has no stage {WEB!r}"):
        final = stage_lines(stages, WEB)
        user = [line.split()[1] for line in final if re.match(r"(?i)^USER\s", line)]
        report.check(bool(user) and user[-1].split(":")[0] not in ("root", "0"), where,
                     "does not run as a non-root USER")
        if user and d is not None:
            uid = effective_run_as_user(pod_spec(d), (pod_spec(d).get("containers") or [{}])[0])
            report.check(str(uid) == user[-1].split(":")[0], str(d),
                         f"runAsUser {uid} is not the web image's USER {user[-1]}")
        report.check(any(re.match(rf"(?i)^EXPOSE\s+{WEB_PORT}\b", line) for line in final), where,
                     f"does not EXPOSE {WEB_PORT}")
        entry = [line for line in final if re.match(r"(?i)^ENTRYPOINT\s", line)]
        report.check(bool(entry) and json.loads(entry[-1].split(None, 1)[1]) == WEB_ENTRYPOINT,
                     where, f"ENTRYPOINT is not {WEB_ENTRYPOINT}")
        copies = " ".join(line for line in final if re.match(r"(?i)^COPY\s", line))
        for src in ("web/dist", "api/dist", "infra/docker/web-nginx.conf",
                    "infra/web/storefront.conf"):
            report.check(src in copies, where, f"does not COPY {src}")
    conf_path = root / "infra" / "docker" / "web-nginx.conf"
    if report.check(conf_path.is_file(), "infra/docker/web-nginx.conf", "missing"):
        conf = conf_path.read_text()
        for needed, what in ((rf"listen\s+{WEB_PORT};", f"listen {WEB_PORT}"),
                             (r"include\s+/etc/ticketing/storefront\.conf;", "the shared rules"),
                             (r"location\s*=\s*/healthz", "the /healthz the probes use"),
                             (r"pid\s+/tmp/", "its pid under /tmp (read-only root)")):
            report.check(re.search(needed, conf) is not None, "infra/docker/web-nginx.conf",
                         f"lacks {what}")


def check_built_web_image(resources, env, report):
    """The web image against its Deployment: user, port, entrypoint."""
    where = f"image {image_name(WEB)}"
    config = inspect_image(image_name(WEB), env, report)
    if config is None:
        return
    d = by_kind(resources, "Deployment").get(WEB)
    if d is not None:
        pod = pod_spec(d)
        c = (pod.get("containers") or [{}])[0]
        uid = effective_run_as_user(pod, c)
        gid = (pod.get("securityContext") or {}).get("runAsGroup")
        report.check(str(config.get("User", "")) == f"{uid}:{gid}", where,
                     f"runs as {config.get('User')!r}, the Deployment as {uid}:{gid}")
    exposed = {int(p.split("/")[0]) for p in (config.get("ExposedPorts") or {})}
    report.check(WEB_PORT in exposed, where, f"exposes {sorted(exposed)}, not {WEB_PORT}")
    report.check(config.get("Entrypoint") == WEB_ENTRYPOINT, where,
                 f"entrypoint is {config.get('Entrypoint')}")


# ---- security hardening (DESIGN.md section 13): one named check per item -------------------------


def pod_templates(resources):
    """(workload, pod spec) for every kind that has a pod template."""
    out = []
    for r in resources:
        spec = r.doc.get("spec") or {}
        if r.kind in WORKLOAD_KINDS + ("DaemonSet", "Job"):
            out.append((r, pod_spec(r)))
        elif r.kind == "CronJob":
            job = ((spec.get("jobTemplate") or {}).get("spec") or {})
            out.append((r, (job.get("template") or {}).get("spec") or {}))
    return out


def all_containers(pod):
    return (pod.get("containers") or []) + (pod.get("initContainers") or [])


# -- 1. NetworkPolicies, evaluated as a network plugin does ----------------------------------------


class Endpoint:
    """A pod (namespace labels, pod labels, its containers' ports) or an address outside."""

    def __init__(self, name, ns_labels=None, labels=None, ip=None, containers=()):
        self.name = name
        self.ns_labels = ns_labels
        self.labels = labels or {}
        self.ip = ip
        self.containers = list(containers)

    def in_namespace(self):
        return (self.ns_labels or {}).get("kubernetes.io/metadata.name") == NAMESPACE


def match_selector(selector, labels):
    """A Kubernetes LabelSelector (matchLabels, matchExpressions); {} selects everything."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def ip_in_block(ip, block):
    try:
        addr = ipaddress.ip_address(ip)
        if addr not in ipaddress.ip_network(block.get("cidr", ""), strict=False):
            return False
        return not any(addr in ipaddress.ip_network(x, strict=False)
                       for x in block.get("except") or [])
    except ValueError:
        return False


def peer_matches(peer, endpoint):
    """One `from`/`to` entry of a rule of a policy in NAMESPACE against an endpoint."""
    if "ipBlock" in peer:
        return endpoint.ip is not None and ip_in_block(endpoint.ip, peer["ipBlock"])
    if endpoint.ns_labels is None:
        return False  # an address outside the cluster is matched by ipBlock only
    ns_sel = peer.get("namespaceSelector")
    pod_sel = peer.get("podSelector")
    if ns_sel is None and pod_sel is None:
        return False
    ns_ok = match_selector(ns_sel, endpoint.ns_labels) if ns_sel is not None \
        else endpoint.in_namespace()
    pod_ok = match_selector(pod_sel, endpoint.labels) if pod_sel is not None else True
    return ns_ok and pod_ok


def rule_port_matches(rule_ports, port, protocol, dest):
    if not rule_ports:
        return True
    for rp in rule_ports:
        if rp.get("protocol", "TCP") != protocol:
            continue
        p = rp.get("port")
        if p is None:
            return True
        if isinstance(p, str):
            p = resolve_port(p, dest.containers)
        if p is None:
            continue
        end = rp.get("endPort", p)
        if p <= port <= end:
            return True
    return False


def side_allows(policies, pod, direction, peer, port, protocol, dest):
    """Whether the policies selecting `pod` let `peer` in (Ingress) or out (Egress)."""
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [n for n in policies
                 if match_selector((n.doc.get("spec") or {}).get("podSelector") or {}, pod.labels)
                 and direction in policy_types(n)]
    if not selecting:
        return True  # not isolated in this direction
    for n in selecting:
        for rule in (n.doc.get("spec") or {}).get(key) or []:
            peers = rule.get(peers_key)
            if peers and not any(peer_matches(x, peer) for x in peers):
                continue
            if rule_port_matches(rule.get("ports"), port, protocol, dest):
                return True
    return False


def policy_types(policy):
    spec = policy.doc.get("spec") or {}
    types = spec.get("policyTypes")
    if types:
        return types
    return ["Ingress"] + (["Egress"] if spec.get("egress") is not None else [])


def flow_allowed(policies, src, dst, port, protocol="TCP"):
    """src -> dst:port allowed by the egress policies of src and the ingress policies of dst."""
    out_ok = side_allows(policies, src, "Egress", dst, port, protocol, dst) \
        if src.in_namespace() else True
    in_ok = side_allows(policies, dst, "Ingress", src, port, protocol, dst) \
        if dst.in_namespace() else True
    return out_ok and in_ok


def namespace_endpoints(resources):
    """{app name: Endpoint} for every workload's pods, each with a pod address of its own."""
    ns = by_kind(resources, "Namespace").get(NAMESPACE)
    ns_labels = dict(((ns.doc.get("metadata") or {}).get("labels") or {}) if ns else {})
    ns_labels["kubernetes.io/metadata.name"] = NAMESPACE
    pods = {}
    for i, (w, pod) in enumerate(pod_templates(resources)):
        labels = pod_labels(w)
        name = labels.get("app.kubernetes.io/name", w.name)
        pods[name] = Endpoint(name, ns_labels, labels, ip=f"10.244.0.{i + 10}",
                              containers=pod.get("containers") or [])
    return pods


def check_network_policies(resources, report):
    policies = list(by_kind(resources, "NetworkPolicy").values())
    where = "network-policies.yaml"
    # The base: a policy that selects every pod, isolates both directions and allows nothing.
    deny = [n for n in policies
            if (n.doc.get("spec") or {}).get("podSelector") in ({}, None)
            and set(policy_types(n)) >= {"Ingress", "Egress"}
            and not (n.doc.get("spec") or {}).get("ingress")
            and not (n.doc.get("spec") or {}).get("egress")]
    report.check(bool(deny), where,
                 "no default-deny NetworkPolicy (podSelector {}, policyTypes Ingress and Egress, "
                 "no rules)")
    pods = namespace_endpoints(resources)
    needed = list(SERVICES) + [WEB, "nats", "redis"] + [f"{s}-postgres" for s in DATABASE_SERVICES]
    for name in needed:
        report.check(name in pods, where, f"no workload with pods labelled {name}")
    if any(name not in pods for name in needed):
        return
    controller = Endpoint("ingress-nginx controller", *INGRESS_CONTROLLER)
    dns = Endpoint("kube-dns", *KUBE_DNS)
    stranger = Endpoint("a pod of another namespace", {"kubernetes.io/metadata.name": "other"},
                        {"app.kubernetes.io/name": "other"})
    internet = Endpoint("an internet address (Stripe's)", ip="54.187.174.169")
    internet6 = Endpoint("an internet IPv6 address", ip="2600:1f18::1")
    metadata = Endpoint("the cloud metadata service", ip="169.254.169.254")
    private = Endpoint("a private address", ip="10.1.2.3")

    def expect(allowed, src, dst, port, protocol="TCP"):
        ok = flow_allowed(policies, src, dst, port, protocol)
        verb = "allowed" if allowed else "denied"
        report.check(ok == allowed, where,
                     f"{src.name} -> {dst.name} {protocol}/{port} should be {verb}")

    for svc in HTTP_SERVICES:
        expect(True, controller, pods[svc], SERVICE_PORT)
        expect(False, stranger, pods[svc], SERVICE_PORT)
    expect(True, controller, pods[WEB], WEB_PORT)
    expect(False, stranger, pods[WEB], WEB_PORT)
    # expiration has no route: the controller has no business with it.
    expect(False, controller, pods["expiration"], SERVICE_PORT)
    for svc in SERVICES:
        expect(True, pods[svc], pods["nats"], 4222)
        expect(False, pods[svc], pods["nats"], 8222)
        expect(False, pods[svc], pods["nats"], 6222)
        expect(True, pods[svc], dns, 53, "UDP")
        expect(True, pods[svc], dns, 53, "TCP")
        expect(svc == "expiration", pods[svc], pods["redis"], 6379)
        for db in DATABASE_SERVICES:
            expect(svc == db, pods[svc], pods[f"{db}-postgres"], 5432)
        expect(svc == "payments", pods[svc], internet, 443)
        expect(False, pods[svc], internet, 80)
    expect(True, pods["payments"], internet6, 443)
    for addr in (private, metadata):
        expect(False, pods["payments"], addr, 443)
    # Nothing in the cluster on 443 either: the Stripe rule is for addresses outside.
    expect(False, pods["payments"], pods["auth"], 443)
    expect(True, pods["nats"], pods["nats"], 6222)
    expect(True, pods["nats"], dns, 53, "UDP")
    for src in (controller, stranger, pods[WEB]):
        expect(False, src, pods["nats"], 4222)
        expect(False, src, pods["redis"], 6379)
        expect(False, src, pods["auth-postgres"], 5432)
    # The stores and the storefront send nothing.
    for name in [WEB, "redis"] + [f"{s}-postgres" for s in DATABASE_SERVICES]:
        expect(False, pods[name], internet, 443)
        expect(False, pods[name], pods["nats"], 4222)
    # The kubelet's probes are not pod traffic; no pod scrapes /metrics (no Prometheus here).
    expect(False, stranger, pods["expiration"], SERVICE_PORT)


# -- 2. service account tokens ---------------------------------------------------------------------


def check_service_account_tokens(resources, report):
    templates = pod_templates(resources)
    report.check(bool(templates), "workloads", "no pod templates found")
    for w, pod in templates:
        report.check(pod.get("automountServiceAccountToken") is False, str(w),
                     "does not set automountServiceAccountToken: false (nothing here talks to "
                     "the Kubernetes API)")
    for sa in by_kind(resources, "ServiceAccount").values():
        report.check(sa.doc.get("automountServiceAccountToken") is False, str(sa),
                     "does not set automountServiceAccountToken: false")


# -- 3. PodDisruptionBudgets -----------------------------------------------------------------------


def check_disruption_budgets(resources, report):
    pdbs = list(by_kind(resources, "PodDisruptionBudget").values())
    workloads = [r for r in resources if r.kind in WORKLOAD_KINDS]
    for pdb in pdbs:
        report.check(pdb.doc.get("apiVersion") == "policy/v1", str(pdb), "is not policy/v1")
        selector = (pdb.doc.get("spec") or {}).get("selector") or {}
        report.check(any(match_selector(selector, pod_labels(w)) for w in workloads), str(pdb),
                     "selects no workload's pods")
    for w in workloads:
        replicas = (w.doc.get("spec") or {}).get("replicas", 1)
        mine = [p for p in pdbs
                if match_selector((p.doc.get("spec") or {}).get("selector") or {}, pod_labels(w))]
        if replicas >= 2:
            if not report.check(len(mine) == 1, str(w),
                                f"{len(mine)} PodDisruptionBudgets select its {replicas} "
                                "replicas, expected one"):
                continue
            spec = mine[0].doc.get("spec") or {}
            report.check(spec.get("maxUnavailable") == 1 and "minAvailable" not in spec,
                         str(mine[0]), f"is not maxUnavailable: 1 for {w}")
        else:
            # One replica: a budget could only block node drains for good.
            for p in mine:
                spec = p.doc.get("spec") or {}
                blocks = spec.get("maxUnavailable") == 0 or (spec.get("minAvailable") or 0) >= 1
                report.check(not blocks, str(p), f"blocks every drain of single-replica {w}")


# -- 4. image tags ---------------------------------------------------------------------------------


def check_pinned_images(root, resources, report):
    """Our images are exactly scripts/images.sh's tag; third-party ones a release, never latest."""
    images_sh = root / "scripts" / "images.sh"
    text = images_sh.read_text() if images_sh.is_file() else ""
    report.check("project(ticketing VERSION" in text, "scripts/images.sh",
                 "no longer tags the images with CMakeLists.txt's project VERSION: update "
                 "tests/k8s/validate_manifests.py's image_name()")
    for w, pod in pod_templates(resources):
        for c in all_containers(pod):
            where = f"{w} container {c.get('name')}"
            image = c.get("image") or ""
            name, _, digest = image.partition("@")
            tagged = ":" in name.rsplit("/", 1)[-1]
            repo, _, tag = name.rpartition(":") if tagged else (name, "", "")
            if not report.check(bool(tag) and tag != "latest", where,
                                f"image {image!r} has no pinned tag"):
                continue
            if repo.startswith("ticketing/"):
                expected = image_name(repo.split("/", 1)[1])
                report.check(name == expected, where,
                             f"image {image!r} is not {expected!r} (scripts/images.sh tag)")
                continue
            base = repo.rsplit("/", 1)[-1]
            official = (base, f"library/{base}", f"docker.io/{base}", f"docker.io/library/{base}")
            if not report.check(base in THIRD_PARTY_IMAGES and repo in official, where,
                                f"image {image!r} is not one of ours nor a known third-party "
                                f"image ({sorted(THIRD_PARTY_IMAGES)})"):
                continue
            report.check(re.fullmatch(THIRD_PARTY_IMAGES[base], tag) is not None
                         or digest.startswith("sha256:"), where,
                         f"image {image!r}: the tag must be a release matching "
                         f"{THIRD_PARTY_IMAGES[base]} (or a digest), not a moving tag")


# -- 5. the Ingress --------------------------------------------------------------------------------


def check_ingress_hardening(k8s_dir, resources, report):
    ingresses = by_kind(resources, "Ingress")
    routes = ingress_routes(ingresses)
    if not report.check(bool(ingresses), "Ingress", "none found"):
        return
    for ing in ingresses.values():
        spec = ing.doc.get("spec") or {}
        ann = (ing.doc.get("metadata") or {}).get("annotations") or {}
        a = lambda k: ann.get(f"nginx.ingress.kubernetes.io/{k}")  # noqa: E731
        hosts = [rule.get("host") for rule in spec.get("rules") or []]
        report.check(bool(hosts) and all(h == INGRESS_HOST for h in hosts), str(ing),
                     f"rules' hosts are {hosts}, expected {INGRESS_HOST} (placeholder)")
        tls = spec.get("tls") or []
        tls_hosts = {h for t in tls for h in t.get("hosts") or []}
        report.check(bool(tls) and all(h in tls_hosts for h in hosts), str(ing),
                     f"no tls section covering {hosts}")
        report.check(bool(tls) and all(t.get("secretName") == INGRESS_TLS_SECRET for t in tls),
                     str(ing), f"tls secretName is not {INGRESS_TLS_SECRET}")
        report.check(a("ssl-redirect") != "false" and a("force-ssl-redirect") != "false",
                     str(ing), "turns the redirect to HTTPS off")
        report.check(a("limit-rps") is not None and a("limit-connections") is not None, str(ing),
                     "lacks limit-rps or limit-connections (per-address limits)")
        report.check(a("proxy-next-upstream") == "error timeout", str(ing),
                     f"proxy-next-upstream is {a('proxy-next-upstream')!r}, expected 'error "
                     "timeout' (an answer must never move a request nor fail a replica)")
        for key, limit in (("proxy-connect-timeout", 10), ("proxy-send-timeout", 10),
                           ("proxy-read-timeout", 75)):
            value = a(key)
            report.check(value is not None and value.isdigit() and int(value) <= limit, str(ing),
                         f"{key} is {value!r}, expected at most {limit} s")
        snippet = a("configuration-snippet") or ""
        report.check(re.search(r'more_set_headers\s+"X-Content-Type-Options:\s*nosniff"',
                               snippet) is not None, str(ing),
                     "its configuration-snippet does not set X-Content-Type-Options: nosniff")
        methods = re.search(r"if\s*\(\$request_method\s*!~\s*\^\(([A-Z|]+)\)\$\)\s*\{(.*?)\n\s*\}",
                            snippet, re.S)
        report.check(methods is not None and "return 405" in methods.group(2)
                     and "application/json" in methods.group(2), str(ing),
                     "its configuration-snippet does not refuse other methods with a JSON 405")
        if methods is not None:
            allowed = set(methods.group(1).split("|"))
            report.check(allowed <= {"GET", "HEAD", "POST", "PUT", "DELETE"}, str(ing),
                         f"lets through methods the API does not use: {sorted(allowed)}")
            allow = re.search(r'"Allow:\s*([A-Z, ]+)"', methods.group(2))
            report.check(allow is not None and set(re.split(r",\s*", allow.group(1).strip()))
                         == allowed, str(ing), "its 405 does not send an Allow header listing "
                                                "the methods it lets through")
        no_store = re.search(r'more_set_headers\s+"Cache-Control:\s*no-store"', snippet)
        paths = [p.get("path") for rule in spec.get("rules") or []
                 for p in (rule.get("http") or {}).get("paths") or []]
        private = [p for p in paths if p in PRIVATE_ROUTES]
        public = [p for p in paths if p not in PRIVATE_ROUTES]
        report.check(not private or no_store is not None, str(ing),
                     f"routes {private} are private but get no Cache-Control: no-store")
        report.check(not (private and public), str(ing),
                     f"mixes private routes {private} with public ones {public} (one set of "
                     "headers per Ingress)")
        for forbidden in ("server-snippet", "auth-snippet"):
            report.check(a(forbidden) is None, str(ing), f"uses {forbidden}")
    # Sign-in and sign-up: their own Ingress, Prefix paths, a stricter limit than the rest.
    general = [int(a) for ing in ingresses.values()
               for a in [((ing.doc.get("metadata") or {}).get("annotations") or {}).get(
                   "nginx.ingress.kubernetes.io/limit-rps")]
               if a and a.isdigit()]
    for path in SIGN_IN_ROUTES:
        entries = routes.get(path) or []
        if not report.check(len(entries) == 1, "Ingress", f"no single route for {path}"):
            continue
        ing, p = entries[0]
        report.check(p.get("pathType") == "Prefix", str(ing),
                     f"{path} is not pathType Prefix ({path}/ would escape the limit)")
        ann = (ing.doc.get("metadata") or {}).get("annotations") or {}
        rps = ann.get("nginx.ingress.kubernetes.io/limit-rps", "")
        report.check(rps.isdigit() and int(rps) < max(general), str(ing),
                     f"limit-rps {rps!r} for {path} is not stricter than the general limit")
        others = [x for x in ingress_paths(ing) if x not in SIGN_IN_ROUTES]
        report.check(not others, str(ing), f"limits {others} as strictly as sign-in")
    # The controller's own options: an example ConfigMap, documented, never applied.
    example = k8s_dir / "ingress-nginx-controller.example.yaml"
    where = example.name
    if report.check(example.is_file(), where, "missing (the controller's options)"):
        docs = [d for d in yaml.safe_load_all(example.read_text()) if isinstance(d, dict)]
        data = (docs[0].get("data") or {}) if docs else {}
        report.check(bool(docs) and docs[0].get("kind") == "ConfigMap"
                     and (docs[0].get("metadata") or {}).get("name") == "ingress-nginx-controller",
                     where, "is not the ConfigMap ingress-nginx-controller")
        report.check(data.get("server-tokens") == "false", where, "server-tokens is not \"false\"")
        for key in ("client-header-timeout", "client-body-timeout"):
            v = str(data.get(key, ""))
            report.check(v.isdigit() and int(v) <= 10, where, f"{key} is {v!r}, not at most 10")
        for key in ("limit-req-status-code", "limit-conn-status-code"):
            report.check(str(data.get(key)) == "429", where, f"{key} is not 429")
        report.check(str(data.get("allow-snippet-annotations")) == "true", where,
                     "does not allow the snippets the Ingresses use")
        # Upstream keepalive scaled with the replicas, as the local stack's 256 * (replicas + 1).
        replicas = max([int((d.doc.get("spec") or {}).get("replicas") or 1)
                        for d in by_kind(resources, "Deployment").values()] or [1])
        keepalive = str(data.get("upstream-keepalive-connections", ""))
        report.check(keepalive.isdigit() and int(keepalive) >= 256 * (replicas + 1), where,
                     f"upstream-keepalive-connections {keepalive!r} is under 256 * "
                     f"({replicas} replicas + 1)")
    readme = k8s_dir / "README.md"
    text = readme.read_text() if readme.is_file() else ""
    report.check(f"kubectl -n {NAMESPACE} create secret tls {INGRESS_TLS_SECRET}" in text,
                 "infra/k8s/README.md", f"does not show how to create the Secret "
                                        f"{INGRESS_TLS_SECRET}")


def ingress_paths(ing):
    return [p.get("path") for rule in (ing.doc.get("spec") or {}).get("rules") or []
            for p in (rule.get("http") or {}).get("paths") or []]


# -- 6. NATS monitoring ----------------------------------------------------------------------------


def check_nats_monitoring_port(resources, report):
    sts = by_kind(resources, "StatefulSet").get("nats")
    if not report.check(sts is not None, "StatefulSet/nats", "missing"):
        return
    containers = pod_spec(sts).get("containers") or []
    monitor = [p for c in containers for p in c.get("ports") or []
               if p.get("containerPort") == 8222]
    report.check(bool(monitor), str(sts), "has no monitoring port 8222 (the probes use it)")
    headless = (sts.doc.get("spec") or {}).get("serviceName")
    for s in by_kind(resources, "Service").values():
        spec = s.doc.get("spec") or {}
        if not match_selector({"matchLabels": spec.get("selector") or {}}, pod_labels(sts)) \
                or not spec.get("selector"):
            continue
        if s.name == headless and spec.get("clusterIP") == "None":
            continue  # the members' own DNS names, not a client address
        for p in spec.get("ports") or []:
            target = resolve_port(p.get("targetPort", p.get("port")), containers)
            report.check(target != 8222 and p.get("port") != 8222, str(s),
                         f"exposes the NATS monitoring port (port {p.get('port')} -> "
                         f"{p.get('targetPort')}): keep it off client Services")
    # No exporter or sidecar may publish it either.
    for w in resources:
        if w.kind in WORKLOAD_KINDS and w is not sts:
            for c in pod_spec(w).get("containers") or []:
                for e in c.get("env") or []:
                    report.check(":8222" not in str(e.get("value", "")), str(w),
                                 f"{e.get('name')} points at the NATS monitoring port")


# -- 7. identities inside --------------------------------------------------------------------------


def parse_nats_conf(text):
    """The subset of the nats-server configuration format used here, as Python values.

    Maps ({...} or `key {...}`), arrays, quoted strings, and bare words; a bare $NAME is kept as
    the string "$NAME" with quoted=False, so a variable reference and a quoted subject differ:
    quoted strings come back as Quoted, bare words as str."""
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[{}\[\],=]|[^\s{}\[\],="\']+|\n',
                        re.sub(r"(?m)(^|\s)(#|//).*$", r"\1", text))
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def skip_separators():
        nonlocal pos
        while peek() in ("\n", ","):
            pos += 1

    def value():
        nonlocal pos
        while peek() == "\n":
            pos += 1
        tok = peek()
        pos += 1
        if tok == "{":
            return mapping("}")
        if tok == "[":
            items = []
            while True:
                skip_separators()
                if peek() == "]":
                    pos += 1
                    return items
                if peek() is None:
                    raise ValueError("unterminated array")
                items.append(value())
        if tok and tok[0] in "\"'":
            return Quoted(tok[1:-1])
        return tok

    def mapping(end):
        nonlocal pos
        out = {}
        while True:
            skip_separators()
            tok = peek()
            if tok == end:
                pos += 1
                return out
            if tok is None:
                if end is None:
                    return out
                raise ValueError("unterminated block")
            pos += 1
            if tok[0] in "\"'":
                key = tok[1:-1]
            else:
                # A bare key ends at ':' (`listen: 0.0.0.0:4222`, `user:auth`).
                key, colon, rest = tok.partition(":")
                if colon and rest:
                    out[key] = rest
                    continue
            if peek() in (":", "="):
                pos += 1
            out[key] = value()

    return mapping(None)


class Quoted(str):
    """A quoted string of a nats-server configuration (never a variable reference)."""


def env_entries(container):
    return {e.get("name"): e for e in container.get("env") or []}


def service_envs(resources):
    """(service, its Deployment, {name: env entry} of its container) for each service here."""
    deployments = by_kind(resources, "Deployment")
    for svc in SERVICES:
        d = deployments.get(svc)
        if d is not None:
            yield svc, d, env_entries((pod_spec(d).get("containers") or [{}])[0])


def secret_ref(entry):
    ref = ((entry or {}).get("valueFrom") or {}).get("secretKeyRef") or {}
    return (ref.get("name"), ref.get("key")) if ref else None


def resolve_env_secret(env, name, seen=()):
    """The Secret (name, key) an env variable's value comes from, through $(VAR) references."""
    e = env.get(name)
    if e is None or name in seen:
        return None
    ref = secret_ref(e)
    if ref:
        return ref
    m = re.fullmatch(r"""['"]?\$\(([A-Za-z_][A-Za-z0-9_]*)\)['"]?""", str(e.get("value", "")))
    return resolve_env_secret(env, m.group(1), seen + (name,)) if m else None


def dead_letter_pattern(root, report):
    """The NATS wildcard of the dead-letter subjects, from events.cpp's DeadLetterSubject."""
    src = root / "common" / "src" / "events" / "events.cpp"
    text = src.read_text() if src.is_file() else ""
    m = re.search(r'DeadLetterSubject\([^)]*\)\s*\{\s*return\s+"([^"]+)"\s*\+', text)
    if not report.check(m is not None, "common/src/events/events.cpp",
                        "DeadLetterSubject is not `return \"<prefix>\" + subject`: update "
                        "tests/k8s/validate_manifests.py"):
        return None
    return m.group(1) + ">"


def code_subjects(root):
    """Every subject the code declares (common/include/common/events/events.hpp)."""
    hpp = root / "common" / "include" / "common" / "events" / "events.hpp"
    text = hpp.read_text() if hpp.is_file() else ""
    return set(re.findall(r'constexpr\s+Subject\s+k\w+\s*\{\s*"([^"]+)"\s*\}', text))


def check_nats_users(root, resources, report):
    sts = by_kind(resources, "StatefulSet").get("nats")
    if sts is None:
        return
    where = f"{sts} nats.conf"
    conf_text = mounted_config(sts, by_kind(resources, "ConfigMap"), ".conf")
    try:
        conf = parse_nats_conf(conf_text)
    except (ValueError, IndexError) as e:
        report.fail(where, f"does not parse: {e}")
        return
    auth = conf.get("authorization")
    if not report.check(isinstance(auth, dict) and isinstance(auth.get("users"), list), where,
                        "has no authorization { users: [...] }: anyone who reaches NATS may "
                        "publish anything"):
        return
    report.check("no_auth_user" not in conf, where, "sets no_auth_user (clients without "
                                                   "credentials)")
    for key in ("token", "user", "password"):
        report.check(key not in auth, where, f"authorization has a shared {key}")
    users = {u.get("user"): u for u in auth["users"] if isinstance(u, dict)}
    expected_users = set(NATS_OWNED_SUBJECTS) | {NATS_OPS_USER}
    report.check(set(users) == expected_users, where,
                 f"users are {sorted(map(str, users))}, expected {sorted(expected_users)}")
    env = env_entries((pod_spec(sts).get("containers") or [{}])[0])
    dlq = dead_letter_pattern(root, report)
    for name, u in users.items():
        pw = u.get("password")
        ok = isinstance(pw, str) and not isinstance(pw, Quoted) and pw.startswith("$")
        if report.check(ok, where, f"user {name}'s password is not a $VARIABLE from the "
                                   "environment (a literal in a ConfigMap is no secret)"):
            report.check(resolve_env_secret(env, pw[1:]) == ("nats-users", name), str(sts),
                         f"{pw[1:]} (user {name}'s password) does not come from Secret "
                         f"nats-users key {name}")
            value = str((env.get(pw[1:]) or {}).get("value", ""))
            report.check(secret_ref(env.get(pw[1:])) is None and value.startswith('"')
                         and value.endswith('"'), str(sts),
                         f"{pw[1:]} is not the password quoted (\"$(...)\"): nats-server would "
                         "read a hex password such as 0e12 as a number")
    owners = {}
    for name, subjects in NATS_OWNED_SUBJECTS.items():
        u = users.get(name)
        if u is None:
            continue
        perms = u.get("permissions") or {}
        pub = perms.get("publish") or {}
        allow = pub.get("allow") if isinstance(pub, dict) else pub
        allow = [allow] if isinstance(allow, str) else list(allow or [])
        unquoted = [s for s in allow if not isinstance(s, Quoted)]
        report.check(not unquoted, where, f"user {name}: unquoted subjects {unquoted} ($... "
                                          "would be variable references)")
        expected = set(subjects) | set(NATS_COMMON_PUBLISH) | ({dlq} if dlq else set())
        report.check(set(allow) == expected, where,
                     f"user {name} may publish {sorted(allow)}, expected {sorted(expected)}")
        report.check(not (isinstance(pub, dict) and pub.get("deny")), where,
                     f"user {name}: a deny list instead of an exact allow list")
        sub = perms.get("subscribe") or {}
        sub_allow = sub.get("allow") if isinstance(sub, dict) else sub
        report.check(sub_allow in (">", [">"]), where,
                     f"user {name} may not subscribe to everything ({sub_allow!r})")
        for s in allow:
            owners.setdefault(s, []).append(name)
    ops = users.get(NATS_OPS_USER) or {}
    report.check(not ops.get("permissions"), where,
                 f"user {NATS_OPS_USER} (operators' tools) has restricted permissions")
    for subject in sorted(code_subjects(root)):
        report.check(len(owners.get(subject, [])) == 1, where,
                     f"subject {subject} (events.hpp) is published by {owners.get(subject, [])}, "
                     "expected exactly one service (update NATS_OWNED_SUBJECTS and nats.yaml)")
    # The services: their own user, the password from the same Secret key, no credentials in URLs.
    for svc, d, e in service_envs(resources):
        report.check((e.get("NATS_USER") or {}).get("value") == svc, str(d),
                     f"NATS_USER is not {svc!r}")
        report.check(secret_ref(e.get("NATS_PASSWORD")) == ("nats-users", svc), str(d),
                     f"NATS_PASSWORD does not come from Secret nats-users key {svc}")
        report.check("@" not in str((e.get("NATS_URL") or {}).get("value", "nats://nats:4222")),
                     str(d), "NATS_URL carries credentials (they would be logged)")
        report.check("NATS_URL" in e, str(d), "does not set NATS_URL")


def check_redis_identity(resources, report):
    sts = by_kind(resources, "StatefulSet").get("redis")
    if sts is None:
        return
    conf = mounted_config(sts, by_kind(resources, "ConfigMap"), ".conf")
    report.check(re.search(r"^\s*protected-mode\s+yes\s*$", conf, re.M) is not None, str(sts),
                 "redis.conf does not say protected-mode yes")
    report.check(re.search(r"^\s*(aclfile|requirepass|user)\s", conf, re.M) is not None, str(sts),
                 "redis.conf has no aclfile, user or requirepass: no authentication")
    report.check(re.search(r"^\s*requirepass\s+[^$\s]", conf, re.M) is None
                 and re.search(r"^\s*user\s.*\s>[^\s]", conf, re.M) is None, str(sts),
                 "redis.conf holds a literal password")
    c = (pod_spec(sts).get("containers") or [{}])[0]
    env = env_entries(c)
    command = " ".join(map(str, (c.get("command") or []) + (c.get("args") or [])))
    report.check(resolve_env_secret(env, "REDIS_PASSWORD") == ("redis-users", "expiration"),
                 str(sts), "REDIS_PASSWORD does not come from Secret redis-users key expiration")
    report.check(re.search(r"user default off", command) is not None
                 and re.search(r"user expiration on", command) is not None, str(sts),
                 "its command does not turn the default user off and the user expiration on")
    probe = " ".join(map(str, ((c.get("readinessProbe") or {}).get("exec") or {}).get(
        "command") or []))
    report.check("--user expiration" in probe and " -a " not in f" {probe} "
                 and "--pass" not in probe, str(sts),
                 "the readiness probe does not authenticate as expiration with the password "
                 "from the environment (REDISCLI_AUTH), or puts it on the command line")
    report.check(resolve_env_secret(env, "REDISCLI_AUTH") == ("redis-users", "expiration"),
                 str(sts), "REDISCLI_AUTH (the probe's password) does not come from the Secret")
    d = by_kind(resources, "Deployment").get("expiration")
    if d is None:
        return
    c = (pod_spec(d).get("containers") or [{}])[0]
    names = [e.get("name") for e in c.get("env") or []]
    e = env_entries(c)
    url = str((e.get("REDIS_URL") or {}).get("value", ""))
    m = re.fullmatch(r"redis://expiration:\$\(([A-Z_]+)\)@redis:6379/\d+", url)
    if report.check(m is not None, str(d), f"REDIS_URL is {url!r}, expected "
                                           "redis://expiration:$(REDIS_PASSWORD)@redis:6379/0"):
        var = m.group(1)
        report.check(secret_ref(e.get(var)) == ("redis-users", "expiration"), str(d),
                     f"{var} does not come from Secret redis-users key expiration")
        report.check(var in names and names.index(var) < names.index("REDIS_URL"), str(d),
                     f"{var} is not defined before REDIS_URL (Kubernetes expands only earlier "
                     "variables)")


def check_postgres_identity(resources, report):
    for svc in DATABASE_SERVICES:
        sts = by_kind(resources, "StatefulSet").get(f"{svc}-postgres")
        if sts is None:
            continue
        e = env_entries((pod_spec(sts).get("containers") or [{}])[0])
        report.check(secret_ref(e.get("POSTGRES_PASSWORD")) == (f"{svc}-postgres", "password"),
                     str(sts), f"POSTGRES_PASSWORD does not come from Secret {svc}-postgres "
                               "key password")
        report.check("POSTGRES_HOST_AUTH_METHOD" not in e, str(sts),
                     "sets POSTGRES_HOST_AUTH_METHOD (trust would skip the password)")
        d = by_kind(resources, "Deployment").get(svc)
        if d is None:
            continue
        de = env_entries((pod_spec(d).get("containers") or [{}])[0])
        db = de.get("DATABASE_URL") or {}
        url = str(db.get("value", ""))
        from_secret = secret_ref(db) == (f"{svc}-postgres", "database-url")
        m = re.fullmatch(rf"postgres(?:ql)?://\w+:\$\(([A-Z_]+)\)@{svc}-postgres:5432/\w+", url)
        expanded = m is not None and resolve_env_secret(de, m.group(1)) == (f"{svc}-postgres",
                                                                           "password")
        report.check(from_secret or expanded, str(d),
                     f"DATABASE_URL comes neither from Secret {svc}-postgres key database-url "
                     "nor from its password by $(...) expansion")


def check_session_keys(resources, report):
    for svc, d, e in service_envs(resources):
        pod = pod_spec(d)
        c = (pod.get("containers") or [{}])[0]
        volumes = {v.get("name"): v for v in pod.get("volumes") or []}
        mounts = {m.get("mountPath"): volumes.get(m.get("name")) or {}
                  for m in c.get("volumeMounts") or []}

        def source(volume):
            return ((volume.get("secret") or {}).get("secretName")
                    or (volume.get("configMap") or {}).get("name"))

        jwt_mounts = [p for p, v in mounts.items() if str(source(v)).startswith("jwt-")]
        report.check("JWT_KEY" not in e, str(d), "sets JWT_KEY: sessions are ES256, no shared key")
        for ref in (secret_ref(x) for x in e.values()):
            report.check(ref is None or ref[1] != "jwt-key", str(d),
                         "reads the old shared jwt-key")
        if svc == "expiration":
            report.check(not [n for n in e if n.startswith("JWT_")] and not jwt_mounts, str(d),
                         "holds session key material, which expiration never needs")
            continue
        keys_dir = str((e.get("JWT_PUBLIC_KEYS_DIR") or {}).get("value", ""))
        report.check(source(mounts.get(keys_dir.rstrip("/"), {})) == "jwt-public-keys", str(d),
                     f"JWT_PUBLIC_KEYS_DIR ({keys_dir!r}) is not where jwt-public-keys is mounted")
        if svc != "auth":
            report.check("JWT_PRIVATE_KEY_FILE" not in e and not any(
                source(v) == "jwt-signing-key" for v in mounts.values()), str(d),
                         "holds the signing key: only auth may mint sessions")
            continue
        key_file = str((e.get("JWT_PRIVATE_KEY_FILE") or {}).get("value", ""))
        directory, _, file_name = key_file.rpartition("/")
        volume = mounts.get(directory) or {}
        secret = volume.get("secret") or {}
        items = {i.get("path"): i.get("key") for i in secret.get("items") or []}
        report.check(secret.get("secretName") == "jwt-signing-key"
                     and (not items or file_name in items), str(d),
                     f"JWT_PRIVATE_KEY_FILE ({key_file!r}) is not a file of the mounted Secret "
                     "jwt-signing-key")
        mode = secret.get("defaultMode", 0o644)
        report.check(not mode & 0o007, str(d),
                     f"the signing key's volume mode {oct(mode)} lets other users read it")
        report.check("JWT_KEY_ID" in e, str(d), "does not set JWT_KEY_ID (the kid)")


def check_service_settings(resources, report):
    for svc, d, e in service_envs(resources):
        report.check((e.get("HTTP_ADDRESS") or {}).get("value") == "0.0.0.0", str(d),
                     "does not set HTTP_ADDRESS: \"0.0.0.0\" (the pod's address is how the "
                     "Service reaches it)")
        if svc != "payments":
            continue
        report.check((e.get("PAYMENT_GATEWAY") or {}).get("value") == "stripe", str(d),
                     "PAYMENT_GATEWAY is not stripe")
        key = (e.get("STRIPE_KEY") or {}).get("valueFrom", {}).get("secretKeyRef") or {}
        report.check((key.get("name"), key.get("key")) == SECRET_REFS["STRIPE_KEY"]
                     and not key.get("optional"), str(d),
                     "STRIPE_KEY does not come (required) from Secret ticketing-secrets")
        pk = (e.get("STRIPE_PUBLISHABLE_KEY") or {}).get("valueFrom", {}).get("secretKeyRef") or {}
        report.check((pk.get("name"), pk.get("key")) == SECRET_REFS["STRIPE_PUBLISHABLE_KEY"]
                     and pk.get("optional") is True, str(d),
                     "STRIPE_PUBLISHABLE_KEY does not come (optional) from Secret "
                     "ticketing-secrets")


SECRETISH_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|_KEY|AUTH)$")


def check_no_literal_passwords(resources, report):
    """No password in a manifest: env values, commands and ConfigMaps hold references only."""
    for w, pod in pod_templates(resources):
        for c in all_containers(pod):
            where = f"{w} container {c.get('name')}"
            env = env_entries(c)
            for name, e in env.items():
                if "value" not in e:
                    continue
                value = str(e.get("value"))
                if SECRETISH_NAME.search(name):
                    report.check(resolve_env_secret(env, name) is not None, where,
                                 f"{name} is a literal value: take it from a Secret")
                for user_pw in re.findall(r"://[^/@\s:]*:([^@/\s]+)@", value):
                    m = re.fullmatch(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", user_pw)
                    report.check(m is not None and resolve_env_secret(env, m.group(1)), where,
                                 f"{name} carries a literal password in its URL")
            args = " ".join(map(str, (c.get("command") or []) + (c.get("args") or [])))
            report.check(re.search(r"(\s-a\s|--pass\b|--requirepass\s+[^$])", f" {args} ") is None,
                         where, "passes a password on the command line")
    for cm in by_kind(resources, "ConfigMap").values():
        for key, text in ((cm.doc.get("data") or {}).items()):
            text = re.sub(r"(?m)(^|\s)#.*$", r"\1", str(text))  # comments say "password" freely
            literal = [m.group(2) for m in re.finditer(
                r"\b(password|pass|token)\s*[:=]\s*([^\s,}\]]+)", text)
                if not m.group(2).startswith("$")]
            literal += re.findall(r"(?m)^\s*requirepass\s+(\S+)", text)
            literal += re.findall(r"(?m)^\s*user\s.*\s(>\S+)", text)
            literal += re.findall(r"://[^/@\s:$]*:([^@/\s$]+)@", text)
            report.check(not literal, f"{cm} {key}", "holds a literal password")


def check_identities(root, resources, report):
    check_nats_users(root, resources, report)
    check_redis_identity(resources, report)
    check_postgres_identity(resources, report)
    check_session_keys(resources, report)
    check_service_settings(resources, report)
    check_no_literal_passwords(resources, report)


# -- 8. securityContext ----------------------------------------------------------------------------


def check_security_context(resources, report):
    for w, pod in pod_templates(resources):
        psc = pod.get("securityContext") or {}
        for c in all_containers(pod):
            where = f"{w} container {c.get('name')}"
            sc = c.get("securityContext") or {}
            report.check(sc.get("allowPrivilegeEscalation") is False, where,
                         "does not set allowPrivilegeEscalation: false")
            report.check("ALL" in ((sc.get("capabilities") or {}).get("drop") or []), where,
                         "does not drop ALL capabilities")
            report.check(not (sc.get("capabilities") or {}).get("add"), where, "adds capabilities")
            report.check(sc.get("readOnlyRootFilesystem") is True, where,
                         "its root filesystem is not read-only")
            report.check(sc.get("privileged") is not True, where, "is privileged")
            seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            report.check(seccomp in ("RuntimeDefault", "Localhost"), where,
                         "has no seccompProfile RuntimeDefault")
        report.check(not pod.get("hostNetwork") and not pod.get("hostPID")
                     and not pod.get("hostIPC"), str(w), "shares a host namespace")


# ---- main ----------------------------------------------------------------------------------------


def main(argv):
    args = [a for a in argv[1:] if a != "--images"]
    if len(args) != 1:
        print(f"usage: {argv[0]} <project root> [--images]", file=sys.stderr)
        return 2
    root = pathlib.Path(args[0]).resolve()
    global VERSION
    VERSION = project_version(root)
    k8s_dir = root / "infra" / "k8s"
    report = Report()
    if not report.check(k8s_dir.is_dir(), "infra/k8s", "missing"):
        print(report.failures[0])
        return 1
    report.section("manifests")
    parsed = load_yaml_files(k8s_dir, report)
    resources = load_kustomization(k8s_dir, parsed, report)
    secrets = load_secrets_example(k8s_dir, parsed, report)
    report.check(VERSION is not None, "CMakeLists.txt", "no project VERSION (the images' tag)")
    checks = [
        ("workloads", lambda: check_workloads(resources, report)),
        ("services", lambda: check_services(resources, report)),
        ("ingress", lambda: check_ingress(resources, report)),
        ("nats", lambda: check_nats(resources, report)),
        ("redis", lambda: check_redis(resources, report)),
        ("postgres", lambda: check_postgres(resources, report)),
        ("environment", lambda: check_environment(root, resources, secrets, report)),
        ("secret-refs", lambda: check_secret_refs(resources, secrets, report)),
        ("docker", lambda: check_docker(root, resources, report)),
        ("probe-paths", lambda: check_probe_paths(root, report)),
        ("web", lambda: check_web(root, resources, report)),
        # DESIGN.md section 13, items 1 to 8 of the Kubernetes hardening (issue 16)
        ("network-policies", lambda: check_network_policies(resources, report)),
        ("service-account-tokens", lambda: check_service_account_tokens(resources, report)),
        ("disruption-budgets", lambda: check_disruption_budgets(resources, report)),
        ("pinned-images", lambda: check_pinned_images(root, resources, report)),
        ("ingress-hardening", lambda: check_ingress_hardening(k8s_dir, resources, report)),
        ("nats-monitoring-port", lambda: check_nats_monitoring_port(resources, report)),
        ("identities", lambda: check_identities(root, resources, report)),
        ("security-context", lambda: check_security_context(resources, report)),
    ]
    if "--images" in argv[1:]:
        checks.append(("built-images", lambda: check_built_images(root, resources, report)))
    for name, run in checks:
        report.section(name)
        run()
    for line in report.failures:
        print(line)
    for name, (count, failed) in report.by_name.items():
        print(f"check {name}: {count - failed}/{count} passed" + (" FAILED" if failed else ""))
    print(f"k8s manifests: {report.checks} checks, {len(report.failures)} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
