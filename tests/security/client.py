"""What the security probes send with: HTTP through http.client, raw bytes over a socket for
requests http.client would refuse to write, hand-made session tokens, and bare NATS and Redis
protocol clients. Python's standard library only (plus the openssl command, which Debian's
ca-certificates brings, to sign an ES256 token with the stack's own key).

Every wait here has a deadline; nothing sleeps to synchronise.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import subprocess
import time
import uuid

SESSION_COOKIES = set()  # every session cookie value the stack handed out (secrets for the logs)


class Answer:
    """An HTTP answer: status (None when the connection closed without one), headers (names in
    lower case; a repeated header keeps every value), body bytes."""

    def __init__(self, status, headers, body, note=""):
        self.status = status
        self.headers = headers
        self.body = body
        self.note = note  # how a raw exchange ended: "closed", "reset", "timeout"

    def header(self, name):
        values = self.headers.get(name.lower(), [])
        return values[0] if values else None

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def text(self, limit=160):
        return self.body[:limit].decode("utf-8", "replace")

    def __str__(self):
        if self.status is None:
            return f"no answer ({self.note or 'closed'})"
        return f"{self.status} {self.text(100)}"


def _remember_cookies(headers):
    for value in headers.get("set-cookie", []):
        name, _, rest = value.partition("=")
        cookie = rest.split(";", 1)[0]
        if name.strip() == "session" and cookie:
            SESSION_COOKIES.add(cookie)


def request(port, method, path, body=None, headers=None, cookie=None, timeout=30):
    """One request on a new connection to 127.0.0.1:port. `body` is JSON-encoded unless it is
    bytes or str. A connection closed without an answer gives Answer(None, ...)."""
    hdrs = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        hdrs.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    if cookie:
        hdrs["Cookie"] = cookie
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        headers_out = {}
        for name, value in resp.getheaders():
            headers_out.setdefault(name.lower(), []).append(value)
        _remember_cookies(headers_out)
        return Answer(resp.status, headers_out, data)
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
        return Answer(None, {}, b"", note=type(e).__name__)
    except socket.timeout:
        return Answer(None, {}, b"", note="timeout")
    finally:
        conn.close()


def parse_raw(data, note):
    """An Answer from the bytes a raw exchange received."""
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2) if lines and lines[0] else []
    if not sep or len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return Answer(None, {}, data, note=note)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.setdefault(name.strip().lower().decode("latin-1"), []).append(
            value.strip().decode("latin-1"))
    return Answer(int(parts[1]), headers, body, note=note)


def raw(port, data, deadline_s=15):
    """Sends `data` on a new connection and reads until one whole answer arrived, the server
    closed, or `deadline_s` passed."""
    s = socket.create_connection(("127.0.0.1", port), timeout=deadline_s)
    try:
        s.sendall(data)
    except (ConnectionResetError, BrokenPipeError):
        s.close()
        return Answer(None, {}, b"", note="reset")
    return read_answer(s, deadline_s)


def read_answer(s, deadline_s):
    """Reads one answer from socket `s` (until it is whole, the server closed, or `deadline_s`
    passed), then closes it."""
    received, note = b"", "closed"
    end = time.monotonic() + deadline_s
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                note = "timeout"
                break
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                note = "timeout"
                break
            if not chunk:
                break
            received += chunk
            answer = parse_raw(received, note)
            length = answer.header("content-length")
            if answer.status is not None and length is not None and len(answer.body) >= int(length):
                note = "answered"
                break
    except ConnectionResetError:
        note = "reset"
    except BrokenPipeError:
        note = "reset"
    finally:
        s.close()
    return parse_raw(received, note)


# --- the contract's error format ------------------------------------------------------------------

def error_problems(answer, through_ingress=True):
    """What is wrong with `answer` as an error in the contract's format (DESIGN.md section 4):
    JSON {"errors":[{"message": ...}]} with an application/json type; through the ingress also
    X-Content-Type-Options: nosniff and no nginx version anywhere."""
    if answer.status is None:
        return [f"no answer ({answer.note})"]
    problems = []
    ctype = answer.header("content-type") or ""
    if not ctype.startswith("application/json"):
        problems.append(f"content type {ctype!r}")
    body = answer.json()
    errors = body.get("errors") if isinstance(body, dict) else None
    if not (isinstance(errors, list) and errors
            and all(isinstance(e, dict) and isinstance(e.get("message"), str) for e in errors)):
        problems.append(f"body {answer.text(80)!r}")
    if through_ingress:
        problems.extend(ingress_header_problems(answer))
    return problems


def ingress_header_problems(answer):
    problems = []
    if "nosniff" not in (answer.header("x-content-type-options") or ""):
        problems.append("no X-Content-Type-Options: nosniff")
    server = " ".join(answer.headers.get("server", []))
    if "nginx/" in server or b"nginx/" in answer.body:
        problems.append(f"nginx version shown (Server: {server})")
    return problems


def fields_of(answer):
    body = answer.json()
    errors = body.get("errors", []) if isinstance(body, dict) else []
    return sorted({e.get("field") for e in errors if isinstance(e, dict) and e.get("field")})


def messages_of(answer):
    body = answer.json()
    errors = body.get("errors", []) if isinstance(body, dict) else []
    return [e.get("message") for e in errors if isinstance(e, dict)]


# --- sessions -------------------------------------------------------------------------------------

def b64url(data):
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def cookie_for(token):
    """The `session` cookie carrying `token`, as auth writes it: base64 of {"jwt": token}."""
    return "session=" + base64.b64encode(json.dumps({"jwt": token}).encode()).decode()


def token_of(cookie):
    """The JWT inside a `session=...` cookie, or None."""
    try:
        value = cookie.split("=", 1)[1]
        return json.loads(base64.b64decode(value + "=" * (-len(value) % 4)))["jwt"]
    except (IndexError, ValueError, KeyError, TypeError):
        return None


def jwt_parts(token):
    """(header, claims) of a JWT, or (None, None)."""
    try:
        h, c, _ = token.split(".")
        return json.loads(b64url_decode(h)), json.loads(b64url_decode(c))
    except (ValueError, AttributeError):
        return None, None


def claims(user_id, email, iat, exp):
    return {"id": user_id, "email": email, "iat": iat, "exp": exp, "jti": uuid.uuid4().hex}


def token_hs256(header, payload, secret):
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(sig)}"


def token_unsigned(header, payload, signature=b""):
    return f"{b64url(header)}.{b64url(payload)}.{b64url(signature)}"


def _der_ecdsa_to_raw(der):
    """ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs) to JWS's r || s, 32 bytes each."""
    if der[0] != 0x30:
        raise ValueError("not a DER sequence")
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    out = b""
    for _ in range(2):
        if der[i] != 0x02:
            raise ValueError("not a DER integer")
        n = der[i + 1]
        value = der[i + 2:i + 2 + n].lstrip(b"\x00")
        out += value.rjust(32, b"\x00")
        i += 2 + n
    return out


