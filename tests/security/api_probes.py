"""Probes of the API's rules as an attacker meets them: other users' tickets, orders and
payments (401, DESIGN.md section 4), malformed, mistyped, deeply nested and huge bodies (a JSON
400/413/415, never a closed connection or a 5xx), and the input rules of section 13 (titles
without controls or bidi overrides and in NFC, passwords and payment tokens of bounded length).
"""

import time
import unicodedata

from client import deadline_poll, error_problems, fields_of, messages_of, request
from harness import (REPLICATION_DEADLINE_S, ProbeList, check, pay, still_serving,
                     unique_email)

PROBES = ProbeList()


def _as_b(ctx, method, path, body=None):
    got = ctx.api(method, path, body, cookie=ctx.user("b").cookie)
    anonymous = ctx.api(method, path, body)
    check(got.status == 401 and not error_problems(got),
          f"user b {method} {path}: {got}")
    check(anonymous.status == 401, f"signed out {method} {path}: {anonymous}")
    return got


@PROBES.add
def idor_ticket_update(ctx):
    """User b cannot edit user a's ticket (401), nor can anyone signed out."""
    ticket = ctx.need("ticket")
    _as_b(ctx, "PUT", f"/api/tickets/{ticket}", {"title": "taken over", "price": 1})
    now = ctx.api("GET", f"/api/tickets/{ticket}").json()
    check(now and now.get("title") == "probe: a's own", f"the ticket changed: {now}")
    return "b's PUT of a's ticket is 401 and changes nothing"


@PROBES.add
def idor_order_show_and_cancel(ctx):
    """User b can neither see nor cancel user a's order, nor list it."""
    order = ctx.need("order")
    _as_b(ctx, "GET", f"/api/orders/{order}")
    _as_b(ctx, "DELETE", f"/api/orders/{order}")
    listed = ctx.api("GET", "/api/orders", cookie=ctx.user("b").cookie)
    check(listed.status == 200 and all(o.get("id") != order for o in listed.json() or []),
          f"b's order list: {listed}")
    mine = ctx.api("GET", f"/api/orders/{order}", cookie=ctx.user("a").cookie).json() or {}
    check(mine.get("status") != "cancelled", "a's order was cancelled")
    return "b's GET and DELETE of a's order are 401; b's list leaves it out; it stays"


@PROBES.add
def idor_payment_create(ctx):
    """User b cannot pay for user a's order once payments knows it."""
    order = ctx.need("order")
    # Wait until payments knows the order, so that 401 is about the owner, not an unknown id.
    known, _ = deadline_poll(
        lambda: ctx.api("POST", "/api/payments", {"token": "tok_chargeDeclined", "orderId": order},
                        cookie=ctx.user("b").cookie).status != 404,
        REPLICATION_DEADLINE_S, interval_s=0.2)
    check(known, "payments never knew a's order")
    _as_b(ctx, "POST", "/api/payments", {"token": "tok_visa", "orderId": order})
    return "b's payment for a's order is 401"


@PROBES.add
def idor_payment_show(ctx):
    """User b cannot see user a's payment."""
    pay(ctx)
    payment = ctx.need("payment")
    _as_b(ctx, "GET", f"/api/payments/{payment}")
    own = ctx.api("GET", f"/api/payments/{payment}", cookie=ctx.user("a").cookie)
    check(own.status == 200, f"a's own payment: {own}")
    return "b's GET of a's payment is 401 (a's own is 200)"


def _rejected(ctx, body, statuses=(400,), content_type="application/json", port=None):
    hdrs = {"Content-Type": content_type}
    if port is None:
        got = ctx.api("POST", "/api/tickets", body, cookie=ctx.user("a").cookie, headers=hdrs)
    else:
        got = request(port, "POST", "/api/tickets", body=body, cookie=ctx.user("a").cookie,
                      headers=hdrs)
    problems = error_problems(got, through_ingress=port is None)
    check(got.status in statuses and not problems,
          f"{body[:30]!r}...: {got}{': ' if problems else ''}{'; '.join(problems)}")
    return got


@PROBES.add
def body_malformed_json(ctx):
    """Bodies that are not JSON, or broken JSON: 400 in the error format."""
    for body in (b'{"title": "x", "price": ', b"{title: 'x'}", b'{"title":"x","price":5}}',
                 b"\xff\xfe",
                 b'{"title":"\\ud800","price":5}', b""):
        _rejected(ctx, body)
    still_serving(ctx)
    return "6 malformed bodies: 400 JSON"


@PROBES.add
def body_wrong_types(ctx):
    """JSON of the wrong shape or types: 400, never a 500."""
    for body in (b'{"title":123,"price":"abc"}', b'{"title":["x"],"price":{}}',
                 b'{"title":null,"price":true}', b"[]", b'"title"', b"42", b"null"):
        got = _rejected(ctx, body)
        check(messages_of(got), f"{body!r}: no message")
    still_serving(ctx)
    return "7 mistyped bodies: 400 JSON"


