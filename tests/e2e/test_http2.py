"""HTTP/2 from clients (issue 6, points 1 and 3): ALPN h2 on TLS listeners, h2c with prior
knowledge, translation to HTTP/1.1 backends, graceful GOAWAY, and the defences against abusive
clients, each checked while a second, well-behaved client is served."""

import hashlib
import json
import signal
import subprocess
import time

import pytest
from hyperframe.frame import ContinuationFrame, HeadersFrame, PingFrame, SettingsFrame

from conftest import yaml_dump
from h2_client import H2Client, status
from origins import chunked, echo, fixed, huge_download, slow
from tls_support import client_context, listener_tls, tls_config

ENHANCE_YOUR_CALM = 0xB
PROTOCOL_ERROR = 0x1


@pytest.fixture
def h2_proxy(bulwark, origin, free_port, pki):
    """bulwark with a TLS listener (h2 and http/1.1 by ALPN) in front of `handler`."""

    def start(handler=None, http2=None, timeouts=None, limits=None, extra=None):
        backend = origin(handler or echo())
        config = tls_config(free_port, listener_tls(pki.a), [backend.hostport])
        if http2 is not None:
            config["listeners"][0]["http2"] = http2
        if timeouts:
            config["timeouts"] = timeouts
        if limits:
            config["limits"] = limits
        config.update(extra or {})
        b = bulwark(config=config, port=free_port)
        b.origin = backend
        b.client = lambda **kw: H2Client(b.port, tls_ctx=client_context(pki), **kw)
        return b

    return start


