"""Cluster resilience against real origins: passive outlier detection ejects an endpoint that
answers 503 and slow start brings it back gradually; panic mode spreads over every endpoint when
too few are healthy; circuit breakers answer 503 with Retry-After at once; retries go to another
endpoint on connect failures, resets, timeouts and configured statuses, for the methods allowed,
resending a small kept body."""

import concurrent.futures
import socket
import time

import origins as O
from http_client import RawClient, poll, request


def switchable(state: dict):
    """Answers state["status"] (200 by default) with the origin's name in X-Origin."""

    def handler(ex):
        ex.read_body()
        ex.finish_request()
        status = state.get("status", 200)
        ex.respond(status, [("Content-Type", "text/plain")], f"{ex.origin.name}-{status}".encode())
    return handler


def resets_after_reading():
    """Reads the whole request, then closes without a word (a crash mid-request)."""

    def handler(ex):
        ex.read_body()
        ex.finish_request()
        ex.conn.close()
        raise O.PeerClosed("closed on purpose")
    return handler


def dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there: connects are refused
    return port


def cluster(endpoints, **extra):
    return [{"name": "backend", "endpoints": endpoints, **extra}]


def origins_of(port, n, target="/"):
    names = []
    with RawClient(port) as c:
        for i in range(n):
            r = c.request("GET", f"{target}{i}")
            names.append((r.status, r.header("x-origin")))
    return names


def test_an_endpoint_answering_503_is_ejected_and_returns_through_slow_start(bulwark, origin):
    bad_state = {"status": 503}
    good = origin(switchable({}), name="good")
    bad = origin(switchable(bad_state), name="bad")
    b = bulwark(None, workers=1, clusters=cluster(
        [good.hostport, bad.hostport],
        outlier_detection={"consecutive_gateway_errors": 3, "base_ejection_time": "1500ms"},
        slow_start={"window": "3s", "min_percent": 10},
        retry="off"))
    # Round robin: the bad origin's third 503 in a row ejects it.
    first = origins_of(b.port, 6)
    assert [o for _, o in first].count("bad") == 3, first
    assert poll(lambda: "ejected for 1500 ms (3 consecutive gateway errors)" in b.stderr_text())
    ejected = origins_of(b.port, 20, "/after/")
    assert ejected == [(200, "good")] * 20, ejected

    bad_state["status"] = 200  # it recovers; the ejection ends on its own, noticed by a pick
    time.sleep(1.6)
    assert origins_of(b.port, 1)[0][0] == 200
    assert "is back after its ejection" in b.stderr_text()
    # Right after its return it gets a small share (slow start from 10%), later its full half.
    early = [o for _, o in origins_of(b.port, 100, "/early/")]
    time.sleep(3.2)
    late = [o for _, o in origins_of(b.port, 100, "/late/")]
    assert early.count("bad") < 35, early.count("bad")
    assert 40 <= late.count("bad") <= 60, late.count("bad")
    assert early.count("bad") < late.count("bad")


def test_panic_mode_spreads_over_all_when_too_few_are_healthy(bulwark, origin):
    a = origin(switchable({"status": 503}), name="A")
    c = origin(switchable({"status": 503}), name="B")
    settings = dict(outlier_detection={"consecutive_gateway_errors": 1,
                                       "base_ejection_time": "60s", "max_ejection_percent": 100},
                    retry="off")
    b = bulwark(None, workers=1, clusters=cluster([a.hostport, c.hostport], **settings))
    origins_of(b.port, 2)  # both ejected now
    assert poll(lambda: b.stderr_text().count("ejected for") == 2), b.stderr_text()
    # Panic (default threshold 50%): the origins still get the requests and answer themselves.
    answers = origins_of(b.port, 4, "/panic/")
    assert {o for _, o in answers} == {"A", "B"}, answers
    assert "panic mode" in b.stderr_text()

    # Without panic mode the cluster has nothing to offer: bulwark's own 503.
    a2 = origin(switchable({"status": 503}), name="A2")
    b2 = bulwark(None, workers=1, clusters=cluster([a2.hostport], panic_threshold="0%", **settings))
    assert request(b2.port, "GET", "/x").status == 503  # the origin's, and the ejection
    r = request(b2.port, "GET", "/y")
    assert r.status == 503 and r.header("x-origin") is None, r
    assert len(a2.requests) == 1


def test_a_full_breaker_answers_503_with_retry_after_at_once(bulwark, origin):
    slow = origin(O.slow(1.5), name="slow")
    b = bulwark(None, workers=1, clusters=cluster(
        [slow.hostport], circuit_breaker={"max_requests": 2, "retry_after": "3s"}))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        busy = [pool.submit(request, b.port, "GET", f"/slow/{i}") for i in range(2)]
        assert slow.wait_for_requests(2, timeout=5, heads=True)
        started = time.monotonic()
        r = request(b.port, "GET", "/third")
        elapsed = time.monotonic() - started
        assert r.status == 503, r
        assert r.header("retry-after") == "3"
        # Refused without waiting for the busy backend (which takes 1.5 s).
        assert elapsed < 1.0, elapsed
        assert [f.result().status for f in busy] == [200, 200]
    assert len(slow.heads) == 2  # the third never reached it
    assert request(b.port, "GET", "/later").status == 200  # the slots are free again


