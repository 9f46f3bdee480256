"""Request smuggling and ambiguous framing are refused: 400, connection closed, and not one
byte reaches the origin (a raw-socket origin that records everything it receives)."""

import time

import pytest

import origins as O
from http_client import RawClient, build_request, try_request

H = b"Host: test.local\r\n"

VECTORS = {
    # the brief's list
    "cl_and_te": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
    "te_and_cl": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nG",
    "duplicate_differing_cl": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "differing_cl_list": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: 5, 6\r\n\r\nhello!",
    "obs_fold": b"GET /s HTTP/1.1\r\n" + H + b"X-Folded: first\r\n  second\r\n\r\n",
    "obs_fold_te": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
    "bare_lf_everywhere": b"GET /s HTTP/1.1\nHost: test.local\nX-A: b\n\n",
    "bare_lf_mixed": b"GET /s HTTP/1.1\r\nHost: test.local\nX-A: b\r\n\r\n",
    "te_chunked_http10": b"POST /s HTTP/1.0\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "invalid_chunk_size": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "space_before_colon": b"GET /s HTTP/1.1\r\n" + H + b"X-Space : yes\r\n\r\n",
    "space_before_colon_cl": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length : 5\r\n\r\nhello",
    # more from DESIGN.md section 5
    "overflowing_chunk_size": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n"
                              b"1ffffffffffffffff\r\nhello\r\n0\r\n\r\n",
    "chunked_not_final": b"POST /s HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    "nul_in_value": b"GET /s HTTP/1.1\r\n" + H + b"X-Nul: a\x00b\r\n\r\n",
    "bare_cr_in_value": b"GET /s HTTP/1.1\r\n" + H + b"X-Cr: a\rb\r\n\r\n",
    "invalid_token_in_name": b"GET /s HTTP/1.1\r\n" + H + b"X(Bad): yes\r\n\r\n",
    "signed_content_length": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: +5\r\n\r\nhello",
    "non_numeric_content_length": b"POST /s HTTP/1.1\r\n" + H + b"Content-Length: 5x\r\n\r\nhello",
}


@pytest.fixture
def recorded(bulwark, origin):
    o = origin(O.echo(), name="recorder")
    b = bulwark([o.hostport])
    return b, o


@pytest.mark.parametrize("name", list(VECTORS))
def test_ambiguous_request_is_refused(recorded, name):
    b, o = recorded
    r, closed, err = try_request(b.port, VECTORS[name], timeout=3)
    assert r is not None, f"no HTTP response to {name} ({err!r}); expected 400"
    # A coding it does not know (gzip) may be 501 Not Implemented (RFC 9112 6.1) rather than 400.
    allowed = (400, 501) if name == "chunked_not_final" else (400,)
    assert r.status in allowed, f"{name}: {r}"
    assert closed, f"{name}: the connection stayed open after the 400"
    time.sleep(0.2)
    assert o.total_bytes_received == 0, f"{name}: the origin received {o.raw_bytes()!r}"
    assert not o.heads


def test_smuggled_request_after_valid_one(recorded):
    """A valid request followed, in the same send, by a CL+TE request hiding a second one."""
    b, o = recorded
    attack = (b"POST /first HTTP/1.1\r\n" + H + b"Content-Length: 4\r\n\r\nabcd"
              b"POST /second HTTP/1.1\r\n" + H + b"Content-Length: 44\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test.local\r\n\r\n")
    with RawClient(b.port, timeout=5) as c:
        c.send(attack)
        first = c.read_response("POST")
        assert first.status == 200 and first.json()["target"] == "/first"
        second = c.read_response("POST")
        assert second.status == 400, second
        assert c.wait_closed(3)
    time.sleep(0.2)
    assert [r.target for r in o.heads] == ["/first"], f"origin saw {[r.target for r in o.heads]}"
    assert b"smuggled" not in o.raw_bytes()
    assert b"/second" not in o.raw_bytes()


def test_error_response_to_bad_request_has_request_id(recorded):
    b, o = recorded
    r, closed, err = try_request(b.port, VECTORS["cl_and_te"], timeout=3)
    assert r is not None and r.status == 400
    assert r.header("x-request-id")


def test_valid_requests_do_reach_the_recorder(recorded):
    """Control: the recorder sees requests that are valid, so the checks above can fail."""
    b, o = recorded
    with RawClient(b.port) as c:
        assert c.request("POST", "/ok-cl", body=b"hello").status == 200
        c.send(build_request("POST", "/ok-chunked", [("Transfer-Encoding", "chunked")], b"5\r\nhello\r\n0\r\n\r\n"))
        assert c.read_response("POST").json()["body"] == "hello"
    assert [r.target for r in o.heads] == ["/ok-cl", "/ok-chunked"]
    assert o.total_bytes_received > 0
