"""Probes of the ingress (DESIGN.md section 13): the methods it lets through, the errors nginx
answers itself (the contract's JSON, no version), and the headers on every answer
(X-Content-Type-Options: nosniff everywhere, Cache-Control: no-store on users, orders and
payments). Its limits and timeouts are in limit_probes.
"""

import re

from client import error_problems, ingress_header_problems, messages_of, raw
from harness import ProbeList, check

PROBES = ProbeList()


@PROBES.add
def ingress_unknown_methods_405(ctx):
    """Methods the API does not use on a path: 405 with Allow, JSON."""
    tried = []
    for method, path in [("FOO", "/api/tickets"), ("PATCH", "/api/tickets"),
                         ("PROPFIND", "/api/tickets"), ("OPTIONS", "/api/tickets"),
                         ("TRACE", "/api/tickets"), ("CONNECT", "/api/orders"),
                         ("DELETE", "/api/users/currentuser"), ("PUT", "/api/payments"),
                         ("POST", "/"), ("FOO", "/")]:
        a = raw(ctx.port, f"{method} {path} HTTP/1.1\r\nHost: probe\r\n\r\n".encode())
        problems = error_problems(a)
        if a.status != 405:
            problems.insert(0, f"status {a.status}")
        if not a.header("allow"):
            problems.append("no Allow")
        elif method in [m.strip() for m in a.header("allow").split(",")]:
            problems.append(f"Allow lists {method}")
        check(not problems, f"{method} {path}: {'; '.join(problems)}")
        tried.append(method)
    return f"405 JSON with Allow for {', '.join(sorted(set(tried)))}"


