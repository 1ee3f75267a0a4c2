"""What the security probes share: how a probe reports (check, Failed, NotHere), the list each
module registers its probes in, the context (the stack, the accounts made for the probes and
what they own). Every wait has a deadline; nothing sleeps to synchronise.
"""

import re
import resource
import secrets

from client import deadline_poll, request

REPLICATION_DEADLINE_S = 20  # events reach the other services asynchronously


class Failed(Exception):
    """A probe's finding: the detail of its FAIL line."""


class NotHere(Exception):
    """A probe that cannot run against this stack (one this run did not start): a SKIP line."""


def check(condition, detail):
    if not condition:
        raise Failed(detail)


class ProbeList(list):
    """The probes of one module, in the order they run; `@PROBES.add` registers one (its
    function's name is the probe's name)."""

    def add(self, fn):
        self.append(fn)
        return fn

    def add_variants(self, prefix, run, variants):
        """One probe per row of `variants`, named prefix + the row's first field, that calls
        run(ctx, *the row's other fields)."""
        for name, *args in variants:
            def variant(ctx, args=tuple(args)):
                return run(ctx, *args)
            variant.__name__ = f"{prefix}{name}"
            self.append(variant)


class User:
    """An account the probes made: its id and session cookie once signed up or in."""

    def __init__(self, email, password):
        self.email = email
        self.password = password
        self.id = None
        self.cookie = None


class Context:
    """What the probes share: the stack, the accounts made for them and what those own."""

    def __init__(self, stack):
        self.stack = stack
        self.port = stack.ingress_port
        self.users = {}
        self.owned = {}       # what user "a" made: ticket, order, payment ids
        self.setup_error = {}  # what could not be prepared, by what needs it
        self.background = {}  # slow clients started early, by probe name

    def api(self, method, path, body=None, cookie=None, headers=None, timeout=30):
        return request(self.port, method, path, body=body, cookie=cookie, headers=headers,
                       timeout=timeout)

    def direct(self, service, method, path, body=None, cookie=None, headers=None):
        return request(self.stack.service_port(service), method, path, body=body, cookie=cookie,
                       headers=headers)

    def sign(self, route, user, deadline_s=60):
        """Sign up or in through the ingress, again while the answer is 429 or 503 (the rate
        limits other probes spend), up to a deadline."""
        def attempt():
            a = self.api("POST", f"/api/users/{route}", {"email": user.email,
                                                          "password": user.password})
            return a if a.status not in (429, 503, None) else None
        answer, _ = deadline_poll(attempt, deadline_s, interval_s=0.5)
        check(answer is not None, f"{route} of {user.email}: still limited after {deadline_s} s")
        check(answer.status in (200, 201), f"{route} of {user.email}: {answer}")
        user.id = answer.json()["id"]
        user.cookie = None
        for value in answer.headers.get("set-cookie", []):
            name, _, rest = value.partition("=")
            if name.strip() == "session":
                user.cookie = "session=" + rest.split(";", 1)[0]
        check(user.cookie, f"{route} of {user.email}: no session cookie")
        return user.cookie

    def user(self, name):
        if name not in self.users:
            raise Failed(f"setup: user {name} is missing ({self.setup_error.get('users')})")
        return self.users[name]

    def need(self, what):
        if what in self.setup_error:
            raise Failed(f"setup: {self.setup_error[what]}")
        if what not in self.owned:
            raise Failed(f"setup: no {what}")
        return self.owned[what]

    def nginx_value(self, pattern, default=None):
        m = re.search(pattern, self.stack.nginx_conf())
        return int(m.group(1)) if m else default


def unique_email(prefix):
    return f"{prefix}-{secrets.token_hex(4)}@probe.test"


def not_signed_in(ctx, cookie):
    """Problems if `cookie` is taken as a session by auth (currentuser) or tickets (POST)."""
    problems = []
    cu = ctx.api("GET", "/api/users/currentuser", cookie=cookie)
    if cu.status != 200 or cu.json() != {"currentUser": None}:
        problems.append(f"currentuser answered {cu}")
    post = ctx.api("POST", "/api/tickets", {"title": "probe forged", "price": 5}, cookie=cookie)
    if post.status != 401:
        problems.append(f"POST /api/tickets answered {post}")
    return problems


def signed_in(ctx, cookie):
    cu = ctx.api("GET", "/api/users/currentuser", cookie=cookie)
    body = cu.json()
    return cu.status == 200 and isinstance(body, dict) and body.get("currentUser") is not None


def still_serving(ctx):
    got = ctx.api("GET", "/api/tickets?limit=1")
    check(got.status == 200, f"tickets no longer answers: {got}")


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        check(target >= needed, f"needs {needed} descriptors, the hard limit is {hard}")


def prepare(ctx):
    """Accounts for the probes, and a ticket, an order and a payment of user "a" (the order
    placed on a seller's ticket) for the other users' resources probes."""
    try:
        for name in ("a", "b", "seller"):
            user = User(unique_email(f"probe-{name}"), "probe-password-" + secrets.token_hex(4))
            ctx.sign("signup", user)
            ctx.users[name] = user
    except Failed as e:
        ctx.setup_error["users"] = str(e)
        for what in ("ticket", "order", "payment"):
            ctx.setup_error[what] = str(e)
        return
    a, seller = ctx.users["a"], ctx.users["seller"]
    try:
        made = ctx.api("POST", "/api/tickets", {"title": "probe: a's own", "price": 12},
                       cookie=a.cookie)
        check(made.status == 201, f"a's ticket: {made}")
        ctx.owned["ticket"] = made.json()["id"]
        sold = ctx.api("POST", "/api/tickets", {"title": "probe: for sale", "price": 20},
                       cookie=seller.cookie)
        check(sold.status == 201, f"seller's ticket: {sold}")
        ticket = sold.json()["id"]
        order, _ = deadline_poll(
            lambda: (lambda o: o if o.status != 404 else None)(
                ctx.api("POST", "/api/orders", {"ticketId": ticket}, cookie=a.cookie)),
            REPLICATION_DEADLINE_S, interval_s=0.2)
        check(order is not None and order.status == 201, f"a's order: {order}")
        ctx.owned["order"] = order.json()["id"]
    except Failed as e:
        for what in ("ticket", "order", "payment"):
            ctx.setup_error.setdefault(what, str(e))


def pay(ctx):
    """User a pays the order (after the probes that try it as someone else)."""
    if "payment" in ctx.owned or "payment" in ctx.setup_error:
        return
    try:
        order = ctx.need("order")
        paid, _ = deadline_poll(
            lambda: (lambda p: p if p.status != 404 else None)(
                ctx.api("POST", "/api/payments", {"token": "tok_visa", "orderId": order},
                        cookie=ctx.user("a").cookie)),
            REPLICATION_DEADLINE_S, interval_s=0.2)
        check(paid is not None and paid.status == 201, f"a's payment: {paid}")
        ctx.owned["payment"] = paid.json()["id"]
    except Failed as e:
        ctx.setup_error["payment"] = str(e)
