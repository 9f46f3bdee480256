"""Endpoints from DNS names, looked up again on their TTL, against a real resolver: Debian's
dnsmasq, started on loopback for each test and authoritative for .test (TTL 1 s). Origins listen
on 127.0.0.2, .3 and .4 (all of 127/8 is local on Linux). An A record that moves is followed
without a failed request; SRV records give targets, ports and weights (lowest priority only); a
resolver that goes away leaves the last addresses serving; a name that does not resolve fails the
start or the reload."""

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import time

import pytest

import origins as O
from conftest import yaml_dump
from http_client import RawClient, poll, request

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
SRV_NAME = "_http._tcp.svc.test"


def free_udp_and_tcp_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (dnsmasq listens on both)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue


def query_a(port: int, name: str) -> list[str] | None:
    """The IPv4 addresses dnsmasq answers for `name`, or None when it does not answer."""
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    packet = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + question + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        try:
            s.sendto(packet, ("127.0.0.1", port))
            data = s.recv(4096)
        except OSError:
            return None
    answers = struct.unpack(">H", data[6:8])[0]
    at = 12 + len(question) + 4
    found = []
    for _ in range(answers):
        at += 2 if data[at] & 0xC0 == 0xC0 else data.index(b"\0", at) + 1 - at
        rtype, _, _, length = struct.unpack(">HHIH", data[at:at + 10])
        if rtype == 1:
            found.append(socket.inet_ntoa(data[at + 10:at + 14]))
        at += 10 + length
    return found


class Dnsmasq:
    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.port = free_udp_and_tcp_port()
        self.hosts_path = tmp_path / "dns-hosts"
        self.log_path = tmp_path / "dnsmasq.log"
        self.proc: subprocess.Popen | None = None

    def write_hosts(self, hosts: dict[str, str]):
        self.hosts_path.write_text("".join(f"{address} {name}\n" for name, address in hosts.items()))

    def start(self, hosts: dict[str, str], srv=()):
        """srv: (target, port, priority, weight) records of SRV_NAME."""
        self.write_hosts(hosts)
        args = [DNSMASQ, "--no-daemon", "--conf-file=/dev/null", f"--port={self.port}",
                "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                "--local=/test/", f"--addn-hosts={self.hosts_path}", "--local-ttl=1",
                f"--pid-file={self.tmp_path / 'dnsmasq.pid'}", "--log-facility=-"]
        if os.geteuid() == 0:
            args.append("--user=root")  # else it drops to a user that cannot read tmp_path
        args += [f"--srv-host={SRV_NAME},{t},{p},{prio},{w}" for t, p, prio, w in srv]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        first = next(iter(hosts))
        assert poll(lambda: query_a(self.port, first) == [hosts[first]], timeout=5), \
            f"dnsmasq does not answer:\n{self.log_path.read_text()}"

    def move(self, hosts: dict[str, str]):
        """New hosts file, re-read on SIGHUP."""
        self.write_hosts(hosts)
        self.proc.send_signal(signal.SIGHUP)
        for name, address in hosts.items():
            assert poll(lambda: query_a(self.port, name) == [address], timeout=5)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def dnsmasq(tmp_path):
    if not os.path.exists(DNSMASQ):
        pytest.fail("dnsmasq is not installed (scripts/install-deps.sh installs dnsmasq-base)")
    d = Dnsmasq(tmp_path)
    yield d
    d.stop()


def cluster(endpoints, dns_port, balancer="round_robin"):
    return [{"name": "backend", "balancer": balancer, "endpoints": endpoints,
             "dns": {"resolvers": [f"127.0.0.1:{dns_port}"], "min_ttl": "1s", "max_ttl": "10s"}}]


def origin_of(r) -> str:
    assert r.status == 200, r
    return r.header("x-origin")


def requests_until(port: int, wanted: str, timeout: float) -> list[str]:
    """Requests on one keep-alive connection (and a fresh one every fifth) until `wanted` answers;
    every one of them must succeed. The origins that answered, in order."""
    seen = []
    deadline = time.monotonic() + timeout
    with RawClient(port) as client:
        while time.monotonic() < deadline:
            seen.append(origin_of(client.request("GET", f"/k/{len(seen)}")))
            if len(seen) % 5 == 0:
                seen.append(origin_of(request(port, "GET", f"/f/{len(seen)}")))
            if seen[-1] == wanted:
                return seen
            time.sleep(0.05)
    return seen


def loopback_pair(origin):
    """Origins A on 127.0.0.2 and B on 127.0.0.3, on the same port."""
    a = origin(O.echo(), name="A", host="127.0.0.2")
    b = origin(O.echo(), name="B", host="127.0.0.3", port=a.port)
    return a, b


def test_a_name_that_moves_is_followed_without_a_failed_request(bulwark, origin, dnsmasq):
    a, b = loopback_pair(origin)
    dnsmasq.start({"svc.test": "127.0.0.2"})
    p = bulwark(None, clusters=cluster([f"svc.test:{a.port}"], dnsmasq.port))
    assert f"cluster backend: svc.test resolved to 127.0.0.2:{a.port} (ttl 1s)" in p.stderr_text()
    assert {origin_of(request(p.port, "GET", f"/{i}")) for i in range(6)} == {"A"}

    dnsmasq.move({"svc.test": "127.0.0.3"})
    started = time.monotonic()
    seen = requests_until(p.port, "B", timeout=8)
    assert seen[-1] == "B", f"still on A after 8 s: {seen}\n{p.stderr_text()[-2000:]}"
    assert time.monotonic() - started < 5
    # Once moved, it stays moved: A gets nothing new.
    served_by_a = len(a.requests)
    assert {origin_of(request(p.port, "GET", f"/after/{i}")) for i in range(6)} == {"B"}
    assert len(a.requests) == served_by_a
    log = p.stderr_text()
    assert f"cluster backend: svc.test resolved to 127.0.0.3:{b.port} (ttl 1s)" in log
    assert "connect failed" not in log