@PROBES.add
def body_deep_nesting(ctx):
    """Deeply nested JSON neither crashes a service nor closes the connection."""
    for body in (b"[" * 10000, b'{"a":' * 10000, b"[" * 100000 + b"]" * 100000):
        _rejected(ctx, body, statuses=(400, 413))
        _rejected(ctx, body, statuses=(400, 413), port=ctx.stack.service_port("tickets"))
    still_serving(ctx)
    return "10000 and 100000 levels, through the ingress and direct: 400/413 JSON, tickets alive"


@PROBES.add
def body_huge_direct(ctx):
    """A body over the limit sent straight to a service: its own 413."""
    got = _rejected(ctx, b'{"title":"' + b"x" * (2 * 1024 * 1024) + b'","price":5}',
                    statuses=(413,), port=ctx.stack.service_port("tickets"))
    still_serving(ctx)
    return f"2 MB straight to tickets: {got.status} JSON"


@PROBES.add
def body_not_json(ctx):
    """A body that says it is not JSON: 415."""
    _rejected(ctx, b"title=x&price=5", statuses=(415,),
              content_type="application/x-www-form-urlencoded")
    return "a form body: 415 JSON"


def _bad_title(ctx, title, what):
    a = ctx.user("a")
    made = ctx.api("POST", "/api/tickets", {"title": title, "price": 5}, cookie=a.cookie)
    check(made.status == 400 and fields_of(made) == ["title"],
          f"POST with {what}: {made} (fields {fields_of(made)})")
    ticket = ctx.need("ticket")
    edit = ctx.api("PUT", f"/api/tickets/{ticket}", {"title": title, "price": 5}, cookie=a.cookie)
    check(edit.status == 400 and fields_of(edit) == ["title"],
          f"PUT with {what}: {edit} (fields {fields_of(edit)})")
    return f"{what}: 400 on field title ({messages_of(made)[0]!r}), on create and on edit"


@PROBES.add
def input_title_nul(ctx):
    """A title with NUL (PostgreSQL would cut it there, SQLite keep it): 400."""
    return _bad_title(ctx, "concert\u0000tonight", "NUL")


@PROBES.add
def input_title_c0_control(ctx):
    """Titles with C0 control characters: 400."""
    for ch in ("\u0001", "\u001b", "\u0008"):
        _bad_title(ctx, f"concert{ch}tonight", f"U+{ord(ch):04X}")
    return "C0 controls U+0001, U+001B, U+0008: 400 on field title"


@PROBES.add
def input_title_c1_control(ctx):
    """Titles with C1 control characters: 400."""
    for ch in ("\u0085", "\u009b"):
        _bad_title(ctx, f"concert{ch}tonight", f"U+{ord(ch):04X}")
    return "C1 controls U+0085, U+009B: 400 on field title"


@PROBES.add
def input_title_bidi_override(ctx):
    """Titles with bidi overrides (text shown reversed): 400."""
    for ch in ("\u202e", "\u202d"):
        _bad_title(ctx, f"concert{ch}thgin", f"U+{ord(ch):04X}")
    return "bidi overrides U+202E, U+202D: 400 on field title"


@PROBES.add
def input_title_nfc(ctx):
    """A title sent decomposed (NFD) is stored and shown composed (NFC)."""
    nfd = unicodedata.normalize("NFD", "Café Zoë probe")
    check(nfd != unicodedata.normalize("NFC", nfd), "the probe's title is not decomposed")
    made = ctx.api("POST", "/api/tickets", {"title": nfd, "price": 5}, cookie=ctx.user("a").cookie)
    check(made.status == 201, f"create: {made}")
    shown = ctx.api("GET", f"/api/tickets/{made.json()['id']}").json() or {}
    want = unicodedata.normalize("NFC", nfd)
    check(made.json().get("title") == want and shown.get("title") == want,
          f"title kept as {made.json().get('title')!r} / {shown.get('title')!r}, "
          f"expected NFC {want!r}")
    return "a title in NFD is stored and shown in NFC"


@PROBES.add
def input_password_length(ctx):
    """Passwords over 128 characters are refused at sign-in too, before hashing."""
    email = unique_email("probe-long")
    checked = []
    for route, password in (("signin", "p" * 129), ("signin", "p" * 400_000),
                            ("signup", "p" * 129)):
        start = time.monotonic()
        got, _ = deadline_poll(lambda: (lambda g: g if g.status != 429 else None)(
            ctx.api("POST", f"/api/users/{route}", {"email": email, "password": password})),
            30, interval_s=0.5)
        check(got is not None and got.status == 400 and not error_problems(got),
              f"{route} with {len(password)} characters: {got}")
        checked.append(f"{route} {len(password)} chars {time.monotonic() - start:.2f} s")
    return "400 for: " + ", ".join(checked)


@PROBES.add
def input_payment_token_length(ctx):
    """Payment tokens over 255 characters: 400 on the token."""
    for token in ("t" * 256, "t" * 100_000):
        got = ctx.api("POST", "/api/payments", {"token": token, "orderId": "0" * 24},
                      cookie=ctx.user("a").cookie)
        check(got.status == 400 and "token" in fields_of(got),
              f"a {len(token)}-character token: {got} (fields {fields_of(got)})")
    return "tokens of 256 and 100000 characters: 400 on field token"