@PROBES.add
def ingress_keeps_serving_after_rejected_requests(ctx):
    """Normal GETs keep being served between unknown methods, malformed requests and
    requests a service rejects (the review's replicas taken out of rotation)."""
    a = ctx.user("a")
    bad = [
        lambda: raw(ctx.port, b"FOO /api/tickets HTTP/1.1\r\nHost: probe\r\n\r\n"),
        lambda: raw(ctx.port, b"GET /api/tickets HTTP/1.1\r\nHost: probe\r\nContent-Length: 1\r\n"
                              b"Content-Length: 2\r\n\r\nab"),
        lambda: ctx.api("POST", "/api/tickets", '{"title": ', cookie=a.cookie,
                        headers={"Content-Type": "application/json"}),
        lambda: ctx.api("POST", "/api/tickets", {"title": "", "price": -1}, cookie=a.cookie),
    ]
    statuses = {}
    for i in range(60):
        if i % 3 == 0:
            bad[(i // 3) % len(bad)]()
        got = ctx.api("GET", "/api/tickets?limit=1")
        statuses[got.status] = statuses.get(got.status, 0) + 1
    check(set(statuses) == {200}, f"GET /api/tickets between rejected requests: {statuses}")
    return f"60 GETs all 200 between 20 rejected requests ({ctx.stack.replicas} replica(s))"


# Requests nginx refuses itself, each a probe: (name, bytes sent, statuses accepted).
NGINX_ERRORS = [
    ("bad_syntax", b"GET /a b c HTTP/1.1\r\nHost: probe\r\n\r\n", (400,)),
    ("bad_header_line", b"GET /api/tickets HTTP/1.1\r\nHost: probe\r\nBad Header\r\n\r\n", (400,)),
    ("nul_in_path", b"GET /api/tickets%00 HTTP/1.1\r\nHost: probe\r\n\r\n", (400,)),
    ("two_content_lengths", b"POST /api/tickets HTTP/1.1\r\nHost: probe\r\nContent-Length: 2\r\n"
                            b"Content-Length: 3\r\n\r\nabc", (400,)),
    # nginx's 494, answered 400 (431 or 494 would do as well).
    ("header_too_large", b"GET /api/tickets HTTP/1.1\r\nHost: probe\r\nX-Big: " + b"a" * 9000 +
                         b"\r\n\r\n", (400, 431, 494)),
    ("cookie_too_large", b"GET /api/users/currentuser HTTP/1.1\r\nHost: probe\r\n"
                         b"Cookie: session=" + b"a" * 9000 + b"\r\n\r\n", (400, 431, 494)),
    ("uri_too_long", b"GET /api/tickets?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: probe\r\n\r\n",
     (414,)),
    ("trace", b"TRACE /api/tickets HTTP/1.1\r\nHost: probe\r\n\r\n", (405,)),
    ("connect", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n", (400, 405)),
    ("unknown_transfer_encoding", b"POST /api/tickets HTTP/1.1\r\nHost: probe\r\n"
                                  b"Transfer-Encoding: foo\r\n\r\n", (400, 501)),
    ("http_version", b"GET /api/tickets HTTP/3.0\r\nHost: probe\r\n\r\n", (400, 505)),
]


def _nginx_error(ctx, data, statuses):
    answer = raw(ctx.port, data)
    problems = error_problems(answer)
    if answer.status not in statuses:
        problems.insert(0, f"status {answer.status}, expected {' or '.join(map(str, statuses))}")
    check(not problems, "; ".join(problems))
    return f"{answer.status} {messages_of(answer)[0]!r}"


PROBES.add_variants("nginx_error_", _nginx_error, NGINX_ERRORS)


@PROBES.add
def nginx_error_body_too_large(ctx):
    """A body over 1 MB: the ingress's 413 in JSON."""
    a = ctx.api("POST", "/api/tickets", b"{" + b" " * (1024 * 1024 + 10) + b"}",
                headers={"Content-Type": "application/json"})
    problems = error_problems(a)
    check(a.status == 413 and not problems, f"{a}: {'; '.join(problems)}")
    return f"413 {messages_of(a)[0]!r}"


@PROBES.add
def nginx_error_not_found(ctx):
    """Paths nothing serves, and the error pages' own paths: 404 JSON."""
    for path in ("/api/nothing-here", "/assets/missing-probe.js", "/.ticketing-errors/400"):
        a = ctx.api("GET", path)
        problems = error_problems(a)
        check(a.status == 404 and not problems, f"{path}: {a}: {'; '.join(problems)}")
    return "404 JSON for an unknown /api path, a missing asset, the internal error pages"


@PROBES.add
def headers_nosniff_api(ctx):
    """X-Content-Type-Options: nosniff on the services' answers."""
    a = ctx.user("a")
    for method, path, cookie in [("GET", "/api/tickets", None),
                                 ("GET", "/api/users/currentuser", a.cookie),
                                 ("GET", "/api/orders", a.cookie),
                                 ("GET", f"/api/tickets/{'0' * 24}", None)]:
        got = ctx.api(method, path, cookie=cookie)
        problems = ingress_header_problems(got)
        check(got.status is not None and not problems, f"{method} {path}: {got}: {problems}")
    return "on API answers (200, 404)"


@PROBES.add
def headers_nosniff_storefront(ctx):
    """X-Content-Type-Options: nosniff on the storefront's files and redirects."""
    index = ctx.api("GET", "/")
    check(index.status == 200, f"GET /: {index}")
    checked = ["/"]
    asset = re.search(rb'(?:src|href)="(/assets/[^"]+)"', index.body)
    for path in ([asset.group(1).decode()] if asset else []) + ["/tickets/new", "/api/docs",
                                                               "/api/docs/"]:
        got = ctx.api("GET", path)
        problems = ingress_header_problems(got)
        check(got.status in (200, 301) and not problems, f"{path}: {got.status} {problems}")
        checked.append(path)
    head = ctx.api("HEAD", "/")
    check(not ingress_header_problems(head), f"HEAD /: {ingress_header_problems(head)}")
    return f"on {', '.join(checked)} and HEAD /"


@PROBES.add
def headers_no_store_private(ctx):
    """Cache-Control: no-store on every answer of users, orders and payments."""
    a = ctx.user("a")
    order = ctx.owned.get("order", "0" * 24)
    checked = 0
    for method, path, body, cookie in [
            ("GET", "/api/users/currentuser", None, a.cookie),
            ("GET", "/api/users/currentuser", None, None),
            ("POST", "/api/users/signin", {"email": "nobody@probe.test", "password": "x" * 8},
             None),
            ("GET", "/api/orders", None, a.cookie),
            ("GET", f"/api/orders/{order}", None, a.cookie),
            ("GET", "/api/orders", None, None),
            ("GET", f"/api/payments/{'0' * 24}", None, a.cookie),
            ("GET", "/api/payments/config", None, None)]:
        got = ctx.api(method, path, body, cookie=cookie)
        check(got.status not in (None, 429), f"{method} {path}: {got}")
        value = ",".join(got.headers.get("cache-control", []))
        check("no-store" in value, f"{method} {path} ({got.status}): Cache-Control {value!r}")
        checked += 1
    return f"no-store on {checked} answers of users, orders and payments (signed in or not)"
