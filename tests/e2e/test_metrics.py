"""/metrics on the admin listener: after a known amount of traffic through known routes and
clusters, the Prometheus exposition shows exactly those counts (summed over the workers), the
histograms count every request, requests to many distinct paths and hosts add no series, and TLS
handshakes are counted by result."""

import re
import socket

import origins as O
from admin_client import scrape, wait_admin
from http_client import RawClient, poll, request
from tls_support import listener_tls, s_client, tls_config


def config(port, admin_port, backend, others):
    return {
        "workers": 2,
        "admin": {"listen": f"127.0.0.1:{admin_port}"},
        "clusters": [
            {"name": "backend", "endpoints": [backend.hostport]},
            {"name": "other", "endpoints": [o.hostport for o in others],
             "retry": {"retries": 1, "on": [500], "backoff": {"base": "1ms", "max": "1ms"}}},
        ],
        "listeners": [{
            "name": "public", "listen": f"127.0.0.1:{port}",
            "virtual_hosts": [{"domains": ["*"], "routes": [
                {"name": "api", "match": {"prefix": "/api/"}, "proxy": {"cluster": "backend"}},
                {"name": "static", "match": {"exact": "/hello"},
                 "direct_response": {"status": 204}},
                {"match": {"prefix": "/other/"}, "proxy": {"cluster": "other"}},
            ]}],
        }],
    }


def start(bulwark, origin, free_port_factory):
    backend = origin(O.route({"/api/ok": O.fixed(200, b"ok"), "/api/missing": O.fixed(404, b"nope")}))
    others = [origin(O.fixed(500, b"broken")) for _ in range(2)]
    port, admin_port = free_port_factory(), free_port_factory()
    b = bulwark(config=config(port, admin_port, backend, others), port=port)
    wait_admin(admin_port)
    return b, admin_port, backend, others


def requests_total(metrics):
    return sum(v for (name, _), v in metrics.samples.items() if name == "bulwark_requests_total")


def scrape_when(admin_port, total):
    """Streams are counted when they finish, just after the client got its response."""
    assert poll(lambda: requests_total(scrape(admin_port)) >= total, timeout=5)
    metrics = scrape(admin_port)
    assert requests_total(metrics) == total
    return metrics


def test_exact_counts_after_known_traffic(bulwark, origin, free_port_factory):
    b, admin_port, backend, others = start(bulwark, origin, free_port_factory)
    before = scrape(admin_port)
    assert requests_total(before) == 0
    assert before.value("bulwark_reloads_total", result="ok") == 0

    for _ in range(5):
        assert request(b.port, "GET", "/api/ok").status == 200
    for _ in range(3):
        assert request(b.port, "GET", "/api/missing").status == 404
    for _ in range(2):
        assert request(b.port, "GET", "/hello").status == 204
    for _ in range(4):
        assert request(b.port, "GET", "/other/x").status == 500
    assert request(b.port, "GET", "/nowhere").status == 404  # no route takes it

    m = scrape_when(admin_port, 15)
    api = {"listener": "public", "route": "api", "cluster": "backend"}
    static = {"listener": "public", "route": "static", "cluster": ""}
    other = {"listener": "public", "route": "", "cluster": "other"}
    unrouted = {"listener": "public", "route": "", "cluster": ""}
    expected = {(tuple(api.items()), "2xx"): 5, (tuple(api.items()), "4xx"): 3,
                (tuple(static.items()), "2xx"): 2, (tuple(other.items()), "5xx"): 4,
                (tuple(unrouted.items()), "4xx"): 1}
    for labels in (api, static, other, unrouted):
        for status_class in ("1xx", "2xx", "3xx", "4xx", "5xx"):
            want = expected.get((tuple(labels.items()), status_class), 0)
            got = m.value("bulwark_requests_total", status_class=status_class, **labels)
            assert got == want, (labels, status_class)
        count = sum(v for (k, c), v in expected.items() if k == tuple(labels.items()))
        assert m.value("bulwark_request_duration_seconds_count", **labels) == count
        assert m.value("bulwark_request_duration_seconds_bucket", le="+Inf", **labels) == count
        # Buckets are cumulative.
        buckets = sorted((float(s["le"]), v) for s in m.series("bulwark_request_duration_seconds_bucket")
                         if all(s.get(k) == v for k, v in labels.items())
                         for v in [m.value("bulwark_request_duration_seconds_bucket", **s)])
        assert [v for _, v in buckets] == sorted(v for _, v in buckets)
    assert m.types["bulwark_request_duration_seconds"] == "histogram"
    assert m.types["bulwark_requests_total"] == "counter"

    # Response bodies: "ok" five times and "nope" three times; a 204 has none.
    assert m.value("bulwark_response_body_bytes_total", **api) == 5 * 2 + 3 * 4
    assert m.value("bulwark_response_body_bytes_total", **static) == 0
    # Each of the 4 requests to "other" got a 500, was tried once more, and got a 500 again.
    assert sum(len(o.requests) for o in others) == 8
    assert m.value("bulwark_upstream_retries_total", cluster="other") == 4
    assert m.value("bulwark_upstream_retries_total", cluster="backend") == 0
    assert m.value("bulwark_upstream_response_time_seconds_count", cluster="backend") == 8
    assert m.value("bulwark_upstream_response_time_seconds_count", cluster="other") == 4
    assert m.value("bulwark_endpoint_healthy", cluster="backend", endpoint=backend.hostport) == 1
    for o in others:
        assert m.value("bulwark_endpoint_healthy", cluster="other", endpoint=o.hostport) == 1


