"""HTTP/2 to backends (issue 6, points 2 and 3): cluster protocol h2c, h2 (TLS, ALPN) and auto;
many client requests multiplexed over few upstream connections; HTTP/1.1 and HTTP/2 clients
translated to an HTTP/2 backend (authority and Host, cookies, te, connection-specific fields,
trailers); and the failures: backend down, streams reset or refused, GOAWAY, a dropped idle
connection, a backend too slow for the read timeout. The backend is tests/e2e/h2_origin.py."""

import os
import threading
import time

import h2.errors
import pytest

from conftest import base_config
from h2_client import H2Client, status
from h2_origin import H2Origin, H2Response, alpn_context, echo
from http_client import RawClient, chunked_body
from tls_support import client_context, listener_tls


@pytest.fixture
def h2_origin(request):
    started = []

    def make(handler=echo, ssl_context=None):
        o = H2Origin(handler, ssl_context)
        started.append(o)
        return o

    yield make
    for o in started:
        o.close()


def config(port, endpoints, protocol="h2c", tls=None, workers=1, **extra):
    cfg = base_config(port, endpoints, workers=workers)
    cfg["clusters"][0]["protocol"] = protocol
    if tls is not None:
        cfg["clusters"][0]["tls"] = tls
    cfg.update(extra)
    return cfg


def get(port, path="/", headers=None, method="GET", body=None):
    with RawClient(port) as c:
        return c.request(method, path, headers=headers, body=body)


def test_http11_client_to_h2c_backend(bulwark, h2_origin, free_port):
    origin = h2_origin()
    b = bulwark(config=config(free_port, [origin.hostport]), port=free_port)
    r = get(b.port, "/a/b?x=1", headers={"Cookie": "a=1; b=2", "TE": "trailers",
                                         "Connection": "keep-alive, x-hop", "X-Hop": "1",
                                         "Keep-Alive": "timeout=5", "Upgrade-Insecure-Requests": "1"})
    assert r.status == 200 and r.header("x-path") == "/a/b?x=1"
    seen = origin.requests[-1]
    assert seen.header(":authority") == "test.local"   # the client's Host
    assert seen.header(":scheme") == "http" and seen.header(":method") == "GET"
    assert seen.header("host") is None                  # :authority replaces it (RFC 9113 §8.3.1)
    assert seen.header("cookie") == "a=1; b=2"
    assert seen.header("te") == "trailers"
    for hop in ("connection", "keep-alive", "x-hop", "transfer-encoding", "upgrade"):
        assert seen.header(hop) is None, hop
    assert "x-forwarded-for" in dict(seen.headers)


def test_many_requests_share_one_upstream_connection(bulwark, h2_origin, free_port):
    origin = h2_origin()
    b = bulwark(config=config(free_port, [origin.hostport]), port=free_port)
    results = []
    start = threading.Barrier(20)

    def client(n):
        with RawClient(b.port) as c:
            start.wait()  # a burst: the first requests find no connection made yet
            for i in range(5):
                results.append(c.request("GET", f"/{n}/{i}").status)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 100
    assert len(origin.requests) == 100
    assert origin.connections == 1  # the burst waited for the one being made


def test_request_and_response_bodies_are_byte_identical(bulwark, h2_origin, free_port):
    origin = h2_origin()
    b = bulwark(config=config(free_port, [origin.hostport]), port=free_port)
    payload = os.urandom(3 * 1024 * 1024 + 17)  # beyond every flow-control window
    r = get(b.port, "/upload", method="POST", body=payload)
    assert r.status == 200 and r.body == payload
    # A chunked upload too: HTTP/2 carries it as DATA until END_STREAM, without Content-Length.
    with RawClient(b.port) as c:
        c.send(b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + chunked_body([payload[:1000], payload[1000:70000]]))
        r = c.read_response()
    assert r.status == 200 and r.body == payload[:70000]
    assert origin.requests[-1].header("content-length") is None


def test_response_trailers_reach_http11_and_http2_clients(bulwark, h2_origin, free_port):
    origin = h2_origin(lambda request: H2Response(body=b"payload",
                                                  trailers=[("x-checksum", "abc")]))
    cfg = config(free_port, [origin.hostport])
    cfg["listeners"][0]["http2"] = {"cleartext": True}
    b = bulwark(config=cfg, port=free_port)
    r = get(b.port, "/", headers={"TE": "trailers"})
    assert r.status == 200 and r.body == b"payload" and r.chunked
    assert r.trailers.get("x-checksum") == "abc"
    client = H2Client(b.port)
    try:
        response = client.get("/")
    finally:
        client.close()
    assert status(response) == 200 and response["body"] == b"payload"
    assert response["trailers"] == {"x-checksum": "abc"}


