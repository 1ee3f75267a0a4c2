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

Prints one line per failed check, "FAIL <file or resource>: <what is wrong>", and exits 1 when any
check failed (2 for a usage error), 0 otherwise. Needs PyYAML (Debian package python3-yaml).
"""

import ast
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
    "JWT_KEY": ("ticketing-secrets", "jwt-key"),
    "STRIPE_KEY": ("ticketing-secrets", "stripe-key"),
}
# Variables a Deployment may set although no service code reads them, with the reason. Empty:
# every variable the manifests set is read by the code. Add one here only with a comment saying
# who reads it.
DOCUMENTED_EXTRA_VARS = {}
# The variable that sets the replicas of the streams a service provisions (common/src/config).
STREAM_REPLICAS_VAR = "NATS_STREAM_REPLICAS"
# What every value in secrets.example.yaml must contain: it is an example, never a real secret.
PLACEHOLDER = "REPLACE_ME"

WORKLOAD_KINDS = ("Deployment", "StatefulSet")


class Report:
    """Collects check results; one line per failure."""

    def __init__(self):
        self.checks = 0
        self.failures = []

    def check(self, ok, where, message):
        self.checks += 1
        if not ok:
            self.failures.append(f"FAIL {where}: {message}")
        return ok

    def fail(self, where, message):
        return self.check(False, where, message)


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
        report.check(target.name != "secrets.example.yaml", where,
                     "secrets.example.yaml must not be applied: it holds placeholders")
        for d in parsed.get(target, parsed.get(k8s_dir / entry, [])):
            r = Resource(d, target)
            report.check(r.kind != "Secret", str(r),
                         "a Secret in the kustomization would put secret values in Git")
            resources.append(r)
    # A manifest nobody lists is a manifest nobody applies.
    for p in parsed:
        if p.name in ("kustomization.yaml", "secrets.example.yaml"):
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


def check_image_tags(resources, report):
    """Every image of every workload names a pinned tag: never latest, never none."""
    for kind in WORKLOAD_KINDS:
        for w in by_kind(resources, kind).values():
            pod = pod_spec(w)
            for c in (pod.get("containers") or []) + (pod.get("initContainers") or []):
                image = c.get("image") or ""
                tag = image.rsplit("/", 1)[-1].partition(":")[2]
                report.check(bool(tag) and tag != "latest", f"{w} container {c.get('name')}",
                             f"image {image!r} has no pinned tag")


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


def check_ingress(resources, report):
    ingresses = by_kind(resources, "Ingress")
    services = by_kind(resources, "Service")
    if not report.check(len(ingresses) == 1, "Ingress", f"expected one, found {len(ingresses)}"):
        return
    ing = next(iter(ingresses.values()))
    report.check(ing.doc.get("apiVersion") == "networking.k8s.io/v1", str(ing),
                 "apiVersion is not networking.k8s.io/v1")
    spec = ing.doc.get("spec") or {}
    report.check(spec.get("ingressClassName") == "nginx", str(ing), "ingressClassName is not nginx")
    annotations = (ing.doc.get("metadata") or {}).get("annotations") or {}
    report.check(annotations.get("nginx.ingress.kubernetes.io/proxy-body-size") == "1m", str(ing),
                 "no nginx.ingress.kubernetes.io/proxy-body-size: 1m annotation")
    report.check("nginx.ingress.kubernetes.io/limit-rps" in annotations, str(ing),
                 "no nginx.ingress.kubernetes.io/limit-rps annotation")
    routes = {}
    for rule in spec.get("rules") or []:
        for p in (rule.get("http") or {}).get("paths") or []:
            routes[p.get("path")] = p
    for path, svc in INGRESS_ROUTES.items():
        p = routes.get(path)
        if not report.check(p is not None, str(ing), f"no route for {path}"):
            continue
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
        report.check(path in INGRESS_ROUTES, str(ing), f"unexpected route {path}")


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
            report.check(c.get("image") == "postgres:15", str(sts),
                         f"image is {c.get('image')!r}, expected postgres:15")
            env = {e.get("name"): e for e in c.get("env") or []}
            pw = env.get("POSTGRES_PASSWORD") or {}
            report.check("secretKeyRef" in (pw.get("valueFrom") or {}), str(sts),
                         "POSTGRES_PASSWORD does not come from a Secret")


# ---- environment vs. the C++ configuration code --------------------------------------------------

READ_CALL = re.compile(r"\.\s*(Required|Optional|Int|OneOf)\s*\(\s*\"([A-Z][A-Z0-9_]*)\"")
GETENV_CALL = re.compile(r"getenv\s*\(\s*\"([A-Z][A-Z0-9_]*)\"")
INT_CALL = re.compile(
    r"\.\s*Int\s*\(\s*\"([A-Z][A-Z0-9_]*)\"\s*,\s*([^,()]+)\s*,\s*([^,()]+)\s*,\s*([^,()]+)\)")
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
    if uses_common:
        for p in sorted((root / "common" / "src" / "config").glob("*.cpp")):
            spec.scan(p, root)
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
            report.check("JWT_KEY" in spec.required, f"{svc}/src",
                         "the scanner found no env.Required(\"JWT_KEY\") in common/src/config: "
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
                report.check(name not in SECRET_REFS and name != "DATABASE_URL", where,
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
    parsed = load_yaml_files(k8s_dir, report)
    resources = load_kustomization(k8s_dir, parsed, report)
    secrets = load_secrets_example(k8s_dir, parsed, report)
    check_workloads(resources, report)
    check_services(resources, report)
    check_ingress(resources, report)
    check_nats(resources, report)
    check_redis(resources, report)
    check_postgres(resources, report)
    check_environment(root, resources, secrets, report)
    check_secret_refs(resources, secrets, report)
    check_docker(root, resources, report)
    check_image_tags(resources, report)
    check_probe_paths(root, report)
    check_web(root, resources, report)
    report.check(VERSION is not None, "CMakeLists.txt", "no project VERSION (the images' tag)")
    if "--images" in argv[1:]:
        check_built_images(root, resources, report)
    for line in report.failures:
        print(line)
    print(f"k8s manifests: {report.checks} checks, {len(report.failures)} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
