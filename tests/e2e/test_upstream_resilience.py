"""Upstream failures bulwark absorbs or reports precisely: a pooled connection the backend has
closed (retried once for idempotent requests), a backend that accepts no connection (connect
timeout, 504) and a backend that stops reading the request body (write timeout, 504)."""

import socket
import threading
import time

import origins as O
from http_client import RawClient

# Answers as a keep-alive connection would, then closes at once: every pooled connection to this
# origin is stale by the time the next request takes it.
CLOSES_AFTER_EACH = O.raw_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close=True)


def test_request_on_a_stale_pooled_connection_is_retried_on_a_fresh_one(bulwark, origin):
    o = origin(CLOSES_AFTER_EACH)
    b = bulwark([o.hostport], workers=1)
    with RawClient(b.port) as c:
        for i in range(20):
            r = c.request("GET", f"/stale/{i}")
            assert r.status == 200 and r.body == b"ok", f"request {i}: {r}"
    # Every request needed a connection of its own: the stale ones were detected and replaced.
    assert o.connections_accepted >= 20


def test_upstream_connect_timeout_gives_504(bulwark):
    # A listener that never accepts, with its backlog full: the kernel drops further SYNs, so a
    # connect neither succeeds nor fails until it gives up.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            try:
                s.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(s)
        time.sleep(0.2)
        b = bulwark([f"127.0.0.1:{port}"], timeouts={"upstream_connect": "1s"})
        started = time.monotonic()
        with RawClient(b.port, timeout=15) as c:
            r = c.request("GET", "/never-connects")
        elapsed = time.monotonic() - started
        assert r.status == 504, r
        assert 0.9 <= elapsed <= 4.0, f"504 after {elapsed:.2f} s for a 1 s connect timeout"
        assert str(port) not in r.body.decode("latin-1")
    finally:
        for s in fillers:
            s.close()
        listener.close()


def test_upstream_that_stops_reading_the_body_gives_504(bulwark, origin):
    release = threading.Event()

    def never_reads_body(ex):  # takes the head, then ignores the body
        release.wait(20)

    o = origin(never_reads_body)
    b = bulwark([o.hostport], timeouts={"upstream_write": "1s"})
    size = 256 << 20  # far more than the socket buffers between bulwark and the origin hold
    sock = socket.create_connection(("127.0.0.1", b.port), timeout=15)
    try:
        sock.sendall(f"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: {size}\r\n\r\n".encode())

        def push_body():
            chunk = b"x" * (1 << 20)
            try:
                for _ in range(size >> 20):
                    sock.sendall(chunk)
            except OSError:
                pass  # bulwark stops reading once it has answered

        pusher = threading.Thread(target=push_body, daemon=True)
        started = time.monotonic()
        pusher.start()
        reply = b""
        while b"\r\n\r\n" not in reply:
            data = sock.recv(65536)
            if not data:
                break
            reply += data
        elapsed = time.monotonic() - started
        assert reply.startswith(b"HTTP/1.1 504 "), reply[:200]
        assert elapsed <= 6.0, f"504 after {elapsed:.2f} s for a 1 s write timeout"
    finally:
        release.set()
        sock.close()
