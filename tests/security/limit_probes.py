"""Probes of the limits and timeouts: the ingress's sign-in and sign-up rate limit on every
spelling of those paths, auth's own throttle without the ingress, slow clients dropped within
about 10 s at the ingress and at a service, the ingress's per-address connection limit and a
service's connection cap. Rate limits are measured by the answers: how many of a burst reached
auth against what the token bucket allows in the time they took to arrive.
"""

import http.client
import json
import math
import re
import selectors
import socket
import threading
import time
from pathlib import Path

import client
from client import deadline_poll, error_problems
from harness import Failed, ProbeList, check, raise_fd_limit, still_serving, unique_email

PROBES = ProbeList()

SLOW_CLIENT_LIMIT_S = 10  # client_header_timeout / client_body_timeout, the services' read limit
SLOW_CLIENT_MARGIN_S = 5


def _burst(port, path, body, n):
    """n POSTs at once (a barrier releases them together): their answers, and the seconds from
    the release until the last one was sent (the window in which the limit decided on them;
    the answers that pass take longer, a password check each)."""
    answers = [None] * n
    sent = [None] * n
    gate = threading.Barrier(n + 1)
    data = json.dumps(body).encode()

    def one(i):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            gate.wait()
            conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
            sent[i] = time.monotonic()
            resp = conn.getresponse()
            headers = {}
            for name, value in resp.getheaders():
                headers.setdefault(name.lower(), []).append(value)
            answers[i] = client.Answer(resp.status, headers, resp.read())
        except (OSError, http.client.HTTPException) as e:
            answers[i] = client.Answer(None, {}, b"", note=type(e).__name__)
        finally:
            conn.close()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    gate.wait()
    start = time.monotonic()
    for t in threads:
        t.join()
    return answers, max((t for t in sent if t is not None), default=start) - start


def _count(answers):
    by_status = {}
    for a in answers:
        by_status[a.status] = by_status.get(a.status, 0) + 1
    return by_status


def _rate_limited(ctx, path, body):
    rate = ctx.nginx_value(r"zone=ticketing_auth:\S+\s+rate=(\d+)r/s", 10)
    burst = ctx.nginx_value(r"limit_req\s+zone=ticketing_auth\s+burst=(\d+)", 20)
    n = 2 * burst
    answers, window = _burst(ctx.port, path, body, n)
    by_status = _count(answers)
    limited = by_status.get(429, 0) + by_status.get(503, 0)
    reached = n - limited
    # The bucket's burst, the request that empties it, what refills while they arrive.
    allowed = burst + 1 + math.ceil(rate * window)
    check(limited > 0 and reached <= allowed,
          f"{n} at once (sent within {window:.2f} s): {reached} reached auth (at most {allowed} "
          f"may), answers {by_status}")
    problems = [p for a in answers if a.status == 429 for p in error_problems(a)]
    check(not problems, f"429 answers: {problems[0] if problems else ''}")
    # auth throttles too (with Retry-After): the ingress's own limit must hold by itself.
    by_ingress = sum(1 for a in answers if a.status == 429 and not a.header("retry-after"))
    check(by_ingress > 0, f"no 429 of the ingress's own (those of auth carry Retry-After): "
                          f"answers {by_status}")
    return (f"{n} at once: {reached} reached auth (at most {allowed}), {by_ingress} refused by "
            f"the ingress, answers {by_status}")


# A wrong password for an account that does not exist (auth still checks it, at a password
# hash's cost), and a sign-up that fails validation.
SIGNIN = {"email": "nobody-probe@probe.test", "password": "wrong-password"}
SIGNUP = {"email": "not-an-email", "password": "x"}

# Every spelling of the two paths that nginx or a router might take for them: (name, path, body).
RATE_LIMIT_VARIANTS = [
    ("signin_canonical", "/api/users/signin", SIGNIN),
    ("signin_trailing_slash", "/api/users/signin/", SIGNIN),
    ("signin_double_slash", "/api/users//signin", SIGNIN),
    ("signin_leading_double_slash", "//api/users/signin", SIGNIN),
    ("signin_percent_encoded", "/api/users/%73ignin", SIGNIN),
    ("signin_dot_segment", "/api/users/./signin", SIGNIN),
    ("signin_dot_dot_segment", "/api/users/x/../signin", SIGNIN),
    ("signin_case", "/api/users/SignIn", SIGNIN),
    ("signin_query", "/api/users/signin?probe=1", SIGNIN),
    ("signin_matrix_parameter", "/api/users/signin;probe", SIGNIN),
    ("signup_canonical", "/api/users/signup", SIGNUP),
    ("signup_trailing_slash", "/api/users/signup/", SIGNUP),
    ("signup_double_slash", "/api/users//signup", SIGNUP),
    ("signup_percent_encoded", "/api/users/%73ignup", SIGNUP),
    ("signup_dot_segment", "/api/users/./signup", SIGNUP),
    ("signup_case", "/api/users/SIGNUP", SIGNUP),
]


