#!/usr/bin/env python3
"""Status of the local stack (scripts/run.sh status).

Shows each process (supervisord's view) and each service replica's readiness; for each
JetStream consumer its pending and ack-pending counts and redeliveries; the outbox backlog of each
service; the expiration queue; the dead-letter count; with --observe, Prometheus's address,
readiness and firing alerts. Reads the ports scripts/run.sh saved in <run dir>/stack.env. Exit
status: 0 when every process runs and every replica (and Prometheus) is ready, 1 otherwise.
Standard library only.
"""
import argparse
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request

SERVICES = ["auth", "tickets", "orders", "expiration", "payments"]


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key] = value
    return env


def http_get(url, timeout=2.0):
    """(status, body); status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError):
        return 0, ""


def metric(text, name):
    """Sum of every sample of a Prometheus metric (no labels needed), or None."""
    total = None
    for line in text.splitlines():
        m = re.match(r"^" + re.escape(name) + r"(\{[^}]*\})?\s+([-+0-9.eE]+|NaN)$", line)
        if m:
            total = (total or 0.0) + float(m.group(2))
    return total


def prometheus_status(env):
    """Prometheus of `scripts/run.sh start --observe`: its URL, readiness and firing alerts
    (name and labels other than severity), or None when the stack was started without it."""
    if env.get("OBSERVE", "0") != "1":
        return None
    url = "http://127.0.0.1:%s" % env["PROMETHEUS_PORT"]
    ready_status, _ = http_get(url + "/-/ready")
    firing = []
    status, body = http_get(url + "/api/v1/alerts")
    if status == 200:
        for alert in json.loads(body).get("data", {}).get("alerts", []):
            if alert.get("state") == "firing":
                labels = dict(alert.get("labels", {}))
                name = labels.pop("alertname", "?")
                labels.pop("severity", None)
                firing.append("%s{%s}" % (name, ",".join("%s=%s" % kv for kv in sorted(labels.items()))))
    return {"url": url, "ready": ready_status == 200, "firing": sorted(firing)}


def service_port(env, svc, replica):
    # As scripts/run.sh recorded it (its service_port is the one place that computes it).
    return int(env[f"SERVICE_PORT_{svc}_{replica}"])


def table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)] if rows else [len(h) for h in headers]
    line = "  ".join("{:<%d}" % w for w in widths)
    out = [line.format(*headers), line.format(*["-" * w for w in widths])]
    out += [line.format(*[str(x) for x in row]) for row in rows]
    return "\n".join("  " + l for l in out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    args = parser.parse_args()
    env = read_env(args.run_dir + "/stack.env")
    replicas = int(env["REPLICAS"])
    healthy = True
    report = {}

    # processes
    ctl = subprocess.run(["supervisorctl", "-c", args.run_dir + "/supervisord.conf", "status"],
                         capture_output=True, text=True)
    processes = []
    for line in ctl.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2:
            processes.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    if not processes:
        print("the stack is not running (supervisord does not answer)")
        return 1
    report["processes"] = [{"name": n, "state": s, "info": i} for n, s, i in processes]
    healthy &= all(s == "RUNNING" for _, s, _ in processes)

    # readiness, outbox, expiration queue
    replica_rows = []
    outbox = {}
    expiration = {}
    payments = {}
    for svc in SERVICES:
        for i in range(replicas):
            port = service_port(env, svc, i)
            status, body = http_get("http://127.0.0.1:%d/readyz" % port)
            ready = "ready" if status == 200 else ("down" if status == 0 else "NOT READY " + body.strip()[:60])
            healthy &= status == 200
            _, text = http_get("http://127.0.0.1:%d/metrics" % port)
            backlog = metric(text, "outbox_backlog")
            if backlog is not None:
                outbox[svc] = max(outbox.get(svc, 0), backlog)
            if svc == "payments":
                # One database for every replica: each reports the same count (-1: database down).
                failed = metric(text, "payments_failed_settlements")
                if failed is not None and failed >= 0:
                    payments["failed_settlements"] = max(payments.get("failed_settlements", 0), failed)
            if svc == "expiration":
                for key in ("expiration_queue_depth", "expiration_active_jobs", "expiration_jobs_fired_total"):
                    v = metric(text, key)
                    if v is not None:
                        # The queue gauges are queue-wide: every replica reports the same queue.
                        expiration[key] = max(expiration.get(key, 0), v) if "total" not in key else expiration.get(key, 0) + v
            replica_rows.append(("%s-%d" % (svc, i), port, ready,
                                 "-" if backlog is None else "%d" % backlog))
    report["replicas"] = [dict(zip(("name", "port", "ready", "outbox_backlog"), r)) for r in replica_rows]
    report["expiration"] = expiration
    report["payments"] = payments

    # JetStream. On a cluster every server reports its own copy of each consumer, and only the
    # leader's copy is current: take each consumer (and stream) from the server that leads it.
    consumers = []
    streams = {}
    status = 0
    for node in range(int(env.get("NATS_NODES", "1"))):
        monitor = int(env["NATS_MONITOR_PORT"]) + node
        code, body = http_get("http://127.0.0.1:%d/jsz?accounts=true&streams=true&consumers=true" % monitor)
        _, varz = http_get("http://127.0.0.1:%d/varz" % monitor)
        if code != 200:
            continue
        status = 200
        name = json.loads(varz).get("server_name", "") if varz else ""
        leads = lambda item: (item.get("cluster") or {}).get("leader", name) == name
        for account in json.loads(body).get("account_details", []) or []:
            for stream in account.get("stream_detail", []) or []:
                if leads(stream):
                    streams[stream["name"]] = stream.get("state", {}).get("messages", 0)
                for c in stream.get("consumer_detail", []) or []:
                    if leads(c):
                        consumers.append((c.get("name", "?"), c.get("num_pending", 0),
                                          c.get("num_ack_pending", 0), c.get("num_redelivered", 0)))
    if status != 200:
        healthy = False
    consumers.sort()
    report["streams"] = streams
    report["consumers"] = [dict(zip(("name", "pending", "ack_pending", "redelivered"), c)) for c in consumers]
    prometheus = prometheus_status(env)
    if prometheus is not None:
        report["prometheus"] = prometheus
        healthy &= prometheus["ready"]
    report["healthy"] = healthy

    if args.json:
        print(json.dumps(report, indent=2))
        return 0 if healthy else 1

    print("processes")
    print(table(("name", "state", "info"), processes))
    print("\nservices")
    print(table(("replica", "port", "readiness", "outbox backlog"), replica_rows))
    print("\nevents")
    if status != 200:
        print("  no nats-server monitoring port answers (from :%s)" % env["NATS_MONITOR_PORT"])
    else:
        print("  TICKETING: %s events   TICKETING_DLQ (dead letters): %s"
              % (streams.get("TICKETING", 0), streams.get("TICKETING_DLQ", 0)))
        print(table(("consumer", "pending", "ack pending", "redelivered"), consumers))
    print("\nexpiration queue")
    if expiration:
        print("  waiting: %d   running: %d   fired (since the replicas started): %d"
              % (expiration.get("expiration_queue_depth", 0), expiration.get("expiration_active_jobs", 0),
                 expiration.get("expiration_jobs_fired_total", 0)))
    else:
        print("  unknown (expiration does not answer)")
    print("\npayments")
    if "failed_settlements" in payments:
        failed = int(payments["failed_settlements"])
        print("  captures or releases refused for good by the gateway: %d%s"
              % (failed, "  (payments with status failed: see the payments log's errors)" if failed else ""))
    else:
        print("  unknown (payments does not answer)")
    if prometheus is not None:
        print("\nprometheus (alert rules: infra/prometheus/alerts.yml)")
        print("  %s  %s   alerts firing: %s"
              % (prometheus["url"], "ready" if prometheus["ready"] else "NOT READY",
                 ", ".join(prometheus["firing"]) or "none"))
    print("\n%s" % ("all processes running and ready" if healthy else "NOT HEALTHY: see above"))
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
