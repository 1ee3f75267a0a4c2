"""Probes of the sessions (DESIGN.md sections 4 and 13): only auth can mint one (ES256 with a
kid, the private key in auth alone), and no forged, unsigned, mis-signed, expired, unknown-key or
garbage token is taken; a signed-out token stops working everywhere within a second. A token
the probes sign with the stack's own key (found in its data directory) is the control that
shows the refusals are for the reason each probe names.
"""

import base64
import os
import re
import secrets
import tempfile
import time

import client
from client import (claims, cookie_for, deadline_poll, jwt_parts, token_es256, token_hs256,
                    token_of, token_unsigned)
from harness import ProbeList, User, check, not_signed_in, signed_in
from stack import SERVICES

PROBES = ProbeList()


def _real_token(ctx):
    """User a's session token as auth made it: (token, header, claims)."""
    token = token_of(ctx.user("a").cookie)
    header, body = jwt_parts(token)
    check(header is not None, f"a's session token is not a JWT: {token!r:.40}")
    return token, header, body


@PROBES.add
def session_only_auth_signs(ctx):
    """No service gets a key that signs but auth; auth's tokens are ES256 with a kid and a jti."""
    problems = []
    programs = ctx.stack.supervisord_programs()
    for name, env in sorted(programs.items()):
        service = name.rsplit("-", 1)[0]
        if service not in SERVICES:
            continue
        if re.search(r'(^|,)JWT_KEY=', env):
            problems.append(f"{name} gets JWT_KEY (a key that signs)")
        has_private = "JWT_PRIVATE_KEY_FILE=" in env
        if service == "auth" and not has_private:
            problems.append(f"{name} has no JWT_PRIVATE_KEY_FILE")
        if service != "auth" and has_private:
            problems.append(f"{name} gets the private key")
    _, header, body = _real_token(ctx)
    if header.get("alg") != "ES256":
        problems.append(f"auth's tokens are {header.get('alg')}, not ES256")
    if not header.get("kid"):
        problems.append("auth's tokens carry no kid")
    if not body.get("jti"):
        problems.append("auth's tokens carry no jti (sign-out cannot name them)")
    check(not problems, "; ".join(problems))
    return f"only auth holds the private key; tokens ES256, kid {header['kid']!r}, with a jti"


def _forged(ctx, tokens):
    """Each (label, token) as a session cookie: not signed in for auth nor tickets."""
    for label, token in tokens:
        problems = not_signed_in(ctx, cookie_for(token))
        check(not problems, f"{label}: {'; '.join(problems)}")
    return f"{len(tokens)} token(s) not taken: currentUser null, POST /api/tickets 401"


def _a_claims(ctx, iat_delta=0, ttl=3600):
    a = ctx.user("a")
    now = int(time.time()) + iat_delta
    return claims(a.id, a.email, now, now + ttl)


@PROBES.add
def session_forged_hs256(ctx):
    """Tokens HMAC-signed with a key of the attacker's (the old scheme's kind of token)."""
    _, header, _ = _real_token(ctx)
    kid = header.get("kid")
    made_up = secrets.token_bytes(32)
    tokens = [("HS256, made-up key", token_hs256({"alg": "HS256", "typ": "JWT"}, _a_claims(ctx),
                                                   made_up))]
    if kid:
        tokens.append(("HS256, made-up key, auth's kid",
                       token_hs256({"alg": "HS256", "typ": "JWT", "kid": kid}, _a_claims(ctx),
                                   made_up)))
    return _forged(ctx, tokens)


@PROBES.add
def session_forged_es256(ctx):
    """ES256 tokens with auth's kid but a random signature or one of a key nobody knows."""
    _, header, _ = _real_token(ctx)
    kid = header.get("kid", "")
    es = {"alg": "ES256", "typ": "JWT", "kid": kid}
    tokens = [("ES256, random signature", token_unsigned(es, _a_claims(ctx), os.urandom(64)))]
    with tempfile.TemporaryDirectory(prefix="ticketing-security-probe-") as work:
        key = client.new_p256_key_file(work)
        tokens.append(("ES256 signed with a made-up P-256 key",
                       token_es256(es, _a_claims(ctx), key)))
    return _forged(ctx, tokens)


@PROBES.add
def session_alg_none(ctx):
    """Unsigned tokens (alg none in three spellings), with and without a signature kept."""
    _, header, _ = _real_token(ctx)
    tokens = []
    for alg in ("none", "None", "NONE"):
        h = {"alg": alg, "typ": "JWT"}
        if header.get("kid"):
            h["kid"] = header["kid"]
        tokens.append((f"alg {alg}", token_unsigned(h, _a_claims(ctx))))
        signature = token_of(ctx.user("a").cookie).split(".")[2]
        tokens.append((f"alg {alg}, auth's signature kept",
                       token_unsigned(h, _a_claims(ctx)) + signature))
    return _forged(ctx, tokens)


