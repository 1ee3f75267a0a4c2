"""Probes of what lies behind the ingress, reached directly as anything on the machine (or in
the cluster) could: the services bind loopback only and answer what they refuse instead of
closing; their router takes one canonical path form; NATS wants a user and limits what each
may publish; Redis wants a password; the payments service refuses to start without an explicit
gateway, or with stripe and no key.
"""

import subprocess
from pathlib import Path

import client
from client import error_problems, raw
from harness import Failed, ProbeList, check
from stack import SERVICES

PROBES = ProbeList()


@PROBES.add
def services_bind_loopback(ctx):
    """No port of the stack listens beyond loopback (ss -ltn, read from /proc)."""
    listening = client.listening_sockets()
    wide, absent, checked = [], [], 0
    for name, port in ctx.stack.stack_ports().items():
        addresses = listening.get(port)
        if not addresses:
            absent.append(name)
            continue
        checked += 1
        for address in addresses:
            if not (address.startswith("127.") or address == "::1"):
                wide.append(f"{name} :{port} on {address}")
    check(not wide, "; ".join(wide))
    note = f" ({', '.join(absent)} not listening)" if absent else ""
    return f"{checked} ports of the stack listen on loopback only{note}"


def _route_of(service):
    return {"auth": "/api/users/currentuser", "tickets": "/api/tickets", "orders": "/api/orders",
            "payments": "/api/payments", "expiration": "/metrics"}[service]


@PROBES.add
def direct_unknown_method_answered(ctx):
    """A service answers an unknown method with JSON instead of closing."""
    seen = []
    for service in SERVICES:
        port = ctx.stack.service_port(service)
        for path in ("/", _route_of(service)):
            got = raw(port, f"FOO {path} HTTP/1.1\r\nHost: probe\r\n\r\n".encode(), deadline_s=10)
            problems = error_problems(got, through_ingress=False)
            check(got.status in (400, 405, 501) and not problems,
                  f"{service} FOO {path}: {got}{': ' if problems else ''}{'; '.join(problems)}")
            seen.append(got.status)
    return f"every service answers FOO with JSON ({', '.join(map(str, sorted(set(seen))))})"


@PROBES.add
def direct_malformed_request_answered(ctx):
    """A service answers requests it cannot parse with a JSON 4xx."""
    port = ctx.stack.service_port("tickets")
    for data in (b"GET /a b c HTTP/1.1\r\nHost: probe\r\n\r\n",
                 b"GET /api/tickets HTTP/1.1\r\nHost: probe\r\nBad Header\r\n\r\n",
                 b"GET /api/tickets HTTP/1.1\r\nHost: probe\r\nContent-Length: 1\r\n"
                 b"Content-Length: 2\r\n\r\nab",
                 b"GET /api/tickets HTTP/1.1\r\nHost: probe\r\nX-Big: " + b"a" * 70000 +
                 b"\r\n\r\n"):
        got = raw(port, data, deadline_s=10)
        problems = error_problems(got, through_ingress=False)
        check(got.status is not None and 400 <= got.status < 500 and not problems,
              f"{data[:40]!r}: {got}{': ' if problems else ''}{'; '.join(problems)}")
    return "tickets answers 4 malformed requests with a JSON 4xx"


@PROBES.add
def direct_noncanonical_paths_404(ctx):
    """The router takes one path form: other spellings of a route are 404."""
    body = {"email": "nobody@probe.test", "password": "wrong-password"}
    for path in ("/api/users/signin/", "/api/users//signin", "//api/users/signin",
                 "/api/users/./signin", "/api/users/x/../signin"):
        got = ctx.direct("auth", "POST", path, body)
        check(got.status == 404, f"POST {path} straight to auth: {got}")
    got = ctx.direct("tickets", "GET", "/api/tickets/")
    check(got.status == 404, f"GET /api/tickets/ straight to tickets: {got}")
    return "trailing slash, empty and dot segments: 404 at the router"


@PROBES.add
def nats_requires_credentials(ctx):
    """NATS lets no one in without a user and its password."""
    port = ctx.stack.port("NATS_PORT")
    lines = client.nats_exchange(port, {"verbose": False, "pedantic": False, "name": "probe"})
    check(any("Authorization Violation" in line for line in lines),
          f"a client without credentials was let in: {lines}")
    wrong = client.nats_exchange(port, {"verbose": False, "user": "tickets", "pass": "guess"})
    check(any("Authorization Violation" in line for line in wrong),
          f"user tickets with a guessed password was let in: {wrong}")
    return "no credentials and a wrong password: -ERR 'Authorization Violation'"


@PROBES.add
def nats_publish_permissions(ctx):
    """tickets' NATS user may not publish the subjects other services own."""
    users = ctx.stack.nats_users()
    check("tickets" in users, f"no NATS credentials of tickets under {ctx.stack.dir} "
                              f"(users found: {sorted(users)})")
    port = ctx.stack.port("NATS_PORT")
    creds = {"verbose": False, "pedantic": False, "user": "tickets", "pass": users["tickets"]}
    own = client.nats_exchange(port, creds, b"PUB probe.nowhere 0\r\n\r\n")
    check("PONG" in own and not any("Authorization" in line for line in own),
          f"tickets' own credentials are refused: {own}")
    refused = []
    for subject in ("payment:created", "order:cancelled", "session:revoked"):
        lines = client.nats_exchange(port, creds, f"PUB {subject} 2\r\n{{}}\r\n".encode())
        check(any("Permissions Violation" in line and subject in line for line in lines),
              f"tickets may publish {subject}: {lines}")
        refused.append(subject)
    return f"tickets' user is refused {', '.join(refused)}"


@PROBES.add
def redis_requires_password(ctx):
    """Redis answers nothing without a password."""
    reply = client.redis_command(ctx.stack.port("REDIS_PORT"), "PING")
    check(reply.startswith("-NOAUTH"), f"PING without a password: {reply!r}")
    keys = client.redis_command(ctx.stack.port("REDIS_PORT"), "KEYS", "*")
    check(keys.startswith("-NOAUTH"), f"KEYS * without a password: {keys!r}")
    return "PING and KEYS without a password: -NOAUTH"


def _payments_refuses(ctx, env, variable):
    binary = Path(ctx.stack.bin) / "payments" / "ticketing-payments"
    check(binary.exists(), f"{binary} is missing")
    try:
        done = subprocess.run([str(binary)], env={"PATH": "/usr/bin:/bin", **env},
                              capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        given = ", ".join(f"{k}={v}" for k, v in env.items()) or "no variables"
        raise Failed(f"it started ({given})")
    output = done.stdout + done.stderr
    check(done.returncode != 0 and f"{variable} must be" in output,
          f"exit {done.returncode}, no '{variable} must be ...': {output.strip()[:200]!r}")
    return next(line for line in output.splitlines() if variable in line).strip()


@PROBES.add
def payments_gateway_required(ctx):
    """payments does not start without PAYMENT_GATEWAY."""
    return "without PAYMENT_GATEWAY: " + _payments_refuses(ctx, {}, "PAYMENT_GATEWAY")


@PROBES.add
def payments_stripe_needs_key(ctx):
    """payments does not start with the stripe gateway and no STRIPE_KEY."""
    return "stripe without a key: " + _payments_refuses(ctx, {"PAYMENT_GATEWAY": "stripe"},
                                                        "STRIPE_KEY")
