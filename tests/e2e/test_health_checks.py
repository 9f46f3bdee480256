"""Active health checks against real origins: an endpoint that fails its checks (a 503 on
/healthz, or killed outright) is marked down within fall x interval, gets no requests while down,
and is up again after rise passes; one checker per cluster whatever the number of workers; the
checks follow a reload and end with the process."""

import os
import re
import signal
import socket
import threading
import time

import origins as O
from conftest import yaml_dump
from http_client import poll, request

INTERVAL = 0.2  # seconds, as configured below
FALL = 2
RISE = 2
# Time for the checker to notice beyond fall x interval: the check in progress when the origin
# changed, and a loaded shared machine.
MARGIN = INTERVAL + 1.0


class Health:
    """What an origin's /healthz answers; the rest of its paths echo."""

    def __init__(self):
        self.status = 200

    def handler(self):
        inner = O.echo()

        def handle(ex):
            if ex.req.target.startswith("/healthz"):
                ex.finish_request()
                body = b"ok" if self.status == 200 else b"unavailable"
                ex.respond(self.status, [("Content-Type", "text/plain")], body)
            else:
                inner(ex)
        return handle


def checks_of(o, path="/healthz"):
    with o.lock:
        return [r for r in o.requests if r.target == path]


def traffic_of(o):
    with o.lock:
        return [r for r in o.requests if r.target.startswith("/work")]


def cluster(endpoints, **check):
    return [{"name": "backend", "endpoints": endpoints,
             "health_check": {"interval": f"{int(INTERVAL * 1000)}ms", "timeout": "500ms",
                              "fall": FALL, "rise": RISE, **check}}]


def http_check(path="/healthz", **http):
    return {"http": {"path": path, "body": "ok", **http}}


def wait_for_log(b, text, timeout):
    """Seconds until `text` appears in bulwark's error log (fails the test after `timeout`)."""
    started = time.monotonic()
    assert poll(lambda: text in b.stderr_text(), timeout=timeout, interval=0.02), \
        f"no '{text}' within {timeout:.1f}s:\n{b.stderr_text()[-3000:]}"
    return time.monotonic() - started


def reload(b, cfg):
    pattern = r"\] reload: \S+ applied;"
    applied = len(re.findall(pattern, b.stderr_text()))
    b.config_path.write_text(yaml_dump(cfg))
    os.kill(b.pid, signal.SIGHUP)
    assert poll(lambda: len(re.findall(pattern, b.stderr_text())) > applied, timeout=10), \
        f"the reload was not applied:\n{b.stderr_text()[-3000:]}"


class Load:
    """One client sending GET /work/N one after another until stopped; counts the answers."""

    def __init__(self, port):
        self.port, self.statuses, self.errors = port, [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        n = 0
        while not self._stop.is_set():
            try:
                self.statuses.append(request(self.port, "GET", f"/work/{n}").status)
            except (OSError, Exception) as e:  # noqa: BLE001 - any failure counts
                self.errors.append(repr(e))
            n += 1
            time.sleep(0.01)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)


def test_failing_endpoint_is_marked_down_within_fall_x_interval_and_up_after_rise(bulwark, origin):
    health_a, health_b = Health(), Health()
    a = origin(health_a.handler(), name="A")
    b_ = origin(health_b.handler(), name="B")
    p = bulwark(None, clusters=cluster([a.hostport, b_.hostport], **http_check()))
    assert poll(lambda: len(checks_of(a)) >= 1 and len(checks_of(b_)) >= 1, timeout=5)

    with Load(p.port) as load:
        assert poll(lambda: len(traffic_of(b_)) >= 5, timeout=5), "B gets no traffic to begin with"
        health_b.status = 503  # B still answers requests: only its checks fail
        took = wait_for_log(p, f"cluster backend: endpoint {b_.hostport} is down "
                               f"({FALL} failed checks: status 503)", timeout=10)
        assert took < FALL * INTERVAL + MARGIN, f"marked down after {took:.2f}s"
        # Requests picked before the verdict may still be on their way.
        time.sleep(0.1)
        sent_to_b, answered = len(traffic_of(b_)), len(load.statuses)
        time.sleep(1.0)
        assert len(load.statuses) >= answered + 20, "the load stalled"
        assert len(traffic_of(b_)) == sent_to_b, "a request went to B while it was down"

        health_b.status = 200
        took = wait_for_log(p, f"cluster backend: endpoint {b_.hostport} is up "
                               f"({RISE} passed checks)", timeout=10)
        assert took < RISE * INTERVAL + MARGIN, f"marked up after {took:.2f}s"
        assert poll(lambda: len(traffic_of(b_)) >= sent_to_b + 5, timeout=5), "B got no traffic back"
    assert load.statuses and set(load.statuses) == {200}, (load.statuses, load.errors)
    assert not load.errors, load.errors
    assert f"endpoint {a.hostport}" not in p.stderr_text()