def token_es256(header, payload, private_key_file):
    """An ES256 token signed with a P-256 private key (PEM file) by the openssl command."""
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(private_key_file)],
                         input=signing_input.encode(), capture_output=True, check=True,
                         timeout=30).stdout
    return f"{signing_input}.{b64url(_der_ecdsa_to_raw(der))}"


def new_p256_key_file(directory):
    """A fresh P-256 private key no service knows (PEM file in `directory`, e.g. a
    tempfile.TemporaryDirectory)."""
    path = os.path.join(directory, "made-up.pem")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path],
                   capture_output=True, check=True, timeout=30)
    return path


# --- NATS and Redis, spoken by hand ---------------------------------------------------------------

def nats_exchange(port, connect, commands=b"", deadline_s=5):
    """Connects to nats-server, sends CONNECT `connect` (a dict), then `commands`, then PING, and
    returns every line the server sent until PONG, an -ERR that closes, or the deadline."""
    s = socket.create_connection(("127.0.0.1", port), timeout=deadline_s)
    received = b""
    end = time.monotonic() + deadline_s
    try:
        s.settimeout(deadline_s)
        received += s.recv(65536)  # INFO {...}
        s.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\n" + commands + b"PING\r\n")
        while b"PONG" not in received:
            left = end - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            received += chunk
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return [line for line in received.decode("utf-8", "replace").split("\r\n")
            if line and not line.startswith("INFO ")]


def redis_command(port, *words, deadline_s=5):
    """One Redis command (RESP array of bulk strings); the first line of the reply."""
    payload = f"*{len(words)}\r\n".encode()
    for w in words:
        w = w.encode() if isinstance(w, str) else w
        payload += f"${len(w)}\r\n".encode() + w + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=deadline_s) as s:
        s.sendall(payload)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode("utf-8", "replace")


# --- where a service process is -------------------------------------------------------------------

def listening_sockets():
    """{port: [local addresses listening on it]} from /proc/net/tcp and tcp6 (what `ss -ltn`
    shows, without needing iproute2)."""
    found = {}
    for name, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = open(name).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) < 4 or parts[3] != "0A":  # 0A: LISTEN
                continue
            addr_hex, port_hex = parts[1].split(":")
            raw_addr = bytes.fromhex(addr_hex)
            # /proc writes each 32-bit word in host (little-endian) order.
            words = [raw_addr[i:i + 4][::-1] for i in range(0, len(raw_addr), 4)]
            packed = b"".join(words)
            if width == 8:
                addr = socket.inet_ntop(socket.AF_INET, packed)
            else:
                addr = socket.inet_ntop(socket.AF_INET6, packed)
            found.setdefault(int(port_hex, 16), []).append(addr)
    return found


def deadline_poll(check, deadline_s, interval_s=0.05):
    """Calls check() until it returns a true value or the deadline passes; returns the last
    value and the seconds spent. The pauses between calls are the polling interval, not a way to
    wait for something to happen."""
    start = time.monotonic()
    while True:
        value = check()
        spent = time.monotonic() - start
        if value or spent >= deadline_s:
            return value, spent
        time.sleep(min(interval_s, deadline_s - spent))
