"""The PROXY protocol: v1 and v2 headers accepted from trusted sources (the real client address
then shows in the access log, X-Forwarded-For and route matching), refused or closed otherwise;
and bulwark sending v1/v2 headers to backends that parse them, from HTTP and TCP listeners."""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import struct
import threading

import pytest

import origins as O
from conftest import find_free_port
from http_client import poll

V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def v1(source="203.0.113.7", destination="127.0.0.1", sport=40001, dport=443) -> bytes:
    family = "TCP6" if ":" in source else "TCP4"
    return f"PROXY {family} {source} {destination} {sport} {dport}\r\n".encode()


def v2(source="198.51.100.9", destination="127.0.0.1", sport=40002, dport=443, tlvs=b"",
       command=0x21) -> bytes:
    src, dst = ipaddress.ip_address(source), ipaddress.ip_address(destination)
    family = 0x11 if src.version == 4 else 0x21
    block = src.packed + dst.packed + struct.pack(">HH", sport, dport) + tlvs
    return V2_SIGNATURE + bytes([command, family]) + struct.pack(">H", len(block)) + block


def exchange(port, data: bytes, timeout=5.0) -> bytes:
    """Sends `data`, then reads until bulwark closes (the request says Connection: close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except ConnectionResetError:
            pass
    return out


GET = b"GET /who HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"


def accepting(port, trusted=("127.0.0.1",), log=None, extra_routes=(), tls=None) -> dict:
    listener = {"name": "public", "listen": f"127.0.0.1:{port}",
                "proxy_protocol": {"trusted_sources": list(trusted), "timeout": "1s"},
                "virtual_hosts": [{"domains": ["*"],
                                   "routes": [*extra_routes,
                                              {"match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}]}]}
    if tls is not None:
        listener["tls"] = tls
    cfg = {"workers": 2, "listeners": [listener]}
    if log is not None:
        cfg["access_log"] = {"path": str(log), "format": "combined"}
    return cfg


def log_lines(path):
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


# ---------------------------------------------------------------------------------------
# accepting
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("header,client", [(v1(), "203.0.113.7"), (v2(), "198.51.100.9"),
                                           (v1("2001:db8::5", "::1"), "2001:db8::5"),
                                           (v2(tlvs=b"\x04\x00\x03abc\x05\x00\x00"), "198.51.100.9")])
def test_trusted_header_gives_the_real_client_address(bulwark, origin, tmp_path, header, client):
    o = origin(O.echo())
    log = tmp_path / "access.log"
    port = find_free_port()
    cfg = accepting(port, log=log) | {"clusters": [{"name": "backend", "endpoints": [o.hostport]}]}
    b = bulwark(config=cfg, port=port)
    response = exchange(b.port, header + GET)
    assert response.startswith(b"HTTP/1.1 200"), response
    assert o.wait_for_requests(1)
    assert o.requests[0].header("x-forwarded-for") == client
    lines = poll(lambda: [line for line in log_lines(log) if "/who" in line], timeout=3)
    assert lines and lines[0].startswith(client + " "), lines


def test_real_address_is_used_for_route_matching(bulwark, origin):
    o = origin(O.fixed(200, b"from the origin"))
    port = find_free_port()
    inside = {"match": {"prefix": "/", "networks": ["203.0.113.0/24"]},
              "direct_response": {"status": 200, "body": "documentation network"}}
    cfg = accepting(port, extra_routes=[inside]) | {"clusters": [{"name": "backend", "endpoints": [o.hostport]}]}
    b = bulwark(config=cfg, port=port)
    assert exchange(b.port, v1("203.0.113.50") + GET).endswith(b"documentation network")
    assert exchange(b.port, v1("192.0.2.50") + GET).endswith(b"from the origin")


def test_per_client_limit_counts_the_real_address(bulwark, origin):
    o = origin(O.echo())
    port = find_free_port()
    cfg = accepting(port) | {"workers": 1, "limits": {"max_connections_per_ip": 1},
                             "clusters": [{"name": "backend", "endpoints": [o.hostport]}]}
    b = bulwark(config=cfg, port=port)
    keep_alive = b"GET /who HTTP/1.1\r\nHost: example.test\r\n\r\n"
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as first:
        first.sendall(v1("203.0.113.1") + keep_alive)
        assert first.recv(65536).startswith(b"HTTP/1.1 200")
        # Another client behind the same balancer has a connection of its own...
        assert exchange(b.port, v1("203.0.113.2") + GET).startswith(b"HTTP/1.1 200")
        # ...while a second one from the first client is over its limit.
        assert exchange(b.port, v1("203.0.113.1") + GET).startswith(b"HTTP/1.1 429")


def test_local_command_keeps_the_peer_address(bulwark, origin):
    o = origin(O.echo())
    port = find_free_port()
    cfg = accepting(port) | {"clusters": [{"name": "backend", "endpoints": [o.hostport]}]}
    b = bulwark(config=cfg, port=port)
    local = V2_SIGNATURE + b"\x20\x00\x00\x00"
    assert exchange(b.port, local + GET).startswith(b"HTTP/1.1 200")
    assert exchange(b.port, b"PROXY UNKNOWN\r\n" + GET).startswith(b"HTTP/1.1 200")
    assert o.wait_for_requests(2)
    assert [r.header("x-forwarded-for") for r in o.requests] == ["127.0.0.1", "127.0.0.1"]


@pytest.mark.parametrize("data", [
    GET,                                                        # no header at all
    b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n" + GET,                  # v1 without CRLF
    b"PROXY TCP4 1.2.3.999 5.6.7.8 1 2\r\n" + GET,              # bad address
    b"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n" + GET,            # bad port
    b"PROXY TCP4 " + b"1" * 120 + b"\r\n" + GET,                # over 107 bytes
    b"PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n" + GET,                # not TCP
    V2_SIGNATURE[:8] + b"XXXX" + GET,                           # bad v2 signature
    v2()[:12] + b"\x31" + v2()[13:] + GET,                      # v2 version 3
    V2_SIGNATURE + b"\x21\x31\x00\x04abcd" + GET,               # AF_UNIX
    V2_SIGNATURE + b"\x21\x11\x00\x04abcd" + GET,               # address block too short
    v2(tlvs=b"\x04\x00\x09ab") + GET,                           # TLV overruns the header
    V2_SIGNATURE + b"\x21\x11\xff\xff" + GET,                   # over the length limit
])
def test_trusted_source_without_a_valid_header_is_closed(bulwark, origin, data):
    o = origin(O.echo())
    port = find_free_port()
    cfg = accepting(port) | {"clusters": [{"name": "backend", "endpoints": [o.hostport]}]}
    b = bulwark(config=cfg, port=port)
    assert exchange(b.port, data) == b""
    assert o.connections_accepted == 0


def test_truncated_header_times_out(bulwark, origin):
    o = origin(O.echo())
    port = find_free_port()
    cfg = accepting(port) | {"clusters": [{"name": "backend", "endpoints": [o.hostport]}]}
    b = bulwark(config=cfg, port=port)
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
        s.sendall(b"PROXY TCP4 1.2.3.4 ")
        s.settimeout(5)
        assert s.recv(100) == b""  # the 1 s timeout closed it
    # A well-behaved client is served meanwhile.
    assert exchange(b.port, v1() + GET).startswith(b"HTTP/1.1 200")


def test_header_from_an_untrusted_source_is_a_bad_request(bulwark, origin):
    o = origin(O.echo())
    port = find_free_port()
    cfg = accepting(port, trusted=["10.0.0.0/8"]) | {"clusters": [{"name": "backend", "endpoints": [o.hostport]}]}
    b = bulwark(config=cfg, port=port)
    assert exchange(b.port, v1() + GET).startswith(b"HTTP/1.1 400")
    # Plain requests from untrusted peers are served as usual.
    assert exchange(b.port, GET).startswith(b"HTTP/1.1 200")
    assert o.wait_for_requests(1)
    assert o.requests[0].header("x-forwarded-for") == "127.0.0.1"


def test_header_comes_before_tls(bulwark, origin, pki):
    o = origin(O.echo())
    port = find_free_port()
    tls = {"certificates": [{"cert": str(pki.a.cert), "key": str(pki.a.key)}]}
    cfg = accepting(port, tls=tls) | {"clusters": [{"name": "backend", "endpoints": [o.hostport]}]}
    b = bulwark(config=cfg, port=port)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(pki.ca_bundle))
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as raw:
        raw.sendall(v2("192.0.2.77"))
        with ctx.wrap_socket(raw, server_hostname="a.test") as s:
            s.sendall(GET)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data
    assert o.wait_for_requests(1)
    assert o.requests[0].header("x-forwarded-for") == "192.0.2.77"


def test_http2_streams_get_the_real_client_address(bulwark, origin, pki):
    import h2.connection
    import h2.events
    o = origin(O.echo())
    port = find_free_port()
    tls = {"certificates": [{"cert": str(pki.a.cert), "key": str(pki.a.key)}]}
    cfg = accepting(port, tls=tls) | {"clusters": [{"name": "backend", "endpoints": [o.hostport]}]}
    b = bulwark(config=cfg, port=port)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=str(pki.ca_bundle))
    ctx.set_alpn_protocols(["h2"])
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as raw:
        raw.sendall(v1("198.51.100.33"))
        with ctx.wrap_socket(raw, server_hostname="a.test") as s:
            assert s.selected_alpn_protocol() == "h2"
            conn = h2.connection.H2Connection()
            conn.initiate_connection()
            for stream in (1, 3):
                conn.send_headers(stream, [(":method", "GET"), (":path", f"/h2/{stream}"), (":scheme", "https"),
                                           (":authority", "a.test")], end_stream=True)
            s.sendall(conn.data_to_send())
            statuses = {}
            ended = set()
            while len(ended) < 2:
                data = s.recv(65536)
                assert data, "closed before both responses"
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.ResponseReceived):
                        statuses[event.stream_id] = dict(event.headers)[b":status"]
                    elif isinstance(event, h2.events.StreamEnded):
                        ended.add(event.stream_id)
                s.sendall(conn.data_to_send())
    assert statuses == {1: b"200", 3: b"200"}
    assert o.wait_for_requests(2)
    assert [r.header("x-forwarded-for") for r in o.requests] == ["198.51.100.33"] * 2


# ---------------------------------------------------------------------------------------
# sending
# ---------------------------------------------------------------------------------------

class ProxyAwareOrigin:
    """Reads a PROXY header (v1 or v2) and then one HTTP request or, in echo mode, raw bytes;
    answers with what the header said, as JSON."""

    def __init__(self, raw_echo=False):
        self.raw_echo = raw_echo
        self.headers = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def hostport(self):
        return f"127.0.0.1:{self.port}"

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    @staticmethod
    def _read(conn, data, n):
        while len(data) < n:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _parse(self, conn):
        data = self._read(conn, b"", 16)
        if data.startswith(b"PROXY "):
            while b"\r\n" not in data:
                data = self._read(conn, data, len(data) + 1)
            line, rest = data.split(b"\r\n", 1)
            parts = line.decode().split(" ")
            return {"version": 1, "source": parts[2], "destination": parts[3],
                    "source_port": int(parts[4]), "destination_port": int(parts[5])}, rest
        assert data[:12] == V2_SIGNATURE, data
        length = struct.unpack(">H", data[14:16])[0]
        data = self._read(conn, data, 16 + length)
        family = data[13] >> 4
        size = 4 if family == 1 else 16
        block = data[16:16 + length]
        return {"version": 2,
                "source": str(ipaddress.ip_address(block[:size])),
                "destination": str(ipaddress.ip_address(block[size:2 * size])),
                "source_port": struct.unpack(">H", block[2 * size:2 * size + 2])[0],
                "destination_port": struct.unpack(">H", block[2 * size + 2:2 * size + 4])[0]}, data[16 + length:]

    def _answer(self, conn):
        with conn:
            try:
                header, rest = self._parse(conn)
                self.headers.append(header)
                body = json.dumps(header).encode()
                if self.raw_echo:
                    conn.sendall(body + b"\n" + rest)
                    while True:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        conn.sendall(chunk)
                while True:  # keep-alive: one answer per request head
                    while b"\r\n\r\n" not in rest:
                        chunk = conn.recv(65536)
                        if not chunk:
                            return
                        rest += chunk
                    rest = rest.split(b"\r\n\r\n", 1)[1]
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            except (OSError, AssertionError, ConnectionError):
                return

    def stop(self):
        self.listener.close()


@pytest.fixture
def proxy_origin():
    started = []

    def make(**kw):
        o = ProxyAwareOrigin(**kw)
        started.append(o)
        return o

    yield make
    for o in started:
        o.stop()


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_http_upstream_gets_a_header_per_connection(bulwark, proxy_origin, version):
    o = proxy_origin()
    b = bulwark([o.hostport], clusters=[{"name": "backend", "endpoints": [o.hostport],
                                         "send_proxy_protocol": version}])
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
        client_port = s.getsockname()[1]
        s.sendall(GET)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data
    header = json.loads(data.split(b"\r\n\r\n", 1)[1])
    assert header == {"version": int(version[1]), "source": "127.0.0.1", "destination": "127.0.0.1",
                      "source_port": client_port, "destination_port": b.port}


def test_without_pooling_every_client_gets_its_own_header(bulwark, proxy_origin):
    o = proxy_origin()
    b = bulwark([o.hostport], clusters=[{"name": "backend", "endpoints": [o.hostport],
                                         "send_proxy_protocol": "v1",
                                         "pool": {"max_idle_per_endpoint": 0}}])
    ports = []
    for _ in range(2):
        with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
            ports.append(s.getsockname()[1])
            s.sendall(GET)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        assert json.loads(data.split(b"\r\n\r\n", 1)[1])["source_port"] == ports[-1]
    assert [h["source_port"] for h in o.headers] == ports


def test_received_address_is_passed_on(bulwark, proxy_origin):
    """PROXY in from a trusted balancer, PROXY out to the backend: the backend sees the client."""
    o = proxy_origin()
    port = find_free_port()
    cfg = accepting(port) | {"clusters": [{"name": "backend", "endpoints": [o.hostport],
                                           "send_proxy_protocol": "v2"}]}
    b = bulwark(config=cfg, port=port)
    data = exchange(b.port, v1("203.0.113.7", "192.0.2.1", 40001, 443) + GET)
    header = json.loads(data.split(b"\r\n\r\n", 1)[1])
    assert header == {"version": 2, "source": "203.0.113.7", "destination": "192.0.2.1",
                      "source_port": 40001, "destination_port": 443}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_tcp_listener_sends_and_accepts_headers(bulwark, proxy_origin, version):
    o = proxy_origin(raw_echo=True)
    port = find_free_port()
    cfg = {"workers": 1,
           "listeners": [{"name": "tcp", "listen": f"127.0.0.1:{port}", "protocol": "tcp",
                          "proxy_protocol": {"trusted_sources": ["127.0.0.0/8"]},
                          "layer4": {"cluster": "backend"}}],
           "clusters": [{"name": "backend", "endpoints": [o.hostport], "send_proxy_protocol": version}]}
    b = bulwark(config=cfg, port=port)
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
        s.sendall(v2("198.51.100.20", "192.0.2.2", 5000, 6379) + b"ping")
        data = b""
        while not data.endswith(b"ping"):
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
    header = json.loads(data.split(b"\n", 1)[0])
    assert header == {"version": int(version[1]), "source": "198.51.100.20", "destination": "192.0.2.2",
                      "source_port": 5000, "destination_port": 6379}
    # Without the header, a trusted source is closed before any backend is dialled.
    assert exchange(b.port, b"ping") == b""
    assert len(o.headers) == 1