def curl(pki, port, *args, path="/"):
    cmd = ["curl", "-sS", "--http2", "--cacert", str(pki.root["cert"]), "--resolve", f"a.test:{port}:127.0.0.1",
           "-w", "\n%{http_code} %{http_version}", *args, f"https://a.test:{port}{path}"]
    r = subprocess.run(cmd, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    body, _, tail = r.stdout.rpartition(b"\n")
    code, version = tail.decode().split()
    return int(code), version, body


def test_curl_negotiates_h2_and_the_backend_gets_http11_with_host(h2_proxy, pki, tmp_path):
    log = tmp_path / "access.log"
    b = h2_proxy(extra={"access_log": {"path": str(log)}})
    code, version, body = curl(pki, b.port, path="/hello?x=1")
    assert (code, version) == (200, "2")
    seen = json.loads(body)
    assert seen["version"] == "HTTP/1.1" and seen["target"] == "/hello?x=1"
    headers = {k.lower(): v for k, v in seen["headers"]}
    assert headers["host"] == f"a.test:{b.port}"  # :authority becomes Host
    assert headers["x-forwarded-proto"] == "https"
    assert headers["via"] == "2 bulwark"  # the version the request came in
    b.stop()
    assert '"GET /hello?x=1 HTTP/2.0" 200' in log.read_text()


def test_post_body_and_large_download_are_byte_identical(h2_proxy, pki, tmp_path):
    b = h2_proxy(echo())
    upload = bytes(range(256)) * 4096  # 1 MiB
    (tmp_path / "up.bin").write_bytes(upload)
    code, version, body = curl(pki, b.port, "--data-binary", f"@{tmp_path / 'up.bin'}", path="/upload")
    assert (code, version) == (200, "2")
    seen = json.loads(body)
    assert seen["method"] == "POST" and seen["body_len"] == len(upload)
    assert seen["body_sha256"] == hashlib.sha256(upload).hexdigest()


def test_large_download_with_flow_control(h2_proxy, pki):
    size = 8 << 20
    b = h2_proxy(huge_download(size, block=1 << 20))
    code, version, body = curl(pki, b.port, path="/big")
    assert (code, version) == (200, "2")
    expected = (bytes(range(256)) * ((1 << 20) // 256)) * (size // (1 << 20))
    assert len(body) == size and body == expected


def test_many_streams_share_one_connection(h2_proxy):
    b = h2_proxy(echo())
    c = b.client()
    ids = [c.request(f"/s{i}") for i in range(60)]
    for sid in ids:
        r = c.wait_for(sid)
        assert status(r) == 200, r
    targets = sorted(json.loads(c.responses[sid]["body"])["target"] for sid in ids)
    assert targets == sorted(f"/s{i}" for i in range(60))
    assert len(b.origin.requests) == 60
    c.close()


def test_cookies_are_joined_and_connection_specific_fields_refused(h2_proxy):
    b = h2_proxy(echo())
    c = b.client()
    r = c.get("/c", headers=[("cookie", "a=1"), ("cookie", "b=2"), ("te", "trailers")])
    assert status(r) == 200
    headers = json.loads(r["body"])["headers"]
    cookies = [v for k, v in headers if k.lower() == "cookie"]
    assert cookies == ["a=1; b=2"]
    assert not any(k.lower() == "te" for k, _ in headers)  # hop-by-hop: not for the backend
    # RFC 9113 §8.2.2: a connection-specific field makes the request malformed.
    bad = c.request("/bad", headers=[("connection", "keep-alive")])
    c.wait_for(bad)
    assert c.resets.get(bad) == PROTOCOL_ERROR
    assert status(c.get("/after")) == 200  # the connection itself is fine
    c.close()


def test_trailers_of_a_chunked_backend_reach_the_client(h2_proxy):
    b = h2_proxy(chunked(trailers={"X-Checksum": "abc123"}))
    c = b.client()
    r = c.get("/t", headers=[("te", "trailers")])
    assert status(r) == 200 and r["body"] == b"hello, chunked world"
    assert r["trailers"] == {"x-checksum": "abc123"}
    c.close()


def test_backend_status_passes_through(h2_proxy):
    b = h2_proxy(fixed(404, b"nope"))
    c = b.client()
    r = c.get("/missing")
    assert status(r) == 404 and r["body"] == b"nope"
    c.close()


def test_backend_down_gives_502_over_h2(bulwark, pki, free_port, free_port_factory):
    dead = free_port_factory()
    b = bulwark(config=tls_config(free_port, listener_tls(pki.a), [f"127.0.0.1:{dead}"]), port=free_port)
    c = H2Client(b.port, tls_ctx=client_context(pki))
    r = c.get("/")
    assert status(r) == 502
    assert str(dead).encode() not in r["body"]  # the error page says nothing about the backend
    c.close()


def _normal_client_is_served(b):
    c = b.client()
    try:
        r = c.get("/normal", timeout=10)
        return status(r) == 200
    finally:
        c.close()


def test_rapid_reset_closes_only_the_abuser(h2_proxy):
    b = h2_proxy(slow(0.5, then=fixed(200, b"slow")))
    abuser = b.client()
    for _ in range(2000):
        sid = abuser.request("/reset-me")
        abuser.conn.reset_stream(sid)
        if abuser.closed:
            break
        try:
            abuser.flush()
        except OSError:
            break
    assert abuser.wait_closed(10)
    assert abuser.goaway is not None and abuser.goaway.error_code == ENHANCE_YOUR_CALM
    assert _normal_client_is_served(b)


@pytest.mark.parametrize("frame", ["ping", "settings"])
def test_control_frame_floods_close_only_the_abuser(h2_proxy, frame):
    b = h2_proxy(fixed(200, b"ok"))
    abuser = b.client()
    payload = b""
    for i in range(5000):
        f = PingFrame(0, opaque_data=i.to_bytes(8, "big")) if frame == "ping" else SettingsFrame(0, settings={4: 65535})
        payload += f.serialize()
    try:
        abuser.send_raw(payload)
    except OSError:
        pass
    assert abuser.wait_closed(10)
    assert _normal_client_is_served(b)


def test_continuation_flood_closes_only_the_abuser(h2_proxy):
    b = h2_proxy(fixed(200, b"ok"))
    abuser = b.client()
    block = abuser.conn.encoder.encode([(":method", "GET"), (":scheme", "https"), (":authority", "a.test"),
                                        (":path", "/")])
    data = HeadersFrame(1, data=block).serialize()  # no END_HEADERS: CONTINUATION must follow
    for _ in range(20000):
        data += ContinuationFrame(1, data=b"\x40\x01a\x01b").serialize()  # literal a: b, again and again
    try:
        abuser.send_raw(data)
    except OSError:
        pass
    assert abuser.wait_closed(10)
    assert _normal_client_is_served(b)


def test_hpack_bomb_is_refused(h2_proxy):
    b = h2_proxy(echo())
    abuser = b.client()
    # One 4 KiB value in the dynamic table, then referenced 1000 times: 4 MiB once decoded from a
    # few KiB on the wire. The header limits stop it (431 or a reset), never the whole worker.
    big = "x" * 4000
    fields = [(":method", "GET"), (":scheme", "https"), (":authority", "a.test"), (":path", "/bomb")]
    fields += [("bomb", big)] * 1000
    sid = abuser.request("/bomb", headers=fields[4:])
    r = abuser.wait_for(sid) if not abuser.closed else None
    refused = abuser.closed or sid in abuser.resets or (r and status(r) == 431)
    assert refused, r
    assert len(b.origin.requests) == 0
    assert _normal_client_is_served(b)


def test_zero_window_stall_is_reset(h2_proxy):
    b = h2_proxy(huge_download(4 << 20, block=1 << 20), timeouts={"send": "2s"})
    # The client never opens its window: the response cannot go out.
    staller = b.client(settings={4: 0})
    sid = staller.request("/big")
    deadline = time.monotonic() + 15
    while sid not in staller.resets and not staller.closed and time.monotonic() < deadline:
        try:
            staller.read_events(timeout=1)
        except TimeoutError:
            pass
    assert sid in staller.resets or staller.closed
    assert _normal_client_is_served(b)


def test_sigterm_sends_goaway_and_finishes_streams_in_flight(h2_proxy):
    b = h2_proxy(slow(1.0, then=fixed(200, b"finished")))
    # nghttp, not python3-h2: h2 treats any GOAWAY as the end and drops the streams in flight.
    client = subprocess.Popen(["nghttp", "-v", f"https://127.0.0.1:{b.port}/slow"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while not b.origin.heads and time.monotonic() < deadline:
        time.sleep(0.02)
    b.signal(signal.SIGTERM)
    out, _ = client.communicate(timeout=20)
    text = out.decode(errors="replace")
    assert ":status: 200" in text and "finished" in text, text
    assert "recv GOAWAY" in text and "error_code=NO_ERROR" in text, text
    # The first GOAWAY (last_stream_id 2^31-1) comes at once, before the response in flight.
    assert text.index("recv GOAWAY") < text.index("recv DATA"), text
    assert "last_stream_id=2147483647" in text, text
    assert b.wait(10) == 0


def test_h2c_prior_knowledge_when_enabled(bulwark, origin, free_port):
    backend = origin(echo())
    config = {"listeners": [{"name": "plain", "listen": f"127.0.0.1:{free_port}", "http2": {"cleartext": True},
                             "virtual_hosts": [{"domains": ["*"], "routes": [
                                 {"match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}]}]}],
              "clusters": [{"name": "backend", "endpoints": [backend.hostport]}]}
    b = bulwark(config=config, port=free_port)
    r = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", "-w", "\n%{http_version}",
                        f"http://127.0.0.1:{b.port}/h2c"], capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout.rsplit(b"\n", 1)[1] == b"2"
    # HTTP/1.1 on the same listener still works.
    r = subprocess.run(["curl", "-sS", "--http1.1", "-w", "\n%{http_version}", f"http://127.0.0.1:{b.port}/h1"],
                       capture_output=True, timeout=20)
    assert r.stdout.rsplit(b"\n", 1)[1] == b"1.1"


def test_h2_can_be_turned_off(h2_proxy, pki):
    b = h2_proxy(echo(), http2={"enabled": False})
    code, version, _ = curl(pki, b.port)
    assert (code, version) == (200, "1.1")


def test_nghttp_multiplexes_and_gets_every_response(h2_proxy):
    b = h2_proxy(fixed(200, b"x" * 5000))
    urls = [f"https://127.0.0.1:{b.port}/n{i}" for i in range(20)]
    r = subprocess.run(["nghttp", "-nv", *urls], capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.count(":status: 200") == 20
    assert out.count("send HEADERS frame") == 20 and "recv SETTINGS" in out
    assert len(b.origin.requests) == 20


def test_reload_reaches_new_streams_of_an_open_connection(bulwark, pki, free_port):
    def config(body):
        cfg = tls_config(free_port, listener_tls(pki.a), [], routes=[
            {"match": {"prefix": "/"}, "direct_response": {"status": 200, "body": body}}])
        cfg["clusters"] = []
        return cfg

    b = bulwark(config=config("before"), port=free_port)
    c = H2Client(b.port, tls_ctx=client_context(pki))
    assert c.get("/")["body"] == b"before"
    b.config_path.write_text(yaml_dump(config("after")))
    b.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "applied" not in b.stderr_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    # The same connection: its next stream runs on the new configuration.
    assert c.get("/")["body"] == b"after"
    c.close()


def test_idle_connection_gets_goaway_and_closes(h2_proxy):
    b = h2_proxy(fixed(200, b"ok"), timeouts={"idle": "1s"})
    c = b.client()
    assert status(c.get("/")) == 200
    started = time.monotonic()
    assert c.wait_closed(10)
    assert 0.5 < time.monotonic() - started < 5
    assert c.goaway is not None and c.goaway.error_code == 0