def _rate_limit(ctx, path, body):
    return f"{path}: " + _rate_limited(ctx, path, body)


PROBES.add_variants("rate_limit_", _rate_limit, RATE_LIMIT_VARIANTS)


@PROBES.add
def auth_throttles_without_ingress(ctx):
    """Auth limits sign-in attempts itself, so a direct flood is refused too."""
    n = 60
    body = {"email": unique_email("probe-victim"), "password": "wrong-password"}
    answers, _ = _burst(ctx.stack.service_port("auth"), "/api/users/signin", body, n)
    by_status = _count(answers)
    refused = [a for a in answers if a.status in (429, 503)]
    check(refused, f"{n} sign-ins of one account straight to auth all reached the password check: "
                   f"{by_status}")
    check(all(a.header("retry-after") for a in refused if a.status == 503),
          "a 503 without Retry-After")
    return f"{n} at once straight to auth: {by_status}"


def slow_client(port, first, piece=None, every_s=1.0, deadline_s=30.0):
    """Sends `first`, then `piece` every `every_s` when given, until the server closes the
    connection; (seconds until closed or None at the deadline, bytes received)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    start = time.monotonic()
    received = b""
    try:
        sock.sendall(first)
        while True:
            left = deadline_s - (time.monotonic() - start)
            if left <= 0:
                return None, received
            sock.settimeout(min(left, every_s) if piece else left)
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                if piece:
                    try:
                        sock.sendall(piece)
                    except OSError:
                        return time.monotonic() - start, received
                continue
            except OSError:
                return time.monotonic() - start, received
            if not chunk:
                return time.monotonic() - start, received
            received += chunk
    finally:
        sock.close()


class Background:
    """A slow client running beside the other probes; its probe collects the outcome."""

    def __init__(self, *args, **kwargs):
        self.result = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=args, kwargs=kwargs, daemon=True)
        self.thread.start()

    def _run(self, *args, **kwargs):
        try:
            self.result = slow_client(*args, **kwargs)
        except OSError as e:
            self.error = e

    def outcome(self):
        self.thread.join()
        if self.error:
            raise Failed(f"could not connect: {self.error}")
        return self.result


# Slow clients, started before the other probes (start_slow_clients) so that their waits run
# beside them: (probe name, the ingress or a service, what is sent first, what is sent again every
# second until the connection closes, or None).
_GET_HEAD = b"GET /api/tickets HTTP/1.1\r\nHost: probe\r\n"
_POST_HEAD = (b"POST /api/tickets HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\n\r\n")
SLOW_CLIENTS = [
    ("slow_client_headers_stalled", "ingress", _GET_HEAD, None),
    ("slow_client_headers_trickled", "ingress", _GET_HEAD, b"X-Slow: 1\r\n"),
    ("slow_client_body_stalled", "ingress", _POST_HEAD + b'{"title":', None),
    ("direct_slow_client_dropped", "tickets", _GET_HEAD, None),
]


def start_slow_clients(ctx):
    deadline = SLOW_CLIENT_LIMIT_S + 2 * SLOW_CLIENT_MARGIN_S
    for name, target, first, piece in SLOW_CLIENTS:
        port = ctx.port if target == "ingress" else ctx.stack.service_port(target)
        ctx.background[name] = Background(port, first, piece=piece, every_s=1.0,
                                          deadline_s=deadline)


def _slow_outcome(ctx, name):
    background = ctx.background.get(name)
    check(background is not None, "not started")
    closed_after, received = background.outcome()
    limit = SLOW_CLIENT_LIMIT_S + SLOW_CLIENT_MARGIN_S
    check(closed_after is not None,
          f"still open after {SLOW_CLIENT_LIMIT_S + 2 * SLOW_CLIENT_MARGIN_S} s")
    check(closed_after <= limit, f"closed only after {closed_after:.1f} s (limit {limit} s)")
    if received:
        answer = client.parse_raw(received, "closed")
        problems = error_problems(answer, through_ingress=name.startswith("slow_client"))
        check(answer.status in (400, 408) and not problems,
              f"closed with {answer}: {'; '.join(problems)}")
        return f"answered {answer.status} JSON and closed after {closed_after:.1f} s"
    return f"dropped after {closed_after:.1f} s"


PROBES.add_variants("", _slow_outcome, [(name, name) for name, *_ in SLOW_CLIENTS])


@PROBES.add
def ingress_connection_limit(ctx):
    """Requests in progress per address are capped; the ones beyond get 429 JSON."""
    limit = ctx.nginx_value(r"limit_conn\s+\w+\s+(\d+);")
    check(limit is not None, "no limit_conn in the ingress's configuration")
    extra = 50
    raise_fd_limit(limit + extra + 200)
    head = (b"POST /api/tickets HTTP/1.1\r\nHost: probe\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10\r\n\r\n")
    held = []
    answers = {}
    watch = selectors.DefaultSelector()
    try:
        # Requests whose bodies never come stay in progress until the body timeout: beyond the
        # limit (and whatever else of this address is in progress) nginx answers at once.
        for _ in range(limit + extra):
            s = socket.create_connection(("127.0.0.1", ctx.port), timeout=5)
            s.sendall(head)
            held.append(s)
            watch.register(s, selectors.EVENT_READ)

        def refused_enough():
            for key, _ in watch.select(timeout=0.1):
                watch.unregister(key.fileobj)
                answers[key.fileobj] = client.read_answer(key.fileobj, deadline_s=1)
            return len(answers) >= extra
        deadline_poll(refused_enough, 5, interval_s=0)
    finally:
        watch.close()
        for s in held:
            s.close()
    in_progress = len(held) - len(answers)
    check(len(answers) >= extra and in_progress <= limit,
          f"{len(held)} requests from one address: {in_progress} in progress, {len(answers)} "
          f"answered (limit {limit})")
    statuses = sorted({a.status for a in answers.values()}, key=str)
    check(statuses in ([429], [503]), f"the requests beyond the limit got {statuses}")
    problems = {p for a in answers.values() for p in error_problems(a)}
    check(not problems, f"the refusals: {'; '.join(sorted(problems))}")
    after, _ = deadline_poll(lambda: ctx.api("GET", "/api/tickets?limit=1").status == 200, 10)
    check(after, "not served again once the held requests closed")
    return (f"limit {limit} per address: of {len(held)} requests at once {in_progress} in "
            f"progress, {len(answers)} answered {statuses[0]}, then 200 again")


@PROBES.add
def direct_connection_cap(ctx):
    """A service never holds more connections open than its cap; the ones beyond it wait, and are
    served once others close. Each of the service's I/O threads takes its share of the cap (the
    kernel hands a connection to one thread's socket: common/http/server.hpp), so the probe opens
    64 more than the cap, each with a request, and counts those answered at once."""
    cap = _service_connection_cap(ctx)
    check(cap is not None, "no connection cap configured or documented")
    port = ctx.stack.service_port("tickets")
    extra = 64
    raise_fd_limit(cap + extra + 200)
    head = b"GET /healthz HTTP/1.1\r\nHost: probe\r\n\r\n"
    held, answered = [], []
    watch = selectors.DefaultSelector()
    try:
        for _ in range(cap + extra):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(head)
            held.append(s)
            watch.register(s, selectors.EVENT_READ)
        # Those with an answer, until none comes for 2 s; none is read yet (reading closes it,
        # which would let a waiting one in).
        while True:
            ready = watch.select(timeout=2)
            if not ready:
                break
            for key, _ in ready:
                watch.unregister(key.fileobj)
                answered.append(key.fileobj)
        at_once = len(answered)
        check(at_once <= cap, f"{at_once} of {cap + extra} connections answered at once, over "
                              f"the cap of {cap}")
        check(at_once < cap + extra, f"all {cap + extra} connections were answered at once")
        statuses = {client.read_answer(s, deadline_s=5).status for s in answered}
        check(statuses == {200}, f"the answered ones got {sorted(statuses, key=str)}")
        # Those closed, every waiting connection is let in and answered.
        seen = set(answered)
        waiting = [s for s in held if s not in seen]
        later = {client.read_answer(s, deadline_s=10).status for s in waiting}
        check(later == {200}, f"the {len(waiting)} held back got {sorted(later, key=str)} once "
                              f"the others closed")
    finally:
        watch.close()
        for s in held:
            s.close()
    still_serving(ctx)
    return (f"of {cap + extra} connections at once tickets answered {at_once} (cap {cap}, shared "
            f"by its I/O threads) and held {cap + extra - at_once} back until the others closed")


def _service_connection_cap(ctx):
    for env in ctx.stack.supervisord_programs().values():
        m = re.search(r'HTTP_MAX_CONNECTIONS="(\d+)"', env)
        if m:
            return int(m.group(1))
    header = Path(__file__).resolve().parents[2] / "common/include/common/http/server.hpp"
    m = re.search(r"max_connections\s*=\s*(\d+)", header.read_text()) if header.exists() else None
    return int(m.group(1)) if m else None