def test_head_and_no_content_have_no_body(bulwark, h2_origin, free_port):
    origin = h2_origin(lambda request: H2Response(
        status=204 if request.header(":path") == "/none" else 200,
        headers=[("content-length", "5")] if request.header(":method") == "HEAD" else [],
        body=b""))
    b = bulwark(config=config(free_port, [origin.hostport]), port=free_port)
    with RawClient(b.port) as c:
        head = c.request("HEAD", "/")
        none = c.request("GET", "/none")
        after = c.request("GET", "/")  # the connection is still in step
    assert head.status == 200 and head.header("content-length") == "5" and head.body == b""
    assert none.status == 204 and none.body == b""
    assert after.status == 200


def test_head_only_response_is_an_empty_body_for_http11_clients(bulwark, h2_origin, free_port):
    # HEADERS with END_STREAM and no Content-Length: the HTTP/1.1 client must learn the body is
    # empty (Content-Length: 0), or it would wait for the connection to close.
    origin = h2_origin(lambda request: H2Response(headers=[("grpc-status", "5")]))
    b = bulwark(config=config(free_port, [origin.hostport]), port=free_port)
    with RawClient(b.port, timeout=5) as c:
        first = c.request("POST", "/", body=b"x")
        second = c.request("GET", "/")
    assert first.status == 200 and first.header("content-length") == "0" and first.body == b""
    assert first.header("grpc-status") == "5"
    assert second.status == 200


def test_early_hints_from_an_h2_backend(bulwark, h2_origin, free_port):
    origin = h2_origin(lambda request: H2Response(
        interim=[[(":status", "103"), ("link", "</app.css>; rel=preload")]], body=b"ok"))
    b = bulwark(config=config(free_port, [origin.hostport]), port=free_port)
    r = get(b.port)
    assert r.status == 200 and r.body == b"ok"
    assert [i.status for i in r.interim] == [103]
    assert r.interim[0].header("link") == "</app.css>; rel=preload"


def test_http2_client_over_tls_to_h2_backend_over_tls(bulwark, h2_origin, pki, free_port):
    origin = h2_origin(ssl_context=alpn_context(str(pki.backend.cert), str(pki.backend.key)))
    cfg = config(free_port, [origin.hostport], protocol="h2",
                 tls={"ca": str(pki.ca_bundle), "server_name": "backend.test"})
    cfg["listeners"][0]["tls"] = listener_tls(pki.a)
    b = bulwark(config=cfg, port=free_port)
    client = H2Client(b.port, tls_ctx=client_context(pki))
    try:
        ids = [client.request(f"/tls/{i}", headers=[("cookie", "a=1"), ("cookie", "b=2")])
               for i in range(10)]
        responses = [client.wait_for(i) for i in ids]
    finally:
        client.close()
    assert [status(r) for r in responses] == [200] * 10
    seen = origin.requests[-1]
    assert seen.header(":scheme") == "https" and seen.header(":authority") == "a.test"
    assert sorted(seen.all("cookie")) == ["a=1", "b=2"] or seen.header("cookie") == "a=1; b=2"
    assert origin.connections == 1


@pytest.mark.parametrize("offered,expected", [(("h2", "http/1.1"), "h2"), (("http/1.1",), "http/1.1")])
def test_protocol_auto_follows_alpn(bulwark, h2_origin, origin, pki, free_port, offered, expected):
    from origins import fixed
    if expected == "h2":
        backend = h2_origin(ssl_context=alpn_context(str(pki.backend.cert), str(pki.backend.key),
                                                     offered))
    else:
        backend = origin(fixed(200, b"from http/1.1"),
                         tls=alpn_context(str(pki.backend.cert), str(pki.backend.key), offered))
    b = bulwark(config=config(free_port, [backend.hostport], protocol="auto",
                              tls={"ca": str(pki.ca_bundle), "server_name": "backend.test"}),
                port=free_port)
    for _ in range(3):
        assert get(b.port, "/auto").status == 200
    if expected == "h2":
        assert len(backend.requests) == 3 and backend.connections == 1
    else:
        assert get(b.port).body == b"from http/1.1"


