"""Limits and timeouts each give their status: 414, 431, 413, 408, 429; idle connections close."""

import socket
import time

import pytest

import origins as O
from http_client import ConnectionClosed, RawClient, Response, build_request, request, try_request


def origin_untouched(o, path_fragment):
    return not any(path_fragment in r.target and r.complete for r in o.requests)


def test_request_line_too_long_gives_414(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])  # max_request_line default 8KiB
    r, closed, err = try_request(b.port, build_request("GET", "/long/" + "a" * 9000))
    assert r is not None, f"no response ({err})"
    assert r.status == 414, r
    assert r.header("x-request-id")
    assert not o.heads, "a refused request reached the origin"


def test_request_line_under_limit_passes(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], limits={"max_request_line": "8KiB"})
    target = "/long/" + "a" * 7000
    r = request(b.port, "GET", target)
    assert r.status == 200, r
    assert r.json()["target"] == target


def test_configured_request_line_limit(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], limits={"max_request_line": "1KiB"})
    assert request(b.port, "GET", "/x" + "b" * 900).status == 200
    r, _, err = try_request(b.port, build_request("GET", "/x" + "b" * 1100))
    assert r is not None and r.status == 414, (r, err)


def test_header_section_too_large_gives_431(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])  # max_header_bytes default 32KiB
    headers = [(f"X-Big-{i}", "v" * 1000) for i in range(40)]  # ~41 KB in 40 fields
    r, closed, err = try_request(b.port, build_request("GET", "/big-head", headers))
    assert r is not None, f"no response ({err})"
    assert r.status == 431, r
    assert not o.heads


def test_header_section_under_limit_passes(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    headers = [(f"X-Big-{i}", "v" * 1000) for i in range(20)]
    r = request(b.port, "GET", "/ok-head", headers)
    assert r.status == 200, r
    seen = {k.lower() for k, _ in r.json()["headers"]}
    assert "x-big-19" in seen


def test_too_many_header_fields_gives_431(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])  # max_header_count default 100
    headers = [(f"X-H-{i}", "v") for i in range(150)]
    r, closed, err = try_request(b.port, build_request("GET", "/many", headers))
    assert r is not None, f"no response ({err})"
    assert r.status == 431, r
    assert not o.heads


def test_header_count_under_limit_passes(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], limits={"max_header_count": 100})
    r = request(b.port, "GET", "/some", [(f"X-H-{i}", "v") for i in range(80)])
    assert r.status == 200, r


def test_body_over_limit_with_content_length_gives_413(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], limits={"max_body_bytes": "1KiB"})
    with RawClient(b.port, timeout=5) as c:
        c.send(build_request("POST", "/too-big", [("Content-Length", "2000")]))  # head only: no body needed
        try:
            r = c.read_response("POST")
        except socket.timeout:
            pytest.fail("no 413 for a declared Content-Length over max_body_bytes (bulwark waited for the body)")
    assert r.status == 413, r
    assert r.header("x-request-id")
    assert not o.heads, "a request refused for its size reached the origin"


def test_body_at_limit_passes(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], limits={"max_body_bytes": "1KiB"})
    r = request(b.port, "POST", "/exact", body=b"z" * 1024)
    assert r.status == 200, r
    assert r.json()["body_len"] == 1024


def test_chunked_body_exceeding_limit_mid_stream_gives_413(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], limits={"max_body_bytes": "1KiB"})
    with RawClient(b.port, timeout=5) as c:
        c.send(build_request("POST", "/too-big-chunked", [("Transfer-Encoding", "chunked")]))
        c.send(b"200\r\n" + b"a" * 0x200 + b"\r\n")
        time.sleep(0.1)
        c.send(b"400\r\n" + b"b" * 0x400 + b"\r\n")  # 1536 bytes in all, over 1 KiB; no last chunk yet
        try:
            r = c.read_response("POST")
        except socket.timeout:
            pytest.fail("no 413 after a chunked body went over max_body_bytes")
    assert r.status == 413, r
    assert origin_untouched(o, "/too-big-chunked"), "the origin received the whole over-limit body"


def test_header_read_timeout_gives_408_then_close(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], timeouts={"header_read": "1s"})
    with RawClient(b.port, timeout=6) as c:
        c.send(b"GET /slowloris HTTP/1.1\r\nHost: test.local\r\nX-Partial: ")
        start = time.monotonic()
        try:
            r = c.read_response()
        except socket.timeout:
            pytest.fail("no response within 6 s to a request head left incomplete (header_read 1s)")
        elapsed = time.monotonic() - start
        assert r.status == 408, r
        assert 0.7 <= elapsed <= 3.5, f"408 after {elapsed:.2f} s with header_read 1s"
        assert c.wait_closed(2), "the connection must be closed after the 408"
    assert not o.heads


