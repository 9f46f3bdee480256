"""The load-balancing algorithms against three real origins: smooth weighted round robin,
consistent hashing on a header (also across a reload that removes an origin), source-IP hashing
and least outstanding requests."""

import os
import re
import signal
import socket
import threading

import origins as O
from conftest import yaml_dump
from http_client import RawClient, poll, request


def origin_of(r) -> str:
    return r.header("x-origin")


def three(origin, first=None):
    return [origin(first if (first and n == "A") else O.echo(), name=n) for n in ("A", "B", "C")]


def cluster(balancer, endpoints, **extra):
    return [{"name": "backend", "balancer": balancer, "endpoints": endpoints, **extra}]


def reload(b, cfg):
    """Rewrites the config file, sends SIGHUP and waits until the reload was applied."""
    pattern = r"\] reload: \S+ applied;"
    applied = len(re.findall(pattern, b.stderr_text()))
    b.config_path.write_text(yaml_dump(cfg))
    os.kill(b.pid, signal.SIGHUP)
    assert poll(lambda: len(re.findall(pattern, b.stderr_text())) > applied, timeout=10), \
        f"the reload was not applied:\n{b.stderr_text()[-3000:]}"


def get_from(source: str, port: int) -> str:
    """One GET from the loopback address `source` (127.0.0.0/8 is all local); the origin name."""
    with socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0)) as s:
        s.sendall(b"GET /ip HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    m = re.search(rb"\r\nX-Origin: (\w+)\r\n", data, re.IGNORECASE)
    assert m, data[:500]
    return m.group(1).decode()


def test_weighted_round_robin_is_smooth_and_exact(bulwark, origin):
    a, b_, c = three(origin)
    p = bulwark(None, workers=1, clusters=cluster("weighted_round_robin", [
        {"address": a.hostport, "weight": 5}, b_.hostport, {"address": c.hostport, "weight": 1}]))
    with RawClient(p.port) as client:
        seq = [origin_of(client.request("GET", f"/w/{i}")) for i in range(70)]
    # nginx's smooth sequence, ten times over: the light origins are spread, not bunched.
    assert seq[:7] == ["A", "A", "B", "A", "C", "A", "A"], seq
    assert seq == seq[:7] * 10, seq
    assert (seq.count("A"), seq.count("B"), seq.count("C")) == (50, 10, 10)


def test_plain_round_robin_ignores_weights(bulwark, origin):
    a, b_, c = three(origin)
    p = bulwark(None, workers=1, clusters=cluster("round_robin", [
        {"address": a.hostport, "weight": 5}, b_.hostport, c.hostport]))
    with RawClient(p.port) as client:
        seq = [origin_of(client.request("GET", f"/rr/{i}")) for i in range(30)]
    assert (seq.count("A"), seq.count("B"), seq.count("C")) == (10, 10, 10), seq


def test_consistent_hash_keeps_a_key_on_one_origin_and_a_reload_moves_about_a_third(bulwark, origin):
    a, b_, c = three(origin)
    hashing = {"hash_key": {"header": "x-user"}}
    p = bulwark(None, workers=2, clusters=cluster("consistent_hash", [o.hostport for o in (a, b_, c)],
                                                  **hashing))
    users = [f"user-{i}" for i in range(90)]

    def placement():
        # A fresh connection each time: both workers must agree.
        return {u: origin_of(request(p.port, "GET", "/cart", headers=[("X-User", u)])) for u in users}

    before = placement()
    assert placement() == before, "a key moved without any change"
    with RawClient(p.port) as client:
        same = {origin_of(client.request("GET", f"/c/{i}", headers=[("X-User", "alice")]))
                for i in range(20)}
    assert len(same) == 1, same
    counts = {n: list(before.values()).count(n) for n in "ABC"}
    assert all(n >= 15 for n in counts.values()), f"keys not spread: {counts}"

    cfg = dict(p.config)
    cfg["clusters"] = cluster("consistent_hash", [a.hostport, c.hostport], **hashing)
    reload(p, cfg)
    after = placement()
    assert set(after.values()) == {"A", "C"}
    moved = [u for u in users if after[u] != before[u]]
    moved_needlessly = [u for u in moved if before[u] != "B"]
    # Every key of B moves, and (Maglev being nearly minimal) hardly any other.
    assert len(moved) >= counts["B"], moved
    assert len(moved_needlessly) <= 5, moved_needlessly
    assert 0.2 <= len(moved) / len(users) <= 0.5, f"{len(moved)} of {len(users)} keys moved"


def test_consistent_hash_on_a_cookie_without_the_cookie_uses_the_client_address(bulwark, origin):
    os_ = three(origin)
    p = bulwark(None, workers=1, clusters=cluster("consistent_hash", [o.hostport for o in os_],
                                                  hash_key={"cookie": "session"}))
    with RawClient(p.port) as client:
        by_cookie = {s: {origin_of(client.request("GET", "/", headers=[("Cookie", f"a=1; session={s}")]))
                         for _ in range(3)} for s in ("s1", "s2", "s3", "s4", "s5", "s6")}
        no_cookie = {origin_of(client.request("GET", "/")) for _ in range(10)}
    assert all(len(v) == 1 for v in by_cookie.values()), by_cookie
    assert len(set().union(*by_cookie.values())) >= 2, f"six sessions on one origin: {by_cookie}"
    assert len(no_cookie) == 1, no_cookie


def test_source_ip_hash_is_stable_per_client_address(bulwark, origin):
    os_ = three(origin)
    p = bulwark(None, workers=2, clusters=cluster("source_ip_hash", [o.hostport for o in os_]))
    sources = [f"127.0.0.{i}" for i in range(2, 22)]
    placement = {s: {get_from(s, p.port) for _ in range(4)} for s in sources}
    assert all(len(v) == 1 for v in placement.values()), placement
    used = set().union(*placement.values())
    assert len(used) >= 2, f"20 client addresses all on {used}"


def test_least_request_avoids_the_busy_origin(bulwark, origin):
    slow_a, b_, c = three(origin, first=O.slow(3.0))
    p = bulwark(None, workers=1, clusters=cluster("least_request", [o.hostport for o in (slow_a, b_, c)]))
    held = []

    def hold():
        held.append(origin_of(request(p.port, "GET", "/held", timeout=20)))

    threads = [threading.Thread(target=hold) for _ in range(3)]
    for t in threads:
        t.start()
    # The three concurrent requests spread over the three idle origins: A keeps one for 3 s.
    assert poll(lambda: len(slow_a.heads) >= 1, timeout=2), "no request reached the slow origin"
    assert poll(lambda: len(held) >= 2, timeout=2), held
    with RawClient(p.port) as client:
        seq = [origin_of(client.request("GET", f"/lr/{i}")) for i in range(20)]
    assert len(slow_a.heads) == 1, "a request went to the busy origin"
    assert set(seq) == {"B", "C"}, seq
    for t in threads:
        t.join()
    assert sorted(held) == ["A", "B", "C"]
    # Idle again: A is back in the rotation.
    with RawClient(p.port) as client:
        after = {origin_of(client.request("GET", f"/again/{i}")) for i in range(6)}
    assert after == {"A", "B", "C"}