def test_active_connections_gauge(bulwark, origin, free_port_factory):
    b, admin_port, _, _ = start(bulwark, origin, free_port_factory)
    gauge = lambda: scrape(admin_port).value("bulwark_downstream_connections_active")  # noqa: E731
    assert gauge() == 0
    clients = [socket.create_connection(("127.0.0.1", b.port)) for _ in range(3)]
    try:
        assert poll(lambda: gauge() == 3, timeout=5)
    finally:
        for c in clients:
            c.close()
    assert poll(lambda: gauge() == 0, timeout=5)


def test_distinct_paths_and_hosts_add_no_series(bulwark, origin, free_port_factory):
    b, admin_port, _, _ = start(bulwark, origin, free_port_factory)
    before = scrape(admin_port)
    with RawClient(b.port) as c:
        for i in range(1000):
            r = c.request("GET", f"/api/ok/{i}?q={i}", host=f"host{i}.example")
            assert r.status == 200
    after = scrape_when(admin_port, 1000)
    assert set(after.samples) == set(before.samples)
    assert len(after) == len(before)
    assert after.value("bulwark_requests_total", listener="public", route="api", cluster="backend",
                       status_class="2xx") == 1000
    text = "\n".join(str(k) for k in after.samples)
    assert "host1.example" not in text and "/api/ok/1" not in text


def test_tls_handshakes_by_result(bulwark, origin, free_port_factory, pki, tmp_path):
    backend = origin(O.fixed(200, b"ok"))
    port, admin_port = free_port_factory(), free_port_factory()
    cfg = tls_config(port, listener_tls(pki.a), [backend.hostport])
    cfg["admin"] = {"listen": f"127.0.0.1:{admin_port}"}
    bulwark(config=cfg, port=port)
    wait_admin(admin_port)
    session = tmp_path / "session.pem"
    assert re.search(r"^New, TLSv1\.3", s_client(port, "-tls1_3", "-sess_out", session), re.M)
    assert re.search(r"^Reused, TLSv1\.3", s_client(port, "-tls1_3", "-sess_in", session), re.M)
    with socket.create_connection(("127.0.0.1", port)) as plain:  # not TLS at all
        plain.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")
        plain.recv(100)

    def handshakes():
        m = scrape(admin_port)
        return {r: m.value("bulwark_tls_handshakes_total", listener="secure", result=r)
                for r in ("full", "resumed", "failed")}
    assert poll(lambda: handshakes() == {"full": 1, "resumed": 1, "failed": 1}, timeout=5), handshakes()
