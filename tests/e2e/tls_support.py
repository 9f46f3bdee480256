"""Clients for the TLS tests: openssl s_client (what the issue names and what operators use) and
Python's ssl module where a test needs the connection object itself."""

from __future__ import annotations

import re
import socket
import ssl
import subprocess
from pathlib import Path

REQUEST = b"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"


def s_client(port: int, *args, servername: str | None = "a.test", host_header: str | None = None,
             request: bytes | None = None, timeout=20) -> str:
    """Runs one `openssl s_client` connection that sends a request and reads until the close (so
    that TLS 1.3 session tickets arrive). Returns stdout and stderr together."""
    cmd = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-ign_eof", *map(str, args)]
    if servername:
        cmd += ["-servername", servername]
    else:
        cmd += ["-noservername"]
    if request is None:
        request = REQUEST.replace(b"{host}", (host_header or servername or "localhost").encode())
    r = subprocess.run(cmd, input=request, capture_output=True, timeout=timeout)
    return r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")


def handshake_ok(output: str) -> bool:
    return bool(re.search(r"^(New|Reused), TLSv1\.[23]", output, re.M))


def peer_common_name(output: str) -> str | None:
    m = re.search(r"^subject=.*?CN ?= ?([^,/\n]+)", output, re.M)
    return m.group(1).strip() if m else None


def client_context(pki, *, cert=None, alpn=None, minimum=None, maximum=None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(pki.ca_bundle))
    if cert is not None:
        ctx.load_cert_chain(str(cert.cert), str(cert.key))
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if minimum:
        ctx.minimum_version = minimum
    if maximum:
        ctx.maximum_version = maximum
    return ctx


def connect(port: int, ctx: ssl.SSLContext, server_name="a.test", session=None) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=server_name, session=session)


def request(sock: ssl.SSLSocket, path="/", host="a.test", headers: dict | None = None,
            close=False) -> tuple[int, dict, bytes]:
    """One HTTP/1.1 request on an open TLS socket; returns status, headers (lower-case) and body
    (Content-Length framing, which every response in these tests has)."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if close:
        lines.append("Connection: close")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *fields = head.decode().split("\r\n")
    parsed = {}
    for f in fields:
        k, _, v = f.partition(":")
        parsed[k.strip().lower()] = v.strip()
    length = int(parsed.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), parsed, body


def listener_tls(*leaves, **extra) -> dict:
    """A listener's tls: block serving `leaves` (the first is the default)."""
    certs = [{"cert": str(l.cert), "key": str(l.key)} for l in leaves]
    return {"certificates": certs, **extra}


def tls_config(port: int, tls: dict, endpoints, workers=2, routes=None, clusters=None) -> dict:
    cfg = {"workers": workers,
           "listeners": [{"name": "secure", "listen": f"127.0.0.1:{port}", "tls": tls,
                          "virtual_hosts": [{"domains": ["*"], "routes": routes or [
                              {"match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}]}]}],
           "clusters": clusters or [{"name": "backend", "endpoints": list(endpoints)}]}
    return cfg


def read_text(path: Path) -> str:
    return Path(path).read_text()
