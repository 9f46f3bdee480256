"""Layer-4 listeners: a TCP proxy in front of real redis servers (balancing, failover, a backend
that is down, the idle timeout) and TLS passthrough routed by the ClientHello's server name, with
the TLS session end to end between the client and the backend."""

from __future__ import annotations

import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import find_free_port

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


# ---------------------------------------------------------------------------------------
# peers
# ---------------------------------------------------------------------------------------

class Redis:
    """A redis-server of the test's own on a free loopback port, without persistence."""

    def __init__(self, tmp_path, name):
        self.port = find_free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(tmp_path), "--dbfilename", f"{name}.rdb"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if command(s, "PING") == b"+PONG\r\n":
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def hostport(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def redis(tmp_path):
    started = []

    def make():
        r = Redis(tmp_path, f"redis{len(started)}")
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()


def encode(*args: str) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        data = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def read_reply(sock: socket.socket) -> bytes:
    """One RESP reply (simple string, error, integer or bulk string)."""
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    if data.startswith(b"$") and not data.startswith(b"$-1"):
        length = int(data[1:data.index(b"\r\n")])
        total = data.index(b"\r\n") + 2 + length + 2
        while len(data) < total:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed after {data!r}")
            data += chunk
    return data


def command(sock: socket.socket, *args: str) -> bytes:
    sock.sendall(encode(*args))
    return read_reply(sock)


def tcp_config(port, endpoints, **layer4) -> dict:
    return {"workers": 2,
            "listeners": [{"name": "tcp", "listen": f"127.0.0.1:{port}", "protocol": "tcp",
                           "layer4": {"cluster": "redis", **layer4}}],
            "clusters": [{"name": "redis", "endpoints": list(endpoints)}]}


def closed_without_data(sock: socket.socket, timeout=5.0) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True


# ---------------------------------------------------------------------------------------
# TCP proxy
# ---------------------------------------------------------------------------------------

def test_redis_through_the_tcp_proxy(bulwark, redis):
    r = redis()
    port = find_free_port()
    b = bulwark(config=tcp_config(port, [r.hostport]), port=port)
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
        assert command(s, "PING") == b"+PONG\r\n"
        assert command(s, "SET", "greeting", "hello through bulwark") == b"+OK\r\n"
        assert command(s, "GET", "greeting") == b"$21\r\nhello through bulwark\r\n"
        # A value larger than any one buffer, both ways.
        big = "x" * (3 << 20)
        assert command(s, "SET", "big", big) == b"+OK\r\n"
        reply = command(s, "GET", "big")
        assert reply == b"$%d\r\n%s\r\n" % (len(big), big.encode())
        # Pipelined commands come back in order.
        s.sendall(b"".join(encode("INCR", "counter") for _ in range(100)))
        replies = b""
        while replies.count(b"\r\n") < 100:
            replies += s.recv(65536)
        assert replies == b"".join(b":%d\r\n" % i for i in range(1, 101))
    # The data really is in the redis behind it.
    with socket.create_connection(("127.0.0.1", r.port), timeout=10) as direct:
        assert command(direct, "GET", "greeting") == b"$21\r\nhello through bulwark\r\n"


def test_half_close_passes_through(bulwark, redis):
    """The client's end of stream reaches redis, which still answers what came before it."""
    r = redis()
    port = find_free_port()
    b = bulwark(config=tcp_config(port, [r.hostport]), port=port)
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
        s.sendall(encode("PING") + encode("ECHO", "last words"))
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data == b"+PONG\r\n$10\r\nlast words\r\n"


def test_balancing_over_two_redis_servers(bulwark, redis):
    first, second = redis(), redis()
    for server, name in ((first, "first"), (second, "second")):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            assert command(s, "SET", "who", name) == b"+OK\r\n"
    port = find_free_port()
    b = bulwark(config=tcp_config(port, [first.hostport, second.hostport]) | {"workers": 1}, port=port)
    seen = []
    for _ in range(6):
        with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
            seen.append(command(s, "GET", "who"))
    assert seen.count(b"$5\r\nfirst\r\n") == 3, seen
    assert seen.count(b"$6\r\nsecond\r\n") == 3, seen


def test_backend_down_tries_the_next_endpoint(bulwark, redis):
    r = redis()
    dead = f"127.0.0.1:{find_free_port()}"  # nothing listens there: connects are refused
    port = find_free_port()
    b = bulwark(config=tcp_config(port, [dead, r.hostport]) | {"workers": 1}, port=port)
    for _ in range(4):
        with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
            assert command(s, "PING") == b"+PONG\r\n"
    assert "connect failed" in b.stderr_text()


def test_connect_failures_eject_the_endpoint(bulwark, redis):
    """Outlier detection counts refused connects: after one, the dead endpoint is not tried again."""
    r = redis()
    dead = f"127.0.0.1:{find_free_port()}"
    port = find_free_port()
    cfg = tcp_config(port, [dead, r.hostport]) | {"workers": 1}
    cfg["clusters"][0]["outlier_detection"] = {"consecutive_gateway_errors": 1}
    b = bulwark(config=cfg, port=port)
    for _ in range(8):
        with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
            assert command(s, "PING") == b"+PONG\r\n"
    assert b.stderr_text().count("connect failed") == 1, b.stderr_text()


def test_every_backend_down_closes_the_connection(bulwark, redis):
    r = redis()
    port = find_free_port()
    b = bulwark(config=tcp_config(port, [r.hostport]), port=port)
    r.stop()
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
        s.sendall(encode("PING"))
        assert closed_without_data(s)


def test_backend_going_away_closes_the_client(bulwark, redis):
    r = redis()
    port = find_free_port()
    b = bulwark(config=tcp_config(port, [r.hostport]), port=port)
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
        assert command(s, "PING") == b"+PONG\r\n"
        s.sendall(encode("CLIENT", "KILL", "SKIPME", "no"))  # redis drops every client, this one too
        data = b""
        s.settimeout(5)
        while True:
            chunk = s.recv(1024)
            if not chunk:
                break
            data += chunk
    assert data in (b"", b":1\r\n"), data


def test_idle_timeout_closes_a_quiet_tunnel(bulwark, redis):
    r = redis()
    port = find_free_port()
    b = bulwark(config=tcp_config(port, [r.hostport], idle_timeout="300ms"), port=port)
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
        assert command(s, "PING") == b"+PONG\r\n"
        started = time.monotonic()
        assert closed_without_data(s)
        assert time.monotonic() - started < 3


def test_drain_keeps_tunnels_until_the_deadline(bulwark, redis):
    r = redis()
    port = find_free_port()
    b = bulwark(config=tcp_config(port, [r.hostport]) | {"timeouts": {"drain": "1500ms"}}, port=port)
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
        assert command(s, "PING") == b"+PONG\r\n"
        started = time.monotonic()
        b.signal(signal.SIGTERM)
        time.sleep(0.3)
        # Draining: the tunnel still carries traffic, and no new connection is taken.
        assert command(s, "ECHO", "still here") == b"$10\r\nstill here\r\n"
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", b.port), timeout=2).close()
        assert b.wait(10) == 0
        assert 1.2 <= time.monotonic() - started <= 5
        assert closed_without_data(s)


def test_per_client_connection_limit(bulwark, redis):
    r = redis()
    port = find_free_port()
    b = bulwark(config=tcp_config(port, [r.hostport]) | {"workers": 1, "limits": {"max_connections_per_ip": 2}},
                port=port)
    first = socket.create_connection(("127.0.0.1", b.port), timeout=10)
    second = socket.create_connection(("127.0.0.1", b.port), timeout=10)
    try:
        assert command(first, "PING") == b"+PONG\r\n"
        assert command(second, "PING") == b"+PONG\r\n"
        with socket.create_connection(("127.0.0.1", b.port), timeout=10) as third:
            third.sendall(encode("PING"))
            assert closed_without_data(third)
    finally:
        first.close()
        second.close()
    time.sleep(0.2)
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as again:
        assert command(again, "PING") == b"+PONG\r\n"


def test_tcp_listener_config_errors(bulwark, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("listeners:\n"
                      "  - name: tcp\n"
                      "    listen: 127.0.0.1:7000\n"
                      "    protocol: tcp\n"
                      "    layer4: { cluster: redis }\n"
                      "clusters:\n"
                      "  - name: cache\n"
                      "    endpoints: [127.0.0.1:6379]\n")
    b = bulwark.raw(["validate", "-c", str(config)])
    assert b.wait(30) != 0
    assert f"{config}:5:24: cluster: cluster 'redis' is not defined" in b.stderr_text() + b.stdout_text()


# ---------------------------------------------------------------------------------------
# TLS passthrough
# ---------------------------------------------------------------------------------------

class TlsBackend:
    """A TLS server with its own certificate that answers every request with its name."""

    def __init__(self, leaf, name):
        self.name = name
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(leaf.cert), str(leaf.key))
        self.server_names = []
        self.ctx.sni_callback = lambda sock, server_name, ctx: self.server_names.append(server_name)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def hostport(self):
        return f"127.0.0.1:{self.port}"

    def _serve(self):
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(raw,), daemon=True).start()

    def _answer(self, raw):
        try:
            with self.ctx.wrap_socket(raw, server_side=True) as tls:
                tls.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                body = self.name.encode()
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                            % (len(body), body))
        except (OSError, ssl.SSLError):
            pass

    def stop(self):
        self.listener.close()