def test_slowloris_trickle_still_times_out(bulwark, origin):
    """header_read bounds the whole head, not the gap between bytes."""
    o = origin(O.echo())
    b = bulwark([o.hostport], timeouts={"header_read": "1s"})
    head = b"GET /trickle HTTP/1.1\r\nHost: test.local\r\n" + b"".join(b"X-Drip-%d: a\r\n" % i for i in range(100))
    with RawClient(b.port, timeout=6) as c:
        start = time.monotonic()
        answered = False
        for i in range(len(head)):
            if time.monotonic() - start > 5:
                break
            try:
                c.send(head[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                answered = True
                break
            try:
                c._recv_more(timeout=0.05)  # data or EOF: the server has reacted
                answered = True
                break
            except socket.timeout:
                pass
        elapsed = time.monotonic() - start
        assert answered and elapsed < 4.5, \
            f"bulwark kept reading a trickled head for {elapsed:.1f} s (header_read 1s)"
        if c.buf:
            r = c.read_response()
            assert r.status == 408, r
        assert c.eof or c.wait_closed(2)
    assert not o.heads


def test_body_read_timeout(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], timeouts={"body_read": "1s"})
    with RawClient(b.port, timeout=6) as c:
        c.send(build_request("POST", "/stalled-body", [("Content-Length", "100")]) + b"0123456789")
        start = time.monotonic()
        closed = c.wait_closed(5)
        elapsed = time.monotonic() - start
        assert closed, "a stalled request body (body_read 1s) did not end the exchange within 5 s"
        assert elapsed <= 3.5
        if c.buf:
            r = c.read_response("POST")
            assert r.status == 408, r
    assert origin_untouched(o, "/stalled-body")


def test_max_connections_per_ip(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], limits={"max_connections_per_ip": 2})
    c1, c2 = RawClient(b.port), RawClient(b.port)
    try:
        assert c1.request("GET", "/one").status == 200
        assert c2.request("GET", "/two").status == 200
        c3 = RawClient(b.port, timeout=3)
        try:
            c3.send(build_request("GET", "/three"))
            outcome = c3.read_response()
        except (ConnectionResetError, BrokenPipeError, ConnectionClosed):
            outcome = "closed"
        except socket.timeout:
            outcome = "no answer and not closed within 3 s"
        finally:
            c3.close()
        assert outcome == "closed" or (isinstance(outcome, Response) and outcome.status == 429), \
            f"a 3rd connection from one IP (limit 2) must get 429 or be closed; got {outcome}"
        # Closing one of the two frees a slot.
        c1.close()

        def fourth_ok():
            try:
                with RawClient(b.port, timeout=3) as c4:
                    return c4.request("GET", "/four").status == 200
            except Exception:
                return False

        deadline = time.monotonic() + 3
        ok = fourth_ok()
        while not ok and time.monotonic() < deadline:
            time.sleep(0.2)
            ok = fourth_ok()
        assert ok, "after one of two connections closed, a new connection from the same IP was still refused"
        assert c2.request("GET", "/two-again").status == 200
    finally:
        c1.close()
        c2.close()


def test_idle_keep_alive_connection_is_closed(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], timeouts={"idle": "1s"})
    with RawClient(b.port) as c:
        assert c.request("GET", "/then-idle").status == 200
        start = time.monotonic()
        closed = c.wait_closed(5)
        elapsed = time.monotonic() - start
    assert closed, "an idle keep-alive connection was still open 5 s later (idle 1s)"
    assert 0.5 <= elapsed <= 3.5, f"idle connection closed after {elapsed:.2f} s (idle 1s)"


def test_idle_timeout_does_not_cut_a_request_in_progress(bulwark, origin):
    o = origin(O.slow(2.0))
    b = bulwark([o.hostport], timeouts={"idle": "1s", "upstream_read": "10s"})
    with RawClient(b.port, timeout=10) as c:
        r = c.request("GET", "/slow")
    assert r.status == 200, r


def test_expect_100_continue_with_body_over_limit_gets_413_without_100(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], limits={"max_body_bytes": "1KiB"})
    with RawClient(b.port, timeout=5) as c:
        c.send(build_request("PUT", "/expect-too-big", [("Content-Length", "5000"), ("Expect", "100-continue")]))
        try:
            r = c.read_head()
        except socket.timeout:
            pytest.fail("no answer to Expect: 100-continue with a Content-Length over max_body_bytes")
        assert r.status == 413, f"expected 413 instead of {r.status} (no 100 Continue for a body that is refused)"
    assert not o.heads