def test_killed_endpoint_is_marked_down_within_fall_x_interval_under_load(bulwark, origin):
    a = origin(O.echo(), name="A")
    b_ = origin(O.echo(), name="B")
    p = bulwark(None, clusters=cluster([a.hostport, b_.hostport], tcp={}))
    assert poll(lambda: b_.connections_accepted >= 2, timeout=5)  # checked already

    with Load(p.port) as load:
        time.sleep(0.3)
        b_.stop()
        took = wait_for_log(p, f"cluster backend: endpoint {b_.hostport} is down "
                               f"({FALL} failed checks: connection refused)", timeout=10)
        assert took < FALL * INTERVAL + MARGIN, f"marked down after {took:.2f}s"
    # No idempotent request failed: what was sent to the dead B, and what B held when it died
    # (reset before any response byte), was retried on A.
    assert len(load.statuses) > 20 and not load.errors, (load.statuses, load.errors)
    assert set(load.statuses) == {200}, load.statuses

    # Listening again on the same port brings it back (a TCP check needs nothing more).
    with socket.socket() as revived:
        revived.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        revived.bind(("127.0.0.1", b_.port))
        revived.listen(64)
        took = wait_for_log(p, f"cluster backend: endpoint {b_.hostport} is up "
                               f"({RISE} passed checks)", timeout=10)
        assert took < RISE * INTERVAL + MARGIN, f"marked up after {took:.2f}s"


def test_one_checker_per_cluster_whatever_the_workers(bulwark, origin):
    a = origin(Health().handler(), name="A")
    p = bulwark(None, workers=4,
                clusters=cluster([a.hostport], **http_check(method="GET", host="api.internal")))
    assert poll(lambda: len(checks_of(a)) >= 1, timeout=5)
    first = len(checks_of(a))
    time.sleep(10 * INTERVAL)
    made = len(checks_of(a)) - first
    # About one check per interval; one checker per worker would make four times as many.
    assert 3 <= made <= 10 + 2, made
    check = checks_of(a)[-1]
    assert check.method == "GET" and check.version == "HTTP/1.1"
    assert check.header("host") == "api.internal"
    assert check.header("user-agent") == "bulwark-health"
    assert check.header("connection") == "close"
    assert p.running()


def test_host_defaults_to_the_endpoint(bulwark, origin):
    a = origin(Health().handler(), name="A")
    bulwark(None, clusters=cluster([a.hostport], **http_check()))
    assert poll(lambda: len(checks_of(a)) >= 1, timeout=5)
    assert checks_of(a)[0].header("host") == a.hostport


def test_checks_follow_a_reload_and_the_verdict_survives_it(bulwark, origin):
    health_a, health_b = Health(), Health()
    a = origin(health_a.handler(), name="A")
    b_ = origin(health_b.handler(), name="B")
    endpoints = [a.hostport, b_.hostport]
    p = bulwark(None, clusters=cluster(endpoints, **http_check()))
    health_b.status = 503
    down = f"cluster backend: endpoint {b_.hostport} is down"
    wait_for_log(p, down, timeout=10)

    # The same check under another path: the old checker stops, the new one knows B is down.
    cfg = dict(p.config)
    cfg["clusters"] = cluster(endpoints, **http_check(path="/healthz?v=2"))
    reload(p, cfg)
    old = len(checks_of(a))
    assert poll(lambda: len(checks_of(b_, "/healthz?v=2")) >= 3, timeout=5)
    time.sleep(2 * INTERVAL)
    assert len(checks_of(a)) <= old + 1, "the old checker still runs"
    assert p.stderr_text().count(down) == 1, "B was announced down again after the reload"

    health_b.status = 200
    wait_for_log(p, f"cluster backend: endpoint {b_.hostport} is up", timeout=10)

    # B down again, then a configuration without a health check: no checker runs any more, and
    # nothing holds B out of the balancing.
    health_b.status = 503
    assert poll(lambda: p.stderr_text().count(down) == 2, timeout=10), p.stderr_text()[-3000:]
    cfg["clusters"] = [{"name": "backend", "endpoints": endpoints}]
    reload(p, cfg)
    made = len(checks_of(b_, "/healthz?v=2"))
    for n in range(20):
        assert request(p.port, "GET", f"/work/{n}").status == 200
    assert len(traffic_of(b_)) >= 5, "B stayed out after its health check was removed"
    time.sleep(3 * INTERVAL)
    assert len(checks_of(b_, "/healthz?v=2")) <= made + 1


def test_shutdown_with_a_check_in_flight(bulwark, origin):
    for sig in (signal.SIGTERM, signal.SIGINT):
        a = origin(O.never_answer(), name=f"silent-{sig.name}")
        p = bulwark(None, clusters=[{"name": "backend", "endpoints": [a.hostport],
                                     "health_check": {"http": {}, "interval": "1s",
                                                      "timeout": "30s"}}])
        assert poll(lambda: a.connections_accepted >= 1, timeout=5)
        started = time.monotonic()
        p.signal(sig)
        assert p.wait(timeout=10) == 0
        assert time.monotonic() - started < 5, "a check in flight held up the shutdown"
        assert "bulwark stopped" in p.stderr_text()