@pytest.fixture
def tls_backends(pki):
    started = [TlsBackend(pki.a, "backend-a"), TlsBackend(pki.wild, "backend-b"),
               TlsBackend(pki.fallback, "backend-default")]
    yield started
    for backend in started:
        backend.stop()


def passthrough_config(port, a, b, default=None) -> dict:
    layer4 = {"sni_routes": [{"server_names": ["a.test"], "cluster": "a"},
                             {"server_names": ["*.b.test"], "cluster": "b"}]}
    clusters = [{"name": "a", "endpoints": [a.hostport]}, {"name": "b", "endpoints": [b.hostport]}]
    if default is not None:
        layer4["cluster"] = "default"
        clusters.append({"name": "default", "endpoints": [default.hostport]})
    return {"workers": 2,
            "listeners": [{"name": "sni", "listen": f"127.0.0.1:{port}", "protocol": "tls_passthrough",
                           "layer4": layer4}],
            "clusters": clusters}


def fetch(port, ctx, server_name):
    """A TLS connection through bulwark: the body and the certificate the client saw."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_name) as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
            subject = dict(item[0] for item in tls.getpeercert()["subject"])
    return data.split(b"\r\n\r\n", 1)[1].decode(), subject["commonName"]


def client_ctx(pki, maximum=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(pki.ca_bundle))
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx


def test_sni_routes_to_the_backend_with_the_session_end_to_end(bulwark, pki, tls_backends):
    a, b, default = tls_backends
    port = find_free_port()
    proxy = bulwark(config=passthrough_config(port, a, b, default), port=port)
    for maximum in (None, ssl.TLSVersion.TLSv1_2):
        ctx = client_ctx(pki, maximum)
        # The client verifies the backend's own certificate: bulwark never terminated TLS.
        assert fetch(proxy.port, ctx, "a.test") == ("backend-a", "a.test")
        assert fetch(proxy.port, ctx, "x.b.test") == ("backend-b", "wild.b.test")
        # A suffix route takes names any depth below it (the certificate's wildcard does not).
        lenient = client_ctx(pki, maximum)
        lenient.check_hostname = False
        assert fetch(proxy.port, lenient, "deep.x.b.test") == ("backend-b", "wild.b.test")
        assert fetch(proxy.port, ctx, "default.test") == ("backend-default", "default.test")
    assert "a.test" in a.server_names and "x.b.test" in b.server_names


def test_sni_without_a_route_or_default_is_closed(bulwark, pki, tls_backends):
    a, b, _ = tls_backends
    port = find_free_port()
    proxy = bulwark(config=passthrough_config(port, a, b), port=port)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            client_ctx(pki).wrap_socket(raw, server_hostname="unknown.test")
    # Plain HTTP to a passthrough listener: not a ClientHello, closed at once.
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
        assert closed_without_data(raw)
    # And the listener still serves the names it knows.
    assert fetch(proxy.port, client_ctx(pki), "a.test") == ("backend-a", "a.test")


def test_client_hello_in_pieces(bulwark, pki, tls_backends):
    """A ClientHello that arrives a few bytes at a time is still routed."""
    a, b, _ = tls_backends
    port = find_free_port()
    proxy = bulwark(config=passthrough_config(port, a, b), port=port)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_ctx(pki).wrap_bio(incoming, outgoing, server_hostname="a.test")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    hello = outgoing.read()
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(hello), 7):
            raw.sendall(hello[i:i + 7])
            time.sleep(0.002)
        data = raw.recv(65536)
        assert data[:1] == b"\x16", "the backend's ServerHello comes back"
    assert a.server_names == ["a.test"]
