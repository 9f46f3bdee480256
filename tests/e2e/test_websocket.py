"""WebSocket through bulwark (issue 6, point 5): HTTP/1.1 Upgrade proxying and RFC 8441 extended
CONNECT over HTTP/2 to an HTTP/1.1 backend, the Origin allow-list, the idle timeout, and the
failure paths. The backend is python3-websockets' echo server; the HTTP/1.1 client is
python3-websockets, the HTTP/2 one python3-h2 with hand-made WebSocket frames."""

import asyncio
import os
import struct
import threading
import time

import pytest
import websockets

from h2_client import H2Client, status
from tls_support import client_context, listener_tls, tls_config


class EchoServer:
    """python3-websockets echo on its own event loop thread; records each handshake's headers."""

    def __init__(self):
        self.handshakes = []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def echo(ws, path=None):
            self.handshakes.append(dict(ws.request_headers))
            async for message in ws:
                await ws.send(message)

        async def main():
            self.server = await websockets.serve(echo, "127.0.0.1", 0)
            self.port = self.server.sockets[0].getsockname()[1]
            ready.set()

        self.thread = threading.Thread(target=lambda: (self.loop.run_until_complete(main()), self.loop.run_forever()),
                                       daemon=True)
        self.thread.start()
        assert ready.wait(10)

    @property
    def hostport(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def echo_server():
    server = EchoServer()
    yield server
    server.stop()


def plain_config(port, backend, websocket=None, timeouts=None):
    proxy = {"cluster": "backend"}
    if websocket is not None:
        proxy["websocket"] = websocket
    cfg = {"listeners": [{"name": "web", "listen": f"127.0.0.1:{port}",
                          "virtual_hosts": [{"domains": ["*"], "routes": [{"match": {"prefix": "/"}, "proxy": proxy}]}]}],
           "clusters": [{"name": "backend", "endpoints": [backend]}]}
    if timeouts:
        cfg["timeouts"] = timeouts
    return cfg


def exchange(url, messages, origin=None):
    async def run():
        async with websockets.connect(url, origin=origin, open_timeout=10) as ws:
            answers = []
            for m in messages:
                await ws.send(m)
                answers.append(await asyncio.wait_for(ws.recv(), 10))
            return answers
    return asyncio.run(run())


def test_http11_upgrade_echoes_text_and_binary(bulwark, echo_server, free_port):
    b = bulwark(config=plain_config(free_port, echo_server.hostport), port=free_port)
    big = os.urandom(300_000)
    answers = exchange(f"ws://127.0.0.1:{b.port}/chat", ["hello", b"\x00\x01binary", big])
    assert answers == ["hello", b"\x00\x01binary", big]
    hs = {k.lower(): v for k, v in echo_server.handshakes[-1].items()}
    assert hs["upgrade"].lower() == "websocket"
    assert "x-forwarded-for" in hs  # the handshake is a proxied request like any other


def test_origin_allow_list(bulwark, echo_server, free_port):
    b = bulwark(config=plain_config(free_port, echo_server.hostport,
                                    websocket={"allowed_origins": ["https://app.example"]}), port=free_port)
    assert exchange(f"ws://127.0.0.1:{b.port}/", ["ok"], origin="https://app.example") == ["ok"]
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        exchange(f"ws://127.0.0.1:{b.port}/", ["no"], origin="https://evil.example")
    assert refused.value.status_code == 403
    assert len(echo_server.handshakes) == 1  # the refused one never reached the backend


def test_websocket_off_forwards_a_plain_request(bulwark, echo_server, free_port):
    b = bulwark(config=plain_config(free_port, echo_server.hostport, websocket="off"), port=free_port)
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        exchange(f"ws://127.0.0.1:{b.port}/", ["x"])
    # The backend saw a GET without Upgrade and refused it; no tunnel was opened.
    assert refused.value.status_code in (400, 426)
    assert echo_server.handshakes == []


def test_idle_timeout_closes_a_quiet_websocket(bulwark, echo_server, free_port):
    b = bulwark(config=plain_config(free_port, echo_server.hostport, websocket={"idle_timeout": "1s"}),
                port=free_port)

    async def run():
        async with websockets.connect(f"ws://127.0.0.1:{b.port}/", ping_interval=None) as ws:
            await ws.send("before")
            assert await ws.recv() == "before"
            started = time.monotonic()
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            return time.monotonic() - started
    quiet = asyncio.run(run())
    assert 0.5 < quiet < 5


def test_backend_down_fails_the_handshake_with_502(bulwark, free_port, free_port_factory):
    dead = free_port_factory()
    b = bulwark(config=plain_config(free_port, f"127.0.0.1:{dead}"), port=free_port)
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
        exchange(f"ws://127.0.0.1:{b.port}/", ["x"])
    assert refused.value.status_code == 502


def ws_frame(payload: bytes, opcode=0x1) -> bytes:
    """A masked client frame (RFC 6455 §5.2)."""
    mask = os.urandom(4)
    header = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 65536:
        header += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def parse_frame(data: bytes):
    """An unmasked server frame: (opcode, payload, rest) or None when incomplete."""
    if len(data) < 2:
        return None
    opcode, n, at = data[0] & 0x0F, data[1] & 0x7F, 2
    if n == 126:
        n, at = struct.unpack("!H", data[2:4])[0], 4
    elif n == 127:
        n, at = struct.unpack("!Q", data[2:10])[0], 10
    if len(data) < at + n:
        return None
    return opcode, data[at:at + n], data[at + n:]


def test_http2_extended_connect_to_an_http11_backend(bulwark, echo_server, pki, free_port):
    config = tls_config(free_port, listener_tls(pki.a), [echo_server.hostport])
    b = bulwark(config=config, port=free_port)
    c = H2Client(b.port, tls_ctx=client_context(pki))
    c.read_events(timeout=5)  # the server's SETTINGS, with SETTINGS_ENABLE_CONNECT_PROTOCOL
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"),
                              (":path", "/chat"), (":authority", "a.test"), ("sec-websocket-version", "13")])
    c.responses[sid] = {"headers": None, "body": b"", "trailers": None, "ended": False, "informational": []}
    c.flush()
    deadline = time.monotonic() + 10
    while c.responses[sid]["headers"] is None and time.monotonic() < deadline and not c.closed:
        c.read_events(timeout=5)
    assert status(c.responses[sid]) == 200, c.responses[sid]
    assert "sec-websocket-accept" not in c.responses[sid]["headers"]
    for message in (b"over h2", b"y" * 70_000):
        c.send_body(sid, ws_frame(message), end_stream=False)  # in window-sized DATA frames
        parsed = None
        while parsed is None and time.monotonic() < deadline + 10:
            c.read_events(timeout=5)
            parsed = parse_frame(c.responses[sid]["body"])
        assert parsed is not None
        opcode, payload, rest = parsed
        assert opcode == 0x1 and payload == message and rest == b""
        c.responses[sid]["body"] = b""
    hs = {k.lower(): v for k, v in echo_server.handshakes[-1].items()}
    assert hs["upgrade"].lower() == "websocket" and "sec-websocket-key" in hs
    c.close()


def test_plain_connect_is_refused_over_http2(bulwark, echo_server, pki, free_port):
    config = tls_config(free_port, listener_tls(pki.a), [echo_server.hostport])
    b = bulwark(config=config, port=free_port)
    c = H2Client(b.port, tls_ctx=client_context(pki))
    sid = c.conn.get_next_available_stream_id()
    c.conn.send_headers(sid, [(":method", "CONNECT"), (":authority", "example.com:443")])
    c.responses[sid] = {"headers": None, "body": b"", "trailers": None, "ended": False, "informational": []}
    c.flush()
    r = c.wait_for(sid)
    assert status(r) == 501
    c.close()
