#!/usr/bin/python3
"""Hold N idle HTTP/1.1 keep-alive connections open against a proxy (stdlib only).

Each connection is opened, sends one complete `GET PATH` and reads the whole response, so
it has done real work and is now an idle keep-alive connection, exactly as a browser leaves
it. Connections are handled one after another, so the proxy needs only one upstream
connection. When all are idle the script prints

    READY opened=N failed=F seconds=S

and holds them until SIGTERM/SIGINT (or --hold seconds). It then checks every socket
without blocking (a socket the server closed reads EOF) and prints

    DONE open=N closed=C

bench/run.sh measures the proxy's RSS between READY and SIGTERM.
Exit status: 0, or 1 when more than --max-fail-ratio of the connections failed or closed.
"""

from __future__ import annotations

import argparse
import resource
import signal
import socket
import sys
import time

_stop = False


def _on_signal(_signum: int, _frame: object) -> None:
    global _stop  # noqa: PLW0603 - a signal handler can only talk through a global
    _stop = True


def raise_nofile(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def recv_more(sock: socket.socket, buf: bytearray) -> None:
    data = sock.recv(65536)
    if not data:
        raise ConnectionError("server closed the connection before the response ended")
    buf += data


def read_response(sock: socket.socket) -> int:
    """Reads one HTTP/1.1 response; returns its status. Raises when it cannot be kept alive."""
    buf = bytearray()
    while (end := buf.find(b"\r\n\r\n")) < 0:
        if len(buf) > 65536:
            raise ValueError("response header too large")
        recv_more(sock, buf)
    head = bytes(buf[:end]).decode("latin-1").split("\r\n")
    body = buf[end + 4 :]
    parts = head[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ValueError(f"bad status line {head[0]!r}")
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "close" in headers.get("connection", "").lower():
        raise ValueError("server answered Connection: close")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        # Good enough for a benchmark: read until the last chunk and the empty trailer.
        while not body.endswith(b"0\r\n\r\n"):
            recv_more(sock, body)
        return status
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        recv_more(sock, body)
    if len(body) != length:
        raise ValueError(f"{len(body) - length} bytes after the response")
    return status


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/1k")
    ap.add_argument("--count", type=int, default=10000, help="connections to open (default 10000)")
    ap.add_argument("--hold", type=float, default=300.0, help="longest hold in seconds before giving up")
    ap.add_argument("--timeout", type=float, default=10.0, help="per-connection connect/read timeout")
    ap.add_argument("--max-fail-ratio", type=float, default=0.01)
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    limit = raise_nofile(args.count + 256)
    if limit < args.count + 16:
        print(f"idle_conns: RLIMIT_NOFILE {limit} is too low for {args.count} connections", file=sys.stderr)
        return 1

    request = (
        f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
        "User-Agent: bulwark-bench-idle\r\nAccept: */*\r\n\r\n"
    ).encode()
    conns: list[socket.socket] = []
    failed = 0
    first_error = ""
    started = time.monotonic()
    for _ in range(args.count):
        if _stop:
            break
        sock = None
        try:
            sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(request)
            status = read_response(sock)
            if not 200 <= status < 300:
                raise ValueError(f"status {status}")
            conns.append(sock)
        except (OSError, ValueError) as exc:
            failed += 1
            if not first_error:
                first_error = f"{type(exc).__name__}: {exc}"
            if sock is not None:
                sock.close()
    seconds = time.monotonic() - started
    if first_error:
        print(f"idle_conns: {failed} connections failed; first: {first_error}", file=sys.stderr)
    print(f"READY opened={len(conns)} failed={failed} seconds={seconds:.1f}", flush=True)

    deadline = time.monotonic() + args.hold
    while not _stop and time.monotonic() < deadline:
        time.sleep(0.05)

    still_open = closed = 0
    for sock in conns:
        sock.setblocking(False)
        try:
            data = sock.recv(1)
            closed += 1  # EOF (b"") or unexpected bytes: either way not an idle keep-alive connection
            del data
        except BlockingIOError:
            still_open += 1
        except OSError:
            closed += 1
        sock.close()
    print(f"DONE open={still_open} closed={closed}", flush=True)
    bad = failed + closed
    return 1 if bad > args.max_fail_ratio * max(args.count, 1) else 0


if __name__ == "__main__":
    sys.exit(main())
