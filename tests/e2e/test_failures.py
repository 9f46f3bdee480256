"""Backend failures: timeouts (504), refused connections and garbage (502), a backend that dies
mid-response, and error responses that reveal nothing about the backends."""

import json
import re
import time

import pytest

import origins as O
from http_client import IncompleteResponse, RawClient, build_request, request


def assert_hides_backend(r, port: int):
    """No backend address or port in the error response (request id excluded: it is random)."""
    rid = r.header("x-request-id") or ""
    head = "\n".join(f"{k}: {v}" for k, v in r.headers if k.lower() != "x-request-id")
    body = r.body.decode("latin-1")
    if rid:
        body = body.replace(rid, "<request-id>")
    for where, text in (("headers", head), ("body", body)):
        assert "127.0.0.1" not in text, f"backend address revealed in the {where}: {text!r}"
        assert not re.search(rf"(?<!\d){port}(?!\d)", text), f"backend port {port} revealed in the {where}: {text!r}"
    assert O.SERVER_NAME not in head + body, "the origin's Server header leaked into an error response"


def assert_error_shape(r, json_wanted: bool):
    rid = r.header("x-request-id")
    assert rid and rid.strip(), f"error response without X-Request-Id: {r}"
    ctype = (r.header("content-type") or "").lower()
    if json_wanted:
        assert "application/json" in ctype, f"Accept: application/json but Content-Type {ctype!r}"
        doc = json.loads(r.body)
        assert isinstance(doc, dict) and doc, doc
    else:
        assert "text/html" in ctype, f"expected an HTML error page, got Content-Type {ctype!r}"
        assert b"<" in r.body
    assert len(r.body) < 16384, "error bodies are short"


def test_backend_that_never_answers_gives_504_after_upstream_read(bulwark, origin):
    o = origin(O.never_answer())
    b = bulwark([o.hostport], timeouts={"upstream_read": "1s"})
    start = time.monotonic()
    r = request(b.port, "GET", "/hang", timeout=15)
    elapsed = time.monotonic() - start
    assert r.status == 504, r
    assert 0.8 <= elapsed <= 3.5, f"504 after {elapsed:.2f} s with upstream_read 1s"
    assert_hides_backend(r, o.port)
    assert_error_shape(r, json_wanted=False)


def test_backend_down_gives_502(bulwark, free_port):
    dead = free_port  # nothing listens here
    b = bulwark([f"127.0.0.1:{dead}"])
    start = time.monotonic()
    r = request(b.port, "GET", "/down", {"Accept": "text/html"})
    assert r.status == 502, r
    assert time.monotonic() - start < 5
    assert_hides_backend(r, dead)
    assert_error_shape(r, json_wanted=False)


def test_backend_down_json_error_when_asked(bulwark, free_port):
    dead = free_port
    b = bulwark([f"127.0.0.1:{dead}"])
    r = request(b.port, "GET", "/down", {"Accept": "application/json"})
    assert r.status == 502, r
    assert_hides_backend(r, dead)
    assert_error_shape(r, json_wanted=True)


def test_backend_sending_garbage_gives_502(bulwark, origin):
    o = origin(O.garbage())
    b = bulwark([o.hostport])
    r = request(b.port, "GET", "/garbage", {"Accept": "application/json"})
    assert r.status == 502, r
    assert_hides_backend(r, o.port)
    assert_error_shape(r, json_wanted=True)


def test_backend_sending_invalid_framing_gives_502(bulwark, origin):
    """A response a strict client would parse differently (CL and TE both) is not passed on."""
    o = origin(O.raw_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                              b"0\r\n\r\n", close=True))
    b = bulwark([o.hostport])
    r = request(b.port, "GET", "/bad-framing")
    assert r.status == 502, r
    assert_hides_backend(r, o.port)


def test_backend_closing_before_answering_gives_502(bulwark, origin):
    def close_at_once(ex):
        ex.finish_request()
        ex.conn.close()

    o = origin(close_at_once)
    b = bulwark([o.hostport])
    r = request(b.port, "POST", "/closes", body=b"data")
    assert r.status == 502, r
    assert_hides_backend(r, o.port)
    assert_error_shape(r, json_wanted=False)


def test_backend_closing_mid_body_closes_client_connection(bulwark, origin):
    o = origin(O.close_mid_body(declared=100_000, sent=5_000))
    b = bulwark([o.hostport])
    with RawClient(b.port, timeout=10) as c:
        c.send(build_request("GET", "/mid"))
        with pytest.raises(IncompleteResponse) as info:
            c.read_response()
        partial = info.value.response
        assert partial.status == 200
        assert len(partial.body) < 100_000
        assert c.eof, "the client connection must be closed"


def test_backend_closing_mid_chunked_body_does_not_complete_message(bulwark, origin):
    o = origin(O.close_mid_body(sent=5_000, use_chunked=True))
    b = bulwark([o.hostport])
    with RawClient(b.port, timeout=10) as c:
        c.send(build_request("GET", "/mid-chunked"))
        with pytest.raises(IncompleteResponse) as info:
            c.read_response()
        assert info.value.response.status == 200
        assert c.eof


def test_proxy_keeps_serving_after_failures(bulwark, origin):
    o = origin(O.route({"/garbage": O.garbage(), "/mid": O.close_mid_body()}, default=O.echo()))
    b = bulwark([o.hostport])
    assert request(b.port, "GET", "/garbage").status == 502
    with RawClient(b.port) as c:
        c.send(build_request("GET", "/mid"))
        with pytest.raises(IncompleteResponse):
            c.read_response()
    for i in range(5):
        r = request(b.port, "GET", f"/fine/{i}")
        assert r.status == 200 and r.json()["target"] == f"/fine/{i}"


def test_504_on_keep_alive_connection_then_next_request_works(bulwark, origin):
    o = origin(O.route({"/hang": O.never_answer()}, default=O.echo()))
    b = bulwark([o.hostport], timeouts={"upstream_read": "1s"})
    with RawClient(b.port, timeout=10) as c:
        r = c.request("GET", "/hang")
        assert r.status == 504
        if "close" not in r.connection_tokens() and not c.wait_closed(0.2):
            r2 = c.request("GET", "/after")
            assert r2.status == 200 and r2.json()["target"] == "/after"
