"""Graceful shutdown on SIGTERM (drain in-flight requests, refuse new connections, close idle
ones, exit 0 within the drain deadline) and fast stop on SIGINT."""

import signal
import socket
import subprocess
import threading
import time

import pytest

import origins as O
from http_client import ConnectionClosed, RawClient, build_request, poll


def new_connection_refused(port) -> bool:
    """True if a new connection is refused (or closed without an answer)."""
    try:
        c = RawClient(port, timeout=1.0)
    except (ConnectionRefusedError, ConnectionResetError):
        return True
    except socket.timeout:
        return False
    try:
        c.send(build_request("GET", "/after-signal"))
        c.read_response()
        return False  # served: not refused
    except (ConnectionClosed, ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    finally:
        c.close()


def start_in_flight(b, o, path="/slow/inflight"):
    seen = len(o.heads)  # the origin may have served requests before this one
    c = RawClient(b.port, timeout=15)
    c.send(build_request("GET", path))
    assert o.wait_for_requests(seen + 1, heads=True, timeout=5), "the request never reached the origin"
    return c


def test_sigterm_drains_in_flight_request(bulwark, origin):
    o = origin(O.route({"/slow": O.slow(1.5)}, default=O.echo()))
    b = bulwark([o.hostport], timeouts={"drain": "5s"})
    c = start_in_flight(b, o)
    t0 = time.monotonic()
    b.signal(signal.SIGTERM)
    assert poll(lambda: new_connection_refused(b.port), timeout=1.5, interval=0.1), \
        "new connections were still accepted and served 1.5 s after SIGTERM"
    r = c.read_response()
    assert r.status == 200, f"the in-flight request did not complete: {r}"
    assert r.json()["target"] == "/slow/inflight"
    assert c.wait_closed(2), "after draining, the connection must be closed"
    c.close()
    try:
        rc = b.wait(timeout=6)
    except subprocess.TimeoutExpired:
        pytest.fail("bulwark did not exit within the drain deadline (5 s) after SIGTERM")
    elapsed = time.monotonic() - t0
    assert rc == 0, f"exit code {rc} after a graceful shutdown"
    assert elapsed < 5.5, f"exit took {elapsed:.1f} s"


def test_sigterm_closes_idle_keep_alive_connections(bulwark, origin):
    o = origin(O.route({"/slow": O.slow(1.5)}, default=O.echo()))
    b = bulwark([o.hostport], timeouts={"drain": "5s"})
    idle = RawClient(b.port, timeout=5)
    assert idle.request("GET", "/warm").status == 200
    busy = start_in_flight(b, o)
    t0 = time.monotonic()
    b.signal(signal.SIGTERM)
    # Well inside the 5 s drain deadline; the margin is for a machine busy with the other tests.
    assert idle.wait_closed(3.0), "an idle keep-alive connection stayed open 3 s after SIGTERM"
    assert time.monotonic() - t0 < 3.2
    r = busy.read_response()
    assert r.status == 200
    assert b.wait(timeout=6) == 0
    idle.close()
    busy.close()


def test_sigterm_when_idle_exits_promptly(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    c = RawClient(b.port, timeout=5)
    assert c.request("GET", "/x").status == 200
    t0 = time.monotonic()
    b.signal(signal.SIGTERM)
    try:
        rc = b.wait(timeout=3)
    except subprocess.TimeoutExpired:
        pytest.fail("with nothing in flight, bulwark did not exit within 3 s of SIGTERM")
    assert rc == 0
    assert time.monotonic() - t0 < 3
    assert c.wait_closed(1)
    c.close()


def test_drain_deadline_is_enforced(bulwark, origin):
    o = origin(O.never_answer())
    b = bulwark([o.hostport], timeouts={"drain": "1s", "upstream_read": "60s"})
    c = start_in_flight(b, o, "/hang")
    t0 = time.monotonic()
    b.signal(signal.SIGTERM)
    try:
        b.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("bulwark outlived its 1 s drain deadline by more than 4 s")
    elapsed = time.monotonic() - t0
    assert 0.7 <= elapsed <= 3.5, f"exited {elapsed:.2f} s after SIGTERM with drain 1s"
    assert c.wait_closed(2)
    c.close()


def test_sigint_stops_fast_even_with_request_in_flight(bulwark, origin):
    o = origin(O.slow(10))
    b = bulwark([o.hostport])
    c = start_in_flight(b, o, "/slow")
    t0 = time.monotonic()
    b.signal(signal.SIGINT)
    try:
        b.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail("bulwark still running 5 s after SIGINT")
    elapsed = time.monotonic() - t0
    assert elapsed <= 1.5, f"SIGINT stop took {elapsed:.2f} s"
    c.close()


def test_sigterm_with_many_in_flight_requests(bulwark, origin):
    """Every one of 20 concurrent in-flight requests completes during the drain."""
    o = origin(O.slow(1.0))
    b = bulwark([o.hostport], timeouts={"drain": "8s"})
    clients = [RawClient(b.port, timeout=15) for _ in range(20)]
    for i, c in enumerate(clients):
        c.send(build_request("GET", f"/slow/{i}"))
    assert o.wait_for_requests(20, heads=True, timeout=5)
    b.signal(signal.SIGTERM)
    results = [None] * len(clients)

    def read(i, c):
        try:
            results[i] = c.read_response().status
        except Exception as e:  # recorded and asserted below
            results[i] = repr(e)

    threads = [threading.Thread(target=read, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=15)
    for c in clients:
        c.close()
    assert results == [200] * 20, results
    assert b.wait(timeout=8) == 0


def test_request_arriving_with_sigterm_is_still_answered(bulwark, origin):
    """A keep-alive connection whose next request is in flight when SIGTERM arrives: the drain
    may catch the connection idle, but bytes that already arrived are a request to answer."""
    o = origin(O.echo())
    b = bulwark([o.hostport], timeouts={"drain": "5s"})
    c = RawClient(b.port, timeout=5)
    assert c.request("GET", "/warm").status == 200
    c.send(build_request("GET", "/late"))
    b.signal(signal.SIGTERM)
    r = c.read_response()
    assert r.status == 200, r
    # Read before or after the drain began, the request is answered and the connection then ends.
    assert c.wait_closed(3.0), "the connection stayed open after the drain"
    assert b.wait(timeout=6) == 0
    c.close()