@PROBES.add
def session_hs256_with_public_key(ctx):
    """The algorithm confusion attack: HS256 keyed with the public key every service holds."""
    _, header, _ = _real_token(ctx)
    _, public = ctx.stack.session_keys()
    kid = header.get("kid")
    check(kid in public, f"no public key file for kid {kid!r} under {ctx.stack.dir} "
                         f"(found {sorted(public)})")
    pem = public[kid].read_bytes()
    tokens = []
    for secret in (pem, pem.strip()):
        tokens.append(("HS256 keyed with auth's public key PEM",
                       token_hs256({"alg": "HS256", "typ": "JWT", "kid": kid}, _a_claims(ctx),
                                   secret)))
    return _forged(ctx, tokens)


def _stack_signed(ctx, header_extra, payload):
    """A token signed with the stack's own private key, as auth would sign it."""
    private, _ = ctx.stack.session_keys()
    check(private is not None, f"no private key file under {ctx.stack.dir}")
    _, header, _ = _real_token(ctx)
    h = {"alg": "ES256", "typ": "JWT", "kid": header.get("kid")}
    h.update(header_extra)
    return token_es256(h, payload, private)


def _control(ctx):
    """A token signed as auth signs is taken (else the probe's own signing is wrong)."""
    token = _stack_signed(ctx, {}, _a_claims(ctx))
    check(signed_in(ctx, cookie_for(token)),
          "control: a fresh token signed with the stack's key is not taken either")


@PROBES.add
def session_expired(ctx):
    """Tokens signed with the real key whose exp has passed."""
    _control(ctx)
    tokens = [("exp an hour ago", _stack_signed(ctx, {}, _a_claims(ctx, iat_delta=-7200))),
              ("exp 2 s ago", _stack_signed(ctx, {}, _a_claims(ctx, iat_delta=-62, ttl=60)))]
    return _forged(ctx, tokens) + " (a fresh one signed the same way is taken)"


@PROBES.add
def session_wrong_kid(ctx):
    """Tokens signed with the real key that name another key, a path, or none."""
    _control(ctx)
    tokens = [(f"kid {kid!r}", _stack_signed(ctx, {"kid": kid}, _a_claims(ctx)))
              for kid in ("not-a-key", "../run/auth", "")]
    private, _ = ctx.stack.session_keys()
    tokens.append(("no kid", token_es256({"alg": "ES256", "typ": "JWT"}, _a_claims(ctx), private)))
    return _forged(ctx, tokens) + " (the right kid is taken)"


@PROBES.add
def session_garbage_cookie(ctx):
    """Cookies that are not a session at all: not signed in, never an error."""
    cookies = [
        "session=garbage",
        "session=" + base64.b64encode(b"not json").decode(),
        "session=" + base64.b64encode(b'{"jwt":"a.b.c"}').decode(),
        "session=" + base64.b64encode(b'{"jwt":42}').decode(),
        "session=" + base64.b64encode(b'{"jwt":"' + b"A" * 3000 + b'"}').decode(),
        "session=%00%ff",
        "session=",
    ]
    for cookie in cookies:
        problems = not_signed_in(ctx, cookie)
        check(not problems, f"{cookie[:40]}: {'; '.join(problems)}")
    return f"{len(cookies)} garbage cookies: currentUser null, POST /api/tickets 401"


@PROBES.add
def session_signout_revokes(ctx):
    """A token signed out stops working in every service that checks sessions within 1 s."""
    a = ctx.user("a")
    cookie = ctx.sign("signin", User(a.email, a.password))
    check(signed_in(ctx, cookie), "control: the fresh session is not taken")
    out = ctx.api("POST", "/api/users/signout", cookie=cookie)
    check(out.status == 200, f"sign-out: {out}")
    still = []

    def revoked_everywhere():
        answers = {
            "auth": ctx.api("GET", "/api/users/currentuser", cookie=cookie),
            "tickets": ctx.api("POST", "/api/tickets", {"title": "after sign-out", "price": 1},
                               cookie=cookie),
            "orders": ctx.api("GET", "/api/orders", cookie=cookie),
            "payments": ctx.api("GET", f"/api/payments/{'0' * 24}", cookie=cookie),
        }
        still[:] = [svc for svc, a in answers.items()
                    if (a.json() != {"currentUser": None} if svc == "auth" else a.status != 401)]
        return not still

    revoked, spent = deadline_poll(revoked_everywhere, 1.0, interval_s=0.05)
    check(revoked, f"the signed-out token still works after {spent:.2f} s in: {', '.join(still)}")
    return f"the old cookie is refused by auth, tickets, orders, payments within {spent:.2f} s"
