"""The probes that run last: one stops a service (the ingress's 503), the other reads the logs
of everything before it for secrets (session cookies and tokens, passwords, keys).
"""

import re

import client
from client import error_problems, messages_of, token_of
from harness import NotHere, ProbeList, check

PROBES = ProbeList()


@PROBES.add
def nginx_error_service_down(ctx):
    """No replica of a service: the ingress's 503 in JSON."""
    if not ctx.stack.owned:
        raise NotHere("the stack is not this run's to stop a service of")
    code, output = ctx.stack.supervisorctl("stop", "payments-0")
    check(code == 0, f"supervisorctl stop payments-0: {output}")
    got = ctx.api("GET", f"/api/payments/{'0' * 24}", cookie=ctx.user("a").cookie)
    problems = error_problems(got)
    check(got.status == 503 and not problems, f"payments down: {got}: {'; '.join(problems)}")
    return f"payments down: 503 {messages_of(got)[0]!r}"


@PROBES.add
def logs_hold_no_secrets(ctx):
    """After everything above, no log holds a session, a password, a key or a URL
    with credentials."""
    secrets_known = {}
    for cookie in client.SESSION_COOKIES:
        secrets_known[cookie] = "a session cookie"
        token = token_of(f"session={cookie}")
        if token:
            secrets_known[token] = "a session token"
            secrets_known[token.rsplit(".", 1)[-1]] = "a session token's signature"
    for value in ctx.stack.secret_values():
        secrets_known[value] = "a secret of the generated configuration"
    for user in ctx.users.values():
        secrets_known[user.password] = "a user's password"
    files = [p for p in sorted(ctx.stack.logs_dir.rglob("*")) if p.is_file()]
    check(files, f"no log files under {ctx.stack.logs_dir}")
    found = []
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        for value, what in secrets_known.items():
            if len(value) >= 8 and value in text:
                found.append(f"{what} in {path.name}")
        if re.search(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.", text):
            found.append(f"a JWT in {path.name}")
        if re.search(r"(nats|redis|postgres(ql)?)://[^/\s:@\"]+:[^*\s@\"][^\s@\"]*@", text):
            found.append(f"a URL with a password in {path.name}")
    check(not found, "; ".join(sorted(set(found))))
    return (f"{len(files)} log files hold none of {len(secrets_known)} secret values "
            f"({len(client.SESSION_COOKIES)} session cookies, "
            f"{len(ctx.stack.secret_values())} configuration secrets, passwords), no JWT, no "
            f"URL with a password")