def test_srv_records_give_targets_ports_and_weights(bulwark, origin, dnsmasq):
    a = origin(O.echo(), name="A", host="127.0.0.2")
    b = origin(O.echo(), name="B", host="127.0.0.3")  # another port: the SRV record says which
    backup = origin(O.echo(), name="C", host="127.0.0.4")
    hosts = {"a.test": "127.0.0.2", "b.test": "127.0.0.3", "c.test": "127.0.0.4"}
    records = [("a.test", a.port, 0, 10), ("b.test", b.port, 0, 30), ("c.test", backup.port, 1, 100)]
    dnsmasq.start(hosts, srv=records)
    p = bulwark(None, workers=1,
                clusters=cluster([{"srv": SRV_NAME}], dnsmasq.port, balancer="weighted_round_robin"))
    assert (f"cluster backend: SRV {SRV_NAME} resolved to 127.0.0.2:{a.port} weight 10, "
            f"127.0.0.3:{b.port} weight 30 (ttl 1s)") in p.stderr_text()
    with RawClient(p.port) as client:
        seen = [origin_of(client.request("GET", f"/{i}")) for i in range(40)]
    # Weights 10 and 30; the priority-1 record is a backup and gets nothing.
    assert (seen.count("A"), seen.count("B"), seen.count("C")) == (10, 30, 0), seen

    # The records change (a.test leaves): only B serves from then on, with no failed request.
    dnsmasq.stop()
    dnsmasq.start(hosts, srv=records[1:])
    changed = f"SRV {SRV_NAME} resolved to 127.0.0.3:{b.port} weight 30 (ttl 1s)"
    deadline = time.monotonic() + 10
    while changed not in p.stderr_text() and time.monotonic() < deadline:
        origin_of(request(p.port))  # every request meanwhile succeeds
        time.sleep(0.05)
    assert changed in p.stderr_text(), p.stderr_text()[-2000:]
    time.sleep(0.2)  # the workers install the new snapshot
    with RawClient(p.port) as client:
        assert {origin_of(client.request("GET", f"/again/{i}")) for i in range(10)} == {"B"}


def test_the_last_addresses_keep_serving_when_the_resolver_goes_away(bulwark, origin, dnsmasq):
    a, b = loopback_pair(origin)
    dnsmasq.start({"svc.test": "127.0.0.2"})
    p = bulwark(None, clusters=cluster([f"svc.test:{a.port}"], dnsmasq.port))
    assert origin_of(request(p.port)) == "A"

    dnsmasq.stop()
    warning = re.compile(r"cluster backend: cannot resolve svc\.test: .*; keeping 127\.0\.0\.2:"
                         + str(a.port) + r" \(ttl 1s\); trying again in")
    assert poll(lambda: warning.search(p.stderr_text()), timeout=10), p.stderr_text()[-2000:]
    # Several failed lookups later, the last good answer still serves every request.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        assert origin_of(request(p.port)) == "A"
        time.sleep(0.1)
    assert len(warning.findall(p.stderr_text())) >= 2

    # The resolver comes back with another address: it is followed (after the retry backoff).
    dnsmasq.start({"svc.test": "127.0.0.3"})
    seen = requests_until(p.port, "B", timeout=15)
    assert seen[-1] == "B", f"{seen}\n{p.stderr_text()[-2000:]}"


def test_a_name_that_does_not_resolve_fails_the_start(bulwark, dnsmasq):
    dnsmasq.start({"svc.test": "127.0.0.2"})
    p = bulwark(None, clusters=cluster(["svc.test:80", "nope.test:80"], dnsmasq.port), wait=False)
    p.stopped_by_test = True
    assert p.wait(timeout=20) == 1
    assert "cluster 'backend': cannot resolve 'nope.test': Domain name not found" in p.stderr_text()


def test_a_reload_reuses_known_answers_and_refuses_a_name_that_does_not_resolve(bulwark, origin, dnsmasq):
    a, b = loopback_pair(origin)
    dnsmasq.start({"svc.test": "127.0.0.2", "other.test": "127.0.0.3"})
    p = bulwark(None, clusters=cluster([f"svc.test:{a.port}"], dnsmasq.port))
    failed = re.compile(r"reload failed: cluster 'backend': cannot resolve 'nope\.test': Domain name not found; "
                        r"the running configuration is unchanged")
    broken = dict(p.config, clusters=cluster([f"svc.test:{a.port}", "nope.test:80"], dnsmasq.port))
    p.config_path.write_text(yaml_dump(broken))
    os.kill(p.pid, signal.SIGHUP)
    assert poll(lambda: failed.search(p.stderr_text()), timeout=10), p.stderr_text()[-2000:]
    assert {origin_of(request(p.port, "GET", f"/{i}")) for i in range(4)} == {"A"}

    # The name of the running configuration is not looked up again for the reload; the new one is.
    moved = dict(p.config, clusters=cluster([f"svc.test:{a.port}", f"other.test:{b.port}"], dnsmasq.port))
    p.config_path.write_text(yaml_dump(moved))
    os.kill(p.pid, signal.SIGHUP)
    assert poll(lambda: re.search(r"\] reload: \S+ applied;", p.stderr_text()), timeout=10), p.stderr_text()[-2000:]
    assert p.stderr_text().count("svc.test resolved to") == 1
    assert f"cluster backend: other.test resolved to 127.0.0.3:{b.port} (ttl 1s)" in p.stderr_text()
    with RawClient(p.port) as client:
        assert {origin_of(client.request("GET", f"/both/{i}")) for i in range(4)} == {"A", "B"}