def test_h2_cluster_refuses_a_backend_without_h2(bulwark, origin, pki, free_port):
    from origins import fixed
    backend = origin(fixed(200, b"x"), tls=alpn_context(str(pki.backend.cert), str(pki.backend.key),
                                                       ("http/1.1",)))
    b = bulwark(config=config(free_port, [backend.hostport], protocol="h2",
                              tls={"ca": str(pki.ca_bundle), "server_name": "backend.test"}),
                port=free_port)
    assert get(b.port).status == 502


def test_backend_down_is_502(bulwark, free_port, free_port_factory):
    b = bulwark(config=config(free_port, [f"127.0.0.1:{free_port_factory()}"]), port=free_port)
    assert get(b.port).status == 502


def test_reset_stream_fails_only_that_request(bulwark, h2_origin, free_port):
    def handler(request):
        if request.header(":path") == "/reset":
            return H2Response(reset=h2.errors.ErrorCodes.INTERNAL_ERROR, reset_before_head=True)
        if request.header(":path") == "/cut":
            return H2Response(headers=[("content-length", "100")], body=b"partial",
                              reset=h2.errors.ErrorCodes.INTERNAL_ERROR)
        return echo(request)

    origin = h2_origin(handler)
    b = bulwark(config=config(free_port, [origin.hostport]), port=free_port)
    assert get(b.port, "/reset").status == 502
    with RawClient(b.port) as c:
        c.send(b"GET /cut HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(Exception):
            c.read_response()  # the head went out: only closing tells the client
    assert get(b.port, "/fine").status == 200
    assert origin.connections == 1  # a stream's reset is not the connection's


def test_refused_stream_is_retried_on_another_endpoint(bulwark, h2_origin, free_port):
    refusing = h2_origin(lambda request: H2Response(reset=h2.errors.ErrorCodes.REFUSED_STREAM,
                                                    reset_before_head=True))
    serving = h2_origin()
    cfg = config(free_port, [refusing.hostport, serving.hostport])
    cfg["clusters"][0]["retry"] = {"retries": 1}
    b = bulwark(config=cfg, port=free_port)
    # A POST too: a refused stream was never processed (RFC 9113 §8.7), so any method may go.
    for _ in range(4):
        assert get(b.port, "/", method="POST", body=b"once").status == 200
    assert len(serving.requests) == 4
    assert all(r.body == b"once" for r in serving.requests)


def test_goaway_and_dropped_connections_are_replaced(bulwark, h2_origin, free_port):
    origin = h2_origin()
    b = bulwark(config=config(free_port, [origin.hostport]), port=free_port)
    assert get(b.port, "/1").status == 200
    origin.command = "goaway"  # graceful: no new stream goes on that connection
    time.sleep(0.3)
    origin.command = None
    assert get(b.port, "/2").status == 200
    assert origin.connections == 2
    origin.command = "drop"  # abrupt: the idle connection dies without a word
    time.sleep(0.3)
    origin.command = None
    assert get(b.port, "/3").status == 200
    assert origin.connections == 3


def test_slow_backend_times_out_and_the_connection_serves_on(bulwark, h2_origin, free_port):
    origin = h2_origin(lambda request: H2Response(delay=3.0 if request.header(":path") == "/slow"
                                                  else 0.0, body=b"ok"))
    cfg = config(free_port, [origin.hostport])
    cfg["timeouts"] = {"upstream_read": "500ms"}
    b = bulwark(config=cfg, port=free_port)
    assert get(b.port, "/slow").status == 504
    r = get(b.port, "/fast")
    assert r.status == 200 and r.body == b"ok"
    assert origin.connections == 1


def test_streamed_response_reaches_the_client_before_the_backend_finishes(bulwark, h2_origin,
                                                                          free_port):
    origin = h2_origin(lambda request: H2Response(chunks=[(0.0, b"first "), (2.0, b"second")]))
    b = bulwark(config=config(free_port, [origin.hostport]), port=free_port)
    with RawClient(b.port) as c:
        c.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.monotonic()
        received = b""
        while b"first" not in received:
            received += c.sock.recv(4096)
        assert time.monotonic() - started < 1.5, "the first piece waited for the second"
        assert b"second" not in received
