"""Round robin across endpoints, in quick mode and from a config file, and the quickstart."""

import socket
from pathlib import Path

import pytest

import origins as O
from http_client import RawClient, request

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "examples" / "quickstart.yaml"


def origin_of(r) -> str:
    return r.header("x-origin")


def test_quick_mode_round_robin_alternates(bulwark, origin):
    a, b_ = origin(O.echo(), name="A"), origin(O.echo(), name="B")
    p = bulwark.quick("--to", a.url, "--to", b_.url, "--workers", "1")
    with RawClient(p.port) as c:
        seq = [origin_of(c.request("GET", f"/rr/{i}")) for i in range(10)]
    assert set(seq) == {"A", "B"}, seq
    assert all(seq[i] != seq[i + 1] for i in range(len(seq) - 1)), f"not alternating: {seq}"


def test_quick_mode_round_robin_across_connections(bulwark, origin):
    a, b_ = origin(O.echo(), name="A"), origin(O.echo(), name="B")
    p = bulwark.quick("--to", a.url, "--to", b_.url, "--workers", "1")
    seq = [origin_of(request(p.port, "GET", f"/rr/{i}")) for i in range(8)]
    assert all(seq[i] != seq[i + 1] for i in range(len(seq) - 1)), f"not alternating: {seq}"


def test_quick_mode_two_workers_uses_both_origins(bulwark, origin):
    a, b_ = origin(O.echo(), name="A"), origin(O.echo(), name="B")
    p = bulwark.quick("--to", a.url, "--to", b_.url, "--workers", "2")
    seq = [origin_of(request(p.port, "GET", f"/rr/{i}")) for i in range(24)]
    assert seq.count("A") >= 6 and seq.count("B") >= 6, seq


def test_config_round_robin_over_three_endpoints(bulwark, origin):
    os_ = [origin(O.echo(), name=n) for n in ("A", "B", "C")]
    p = bulwark([o.hostport for o in os_], workers=1)
    with RawClient(p.port) as c:
        seq = [origin_of(c.request("GET", f"/three/{i}")) for i in range(9)]
    assert sorted(seq) == ["A"] * 3 + ["B"] * 3 + ["C"] * 3, seq
    assert seq[:3] == seq[3:6] == seq[6:], f"not a round robin cycle: {seq}"


def test_two_clusters_by_route(bulwark, origin):
    api, web = origin(O.echo(), name="api"), origin(O.echo(), name="web")
    p = bulwark(
        None,
        routes=[{"match": {"prefix": "/api/"}, "proxy": {"cluster": "api"}},
                {"match": {"prefix": "/"}, "proxy": {"cluster": "web"}}],
        clusters=[{"name": "api", "endpoints": [api.hostport]}, {"name": "web", "endpoints": [web.hostport]}])
    assert origin_of(request(p.port, "GET", "/api/users")) == "api"
    assert origin_of(request(p.port, "GET", "/index.html")) == "web"
    assert origin_of(request(p.port, "GET", "/apis")) == "web"


def ports_free(ports) -> bool:
    for port in ports:
        for host in ("0.0.0.0", "127.0.0.1"):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not "in use"
            try:
                s.bind((host, port))
            except OSError:
                return False
            finally:
                s.close()
    return True


def test_quickstart_answers_from_both_demo_backends(bulwark):
    assert QUICKSTART.is_file(), f"{QUICKSTART} is missing (the README's `make run` needs it)"
    if not ports_free((8080, 8081, 8082)):
        pytest.skip("ports 8080-8082 (fixed in the quickstart) are in use")
    p = bulwark.raw(["run", "-c", str(QUICKSTART)], port=8080, wait=False)
    try:
        p.wait_listening()
    except Exception as e:  # BulwarkStartError: exited or never listened
        pytest.fail(str(e), pytrace=False)
    p.stopped_by_test = False  # from here on it must keep running
    bodies = []
    for i in range(8):
        r = request(8080, "GET", "/", host="localhost")
        assert r.status == 200, r
        varying = tuple(sorted((k.lower(), v) for k, v in r.headers if k.lower() not in ("date", "x-request-id")))
        bodies.append((varying, r.body))
    assert len(set(bodies)) >= 2, f"all 8 answers look the same (one demo backend only?): {bodies[:2]}"
