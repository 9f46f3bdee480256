"""Proxying of well-formed HTTP/1.1 traffic: methods, bodies, framing, 1xx, forms of target,
HTTP/1.0 clients, keep-alive, direct responses and refused upgrades."""

import email.utils
import hashlib
import os
import socket
import time

import pytest

import origins as O
from http_client import RawClient, build_request, chunked_body, request, try_request


def test_get_is_proxied_with_path_query_and_headers(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    r = request(b.port, "GET", "/a/b%20c?x=1&y=two", {"Host": "app.example.test", "X-Custom": "value 1"})
    assert r.status == 200, r
    info = r.json()
    assert info["method"] == "GET"
    assert info["target"] == "/a/b%20c?x=1&y=two"
    assert info["version"] == "HTTP/1.1"
    seen = {k.lower(): v for k, v in info["headers"]}
    assert seen.get("host") == "app.example.test"
    assert seen.get("x-custom") == "value 1"
    assert len(o.requests) == 1


def test_post_with_content_length_body(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    body = os.urandom(200_000)
    r = request(b.port, "POST", "/upload", {"Content-Type": "application/octet-stream"}, body)
    assert r.status == 200, r
    info = r.json()
    assert info["method"] == "POST"
    assert info["body_len"] == len(body)
    assert info["body_sha256"] == hashlib.sha256(body).hexdigest()


def test_post_with_empty_body(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    r = request(b.port, "POST", "/empty", {"Content-Length": "0"})
    assert r.status == 200, r
    assert r.json()["body_len"] == 0


def test_chunked_request_body_with_trailers_is_forwarded(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    chunks = [b"first chunk;", os.urandom(30_000), b"", b"last"]
    expected = b"".join(chunks)
    with RawClient(b.port) as c:
        c.send(build_request("POST", "/chunked-up", [("Transfer-Encoding", "chunked"), ("Trailer", "X-Checksum")],
                             chunked_body(chunks, {"X-Checksum": "abc123"})))
        r = c.read_response()
    assert r.status == 200, r
    info = r.json()
    assert info["body_len"] == len(expected)
    assert info["body_sha256"] == hashlib.sha256(expected).hexdigest()
    trailers = {k.lower(): v for k, v in info["trailers"]}
    assert trailers.get("x-checksum") == "abc123", f"request trailer not forwarded: {info}"


def test_chunked_response_with_trailers_reaches_client(bulwark, origin):
    o = origin(O.chunked([b"alpha ", b"beta ", b"gamma"], trailers={"X-Digest": "sha-256=abc", "X-Count": "3"}))
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        r = c.request("GET", "/stream", {"TE": "trailers"})
        assert r.status == 200, r
        assert r.body == b"alpha beta gamma"
        assert r.chunked, "a response with trailers can only reach an HTTP/1.1 client chunked"
        assert r.trailers.get("x-digest") == "sha-256=abc", r
        assert r.trailers.get("x-count") == "3", r
        # The connection stays usable after the trailer section.
        r2 = c.request("GET", "/again", {"TE": "trailers"})
        assert r2.status == 200 and r2.body == b"alpha beta gamma"


def test_large_response_body_is_intact(bulwark, origin):
    payload = os.urandom(3 * 1024 * 1024 + 17)
    o = origin(O.fixed(200, payload, {"Content-Type": "application/octet-stream"}))
    b = bulwark([o.hostport])
    r = request(b.port, "GET", "/blob")
    assert r.status == 200
    assert len(r.body) == len(payload)
    assert hashlib.sha256(r.body).digest() == hashlib.sha256(payload).digest()


def test_head_response_has_no_body(bulwark, origin):
    o = origin(O.fixed(200, b"x" * 1000, {"Content-Type": "text/plain"}))
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        r = c.request("HEAD", "/thing")
        assert r.status == 200
        assert r.header("content-length") == "1000", r
        assert r.body == b""
        # Had bulwark sent body bytes after the HEAD response, this next response would be garbage.
        r2 = c.request("GET", "/thing")
        assert r2.status == 200 and r2.body == b"x" * 1000
        assert o.requests[0].method == "HEAD"


def test_head_of_chunked_resource(bulwark, origin):
    o = origin(O.chunked([b"abc"]))
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        r = c.request("HEAD", "/c")
        assert r.status == 200 and r.body == b""
        r2 = c.request("GET", "/c")
        assert r2.status == 200 and r2.body == b"abc"


@pytest.mark.parametrize("status,extra", [
    (204, [("X-Nothing", "here")]),
    (304, [("ETag", '"v1"'), ("Content-Length", "5000")]),  # CL of a 304 describes the representation
])
def test_no_body_statuses_are_framed_correctly(bulwark, origin, status, extra):
    o = origin(O.route({"/empty": O.fixed(status, b"", extra)}, default=O.fixed(200, b"after")))
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        r = c.request("GET", "/empty", {"If-None-Match": '"v1"'})
        assert r.status == status, r
        assert "chunked" not in r.headers.tokens("transfer-encoding")
        if status == 204:
            assert r.header("content-length") in (None, "0")
        # The next response on the connection must parse: no body bytes were made up.
        r2 = c.request("GET", "/next")
        assert r2.status == 200 and r2.body == b"after", r2


def test_expect_100_continue_upload(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    body = os.urandom(50_000)
    with RawClient(b.port, timeout=10) as c:
        c.send(build_request("PUT", "/upload", [("Content-Length", str(len(body))), ("Expect", "100-continue")]))
        try:
            interim = c.read_head()
        except socket.timeout:
            pytest.fail("no 100 Continue within 10 s for Expect: 100-continue")
        assert interim.status == 100, f"expected 100 Continue before the body, got {interim}"
        c.send(body)
        r = c.read_response("PUT")
    assert r.status == 200, r
    info = r.json()
    assert info["body_len"] == len(body)
    assert info["body_sha256"] == hashlib.sha256(body).hexdigest()


def test_absolute_form_target_is_sent_upstream_in_origin_form(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        c.send(b"GET http://app.example.test/abs/path?q=1 HTTP/1.1\r\nHost: app.example.test\r\n\r\n")
        r = c.read_response()
    assert r.status == 200, r
    info = r.json()
    assert info["target"] == "/abs/path?q=1"
    seen = {k.lower(): v for k, v in info["headers"]}
    assert seen.get("host") == "app.example.test"


def test_http10_client_without_keep_alive_gets_close(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        c.send(b"GET /old HTTP/1.0\r\nUser-Agent: old/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200, r
        assert r.version in ("HTTP/1.1", "HTTP/1.0")
        assert "chunked" not in r.headers.tokens("transfer-encoding"), "HTTP/1.0 clients do not know chunked"
        assert r.json()["target"] == "/old"
        assert c.wait_closed(3), "an HTTP/1.0 request without keep-alive must end with the connection closed"


def test_http10_client_gets_chunked_origin_response_unchunked(bulwark, origin):
    o = origin(O.chunked([b"one ", b"two ", b"three"]))
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        c.send(b"GET /c HTTP/1.0\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        assert "chunked" not in r.headers.tokens("transfer-encoding"), r
        assert r.body == b"one two three"


def test_http10_keep_alive_is_consistent(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        c.send(b"GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        r = c.read_response()
        assert r.status == 200
        assert "chunked" not in r.headers.tokens("transfer-encoding")
        if "keep-alive" in r.connection_tokens():
            assert r.header("content-length") is not None, "a kept-alive HTTP/1.0 response needs Content-Length"
            c.send(b"GET /ka2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            r2 = c.read_response()
            assert r2.status == 200 and r2.json()["target"] == "/ka2"
        else:
            assert c.wait_closed(3), "without Connection: keep-alive in the response, the connection must close"


def test_keep_alive_many_requests_on_one_connection(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        for i in range(150):
            body = f"request {i}".encode()
            r = c.request("POST" if i % 3 == 0 else "GET", f"/ka/{i}", body=body if i % 3 == 0 else None)
            assert r.status == 200, r
            info = r.json()
            assert info["target"] == f"/ka/{i}"
            if i % 3 == 0:
                assert info["body"] == body.decode()
            assert "close" not in r.connection_tokens()
    assert len(o.requests) == 150
    assert o.connections_accepted <= 2, f"origin saw {o.connections_accepted} connections for one client connection"


def test_client_connection_close_is_honoured(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        r = c.request("GET", "/bye", {"Connection": "close"})
        assert r.status == 200
        assert c.wait_closed(3)


def test_direct_response_route(bulwark, origin):
    o = origin(O.echo())
    routes = [
        {"match": {"exact": "/hello"},
         "direct_response": {"status": 200, "body": "hi", "headers": {"content-type": "text/plain"}}},
        {"match": {"prefix": "/"}, "proxy": {"cluster": "backend"}},
    ]
    b = bulwark([o.hostport], routes=routes)
    r = request(b.port, "GET", "/hello")
    assert r.status == 200 and r.body == b"hi", r
    assert r.header("content-type", "").startswith("text/plain")
    assert len(o.requests) == 0
    # exact means exact: a longer path goes to the proxy route
    r2 = request(b.port, "GET", "/hello/world")
    assert r2.status == 200 and r2.json()["target"] == "/hello/world"


def test_upgrade_to_other_protocols_does_not_switch(bulwark, origin):
    """Only WebSocket upgrades are tunnelled (test_websocket.py); any other Upgrade goes on as a
    plain request, without its upgrade, as if the client had not asked."""
    o = origin(O.upgrade_aware())
    b = bulwark([o.hostport])
    with RawClient(b.port, timeout=5) as c:
        c.send(build_request("GET", "/chat", [("Connection", "Upgrade"), ("Upgrade", "h2c")]))
        r = c.read_response()
    assert r.status == 200, f"expected the request served without upgrading: {r}"
    assert r.header("upgrade") is None
    for req in o.heads:
        assert req.header("upgrade") is None, f"an Upgrade header reached the origin: {req.headers}"
        assert "upgrade" not in req.headers.tokens("connection"), \
            f"Connection: upgrade reached the origin without an upgrade taking place: {req.headers}"


def test_websocket_upgrade_switches_and_passes_the_backends_first_frame(bulwark, origin):
    o = origin(O.upgrade_aware())
    b = bulwark([o.hostport])
    with RawClient(b.port, timeout=5) as c:
        c.send(build_request("GET", "/chat", [
            ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]))
        r = c.read_head()
        assert r.status == 101, r
        assert r.header("upgrade") == "websocket" and "upgrade" in r.connection_tokens()
        assert r.header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        # The frame the backend sent right behind its 101 arrived with it, and is passed on.
        assert c._read_exact(7) == b"\x81\x05hello"
    req = o.heads[-1]
    assert req.header("upgrade") == "websocket" and "upgrade" in req.headers.tokens("connection")


def test_every_response_has_a_date_and_a_backends_own_is_kept(bulwark, origin):
    """RFC 9110 §6.6.1: bulwark adds Date where the backend left it out, and on its own replies."""
    o = origin(O.route({"/dated": O.fixed(headers={"Date": "Sun, 06 Nov 1994 08:49:37 GMT"})},
                       default=O.fixed()))
    b = bulwark([o.hostport], routes=[{"match": {"exact": "/local"}, "direct_response": {"status": 204}},
                                      {"proxy": {"cluster": "backend"}}])
    for target in ("/undated", "/local"):
        r = request(b.port, "GET", target)
        dates = r.headers.get_all("date")
        assert len(dates) == 1, (target, r.headers)
        when = email.utils.parsedate_to_datetime(dates[0]).timestamp()
        assert abs(when - time.time()) < 5, (target, dates[0])
    r = request(b.port, "GET", "/dated")
    assert r.headers.get_all("date") == ["Sun, 06 Nov 1994 08:49:37 GMT"]
    # A request refused before routing gets one too.
    r, _, _ = try_request(b.port, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    assert r is not None and r.status == 400 and r.header("date"), r


def test_early_hints_reach_the_client(bulwark, origin):
    # 103 Early Hints (RFC 8297) go on to the client before the final response; 100 Continue,
    # which answers an Expect bulwark handles itself, does not.
    backend = origin(O.raw_response(
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
    b = bulwark([backend.hostport])
    with RawClient(b.port) as c:
        r = c.request("GET", "/")
    assert r.status == 200 and r.body == b"ok"
    assert [i.status for i in r.interim] == [103]
    assert r.interim[0].header("link") == "</app.css>; rel=preload"