def test_connect_failures_are_retried_on_another_endpoint_within_the_budget(bulwark, origin):
    live = origin(switchable({}), name="live")
    endpoints = [f"127.0.0.1:{dead_port()}", live.hostport]

    def burst(budget):
        b = bulwark(None, workers=1, clusters=cluster(endpoints, outlier_detection="off", retry={
            "retries": 1, "backoff": {"base": "1ms", "max": "2ms"}, "budget": budget}))
        return [request(b.port, "POST" if i % 2 else "GET", f"/r/{i}",
                        body=b"x" if i % 2 else None) for i in range(20)]

    # Many requests meet the refusing endpoint first; a budget that allows that many
    # retries lets every one through, even the POSTs: nothing reached the refusing endpoint, so
    # nothing can have taken effect.
    answers = burst({"percent": 100, "min_per_second": 10})
    assert [r.status for r in answers] == [200] * 20
    assert {r.header("x-origin") for r in answers} == {"live"}
    # A tight budget (1 retry a second, none earned by requests) stops retries from multiplying
    # the load: most of those requests fail instead.
    statuses = [r.status for r in burst({"percent": 0, "min_per_second": 1})]
    assert statuses.count(502) >= 5 and 200 in statuses, statuses


def test_a_reset_after_sending_is_retried_only_for_methods_allowed(bulwark, origin):
    crashing = origin(resets_after_reading(), name="crashing")
    good = origin(O.echo(), name="good")
    endpoints = [crashing.hostport, good.hostport]
    common = {"outlier_detection": "off", "balancer": "round_robin"}
    b = bulwark(None, workers=1, clusters=cluster(
        endpoints, retry={"retries": 1, "backoff": {"base": "1ms", "max": "2ms"}}, **common))
    # GET is idempotent: the reset is retried on the other endpoint.
    statuses = [request(b.port, "GET", f"/g/{i}").status for i in range(4)]
    assert statuses == [200] * 4
    # POST is not, unless the policy lists it: 502 when the crashing endpoint took it.
    posts = [request(b.port, "POST", f"/p/{i}", body=b"payload").status for i in range(4)]
    assert sorted(posts) == [200, 200, 502, 502], posts

    b2 = bulwark(None, workers=1, clusters=cluster(endpoints, retry={
        "retries": 1, "methods": ["POST"], "backoff": {"base": "1ms", "max": "2ms"}}, **common))
    body = b"k" * 20_000  # small enough to keep: sent again, byte for byte
    before = len(good.requests)
    posts = [request(b2.port, "POST", f"/kept/{i}", body=body) for i in range(4)]
    assert [r.status for r in posts] == [200] * 4
    resent = good.requests[before:]
    assert len(resent) == 4 and all(q.body == body for q in resent)

    b3 = bulwark(None, workers=1, clusters=cluster(endpoints, retry={
        "retries": 1, "methods": ["POST"], "max_body_bytes": "1KiB"}, **common))
    posts = [request(b3.port, "POST", f"/big/{i}", body=body).status for i in range(4)]
    assert sorted(posts) == [200, 200, 502, 502], posts  # too large to keep: not retried


def test_configured_statuses_are_retried_on_a_different_endpoint(bulwark, origin):
    flaky = origin(switchable({"status": 503}), name="flaky")
    good = origin(switchable({}), name="good")
    b = bulwark(None, workers=1, clusters=cluster(
        [flaky.hostport, good.hostport], balancer="random", outlier_detection="off",
        retry={"retries": 2, "on": [503], "backoff": {"base": "1ms", "max": "2ms"}}))
    answers = origins_of(b.port, 30)
    assert answers == [(200, "good")] * 30, answers
    # Each request reached the flaky endpoint at most once: its retry went elsewhere.
    assert len(flaky.requests) <= 30
    assert len(good.requests) == 30


def test_per_try_timeout_moves_a_stuck_request_to_another_endpoint(bulwark, origin):
    stuck = origin(O.never_answer(), name="stuck")
    good = origin(switchable({}), name="good")
    b = bulwark(None, workers=1, timeouts={"upstream_read": "30s"}, clusters=cluster(
        [stuck.hostport, good.hostport], outlier_detection="off",
        retry={"retries": 1, "on": ["timeout", "connect_failure"], "per_try_timeout": "300ms",
               "backoff": {"base": "1ms", "max": "2ms"}}))
    started = time.monotonic()
    answers = origins_of(b.port, 4)
    elapsed = time.monotonic() - started
    assert answers == [(200, "good")] * 4, answers
    assert elapsed < 10, elapsed  # far below the 30 s read timeout: the per-try timeout cut in
    assert 1 <= len(stuck.heads) <= 4  # at most once per request


def test_the_retry_breaker_limits_concurrent_retries(bulwark, origin):
    refusing = f"127.0.0.1:{dead_port()}"
    slow = origin(O.slow(1.0), name="slow")

    def burst(max_retries):
        b = bulwark(None, workers=1, clusters=cluster(
            [refusing, slow.hostport], balancer="round_robin", outlier_detection="off",
            circuit_breaker={"max_retries": max_retries},
            retry={"retries": 1, "backoff": {"base": "1ms", "max": "2ms"}}))
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            return list(pool.map(lambda i: request(b.port, "GET", f"/c/{i}").status, range(6)))

    # Several requests hit the refusing endpoint first; with one retry allowed in flight, the
    # retry of the first holds it (the slow origin takes a second) and the others fail.
    limited = burst(1)
    assert 502 in limited and 200 in limited, limited
    # The same burst with room for every retry: no failure.
    assert burst(100) == [200] * 6
