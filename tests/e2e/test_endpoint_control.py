"""Operator control of endpoints over the control socket (config `control_socket`):
`bulwark endpoints` lists them with their state, `bulwark endpoint drain|disable|enable` changes
it; exit codes and messages; the socket file itself (mode, stale file, cleanup); the state
across reloads; and what drain and disable do to traffic (no new requests, in-flight ones
finish, traffic returns on enable)."""

import json
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading

import pytest

import origins as O
from conftest import yaml_dump
from http_client import poll, request

HEADING = ["cluster", "endpoint", "state", "health", "ejected", "ejections"]


@pytest.fixture
def sock_dir():
    # Not under tmp_path: a Unix socket path holds at most 107 bytes.
    d = tempfile.mkdtemp(prefix="bw-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def cli(bulwark_exe):
    def run(*args, timeout=15):
        try:
            return subprocess.run([bulwark_exe, *args], capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`bulwark {' '.join(args)}` did not finish within {timeout} s")
    return run


def two_clusters(a, b, c):
    return [{"name": "backend", "endpoints": [a.hostport, b.hostport]},
            {"name": "api", "endpoints": [c.hostport]}]


@pytest.fixture
def controlled(bulwark, origin, sock_dir):
    """A bulwark with clusters backend (A, B) and api (C) and a control socket; returns
    (bulwark, socket path, {name: origin})."""
    origins = {n: origin(O.echo(), name=n) for n in ("A", "B", "C")}
    path = os.path.join(sock_dir, "control.sock")
    b = bulwark(None, clusters=two_clusters(*origins.values()), control_socket=path,
                pid_file=os.path.join(sock_dir, "bulwark.pid"))
    assert poll(lambda: os.path.exists(path), timeout=5), "the control socket was not made"
    return b, path, origins


def listing(cli, b, *args):
    """`bulwark endpoints -c CONFIG [args]` as {(cluster, endpoint): (state, health, ejected, n)}."""
    r = cli("endpoints", *args, "-c", str(b.config_path))
    assert r.returncode == 0, f"`bulwark endpoints` exited {r.returncode}: {r.stderr}"
    lines = r.stdout.splitlines()
    assert lines and lines[0].split() == HEADING, f"no heading: {r.stdout!r}"
    rows = {}
    for line in lines[1:]:
        cluster, endpoint, state, health, ejected, n = line.split()
        rows[(cluster, endpoint)] = (state, health, ejected, int(n))
    return rows


FRESH = ("active", "healthy", "no", 0)


def test_endpoints_lists_every_endpoint_with_its_state(controlled, cli):
    b, path, o = controlled
    assert listing(cli, b) == {("backend", o["A"].hostport): FRESH, ("backend", o["B"].hostport): FRESH,
                               ("api", o["C"].hostport): FRESH}
    assert listing(cli, b, "api") == {("api", o["C"].hostport): FRESH}
    # --socket instead of -c: the same answer.
    r = cli("endpoints", "backend", "--socket", path)
    assert r.returncode == 0, r.stderr
    assert [ln.split()[1] for ln in r.stdout.splitlines()[1:]] == [o["A"].hostport, o["B"].hostport]


def test_drain_disable_enable_answer_ok_and_change_the_listing(controlled, cli):
    b, path, o = controlled
    a, bb = o["A"].hostport, o["B"].hostport
    for action, state in (("drain", "draining"), ("disable", "disabled"), ("enable", "active")):
        r = cli("endpoint", action, "backend", a, "-c", str(b.config_path))
        assert (r.returncode, r.stdout, r.stderr) == (0, "ok\n", ""), f"endpoint {action}: {r}"
        rows = listing(cli, b)
        assert rows[("backend", a)] == (state, "healthy", "no", 0), rows
        assert rows[("backend", bb)] == FRESH, "another endpoint changed"
        assert rows[("api", o["C"].hostport)] == FRESH, "another cluster changed"
    r = cli("endpoint", "disable", "api", o["C"].hostport, "--socket", path)
    assert (r.returncode, r.stdout) == (0, "ok\n"), r
    assert listing(cli, b, "api") == {("api", o["C"].hostport): ("disabled", "healthy", "no", 0)}
    log = b.stderr_text()
    assert f"control: endpoint {a} of cluster 'backend' is draining (was active)" in log, log[-2000:]
    assert f"control: endpoint {a} of cluster 'backend' is active (was disabled)" in log, log[-2000:]


@pytest.mark.parametrize("args,message", [
    (["endpoint", "drain", "nope", "{A}"], "bulwark: no cluster 'nope'; the clusters are backend, api"),
    (["endpoint", "drain", "backnd", "{A}"], "bulwark: no cluster 'backnd'; did you mean 'backend'?"),
    (["endpoint", "disable", "backend", "127.0.0.1:1"],
     "bulwark: cluster 'backend' has no endpoint '127.0.0.1:1'; its endpoints are {A}, {B}"),
    (["endpoint", "enable", "api", "{A}"], "bulwark: cluster 'api' has no endpoint '{A}'; its endpoints are {C}"),
    (["endpoints", "nope"], "bulwark: no cluster 'nope'; the clusters are backend, api"),
])
def test_an_unknown_cluster_or_endpoint_exits_1_with_one_clear_line(controlled, cli, args, message):
    b, path, o = controlled
    names = {n: origin.hostport for n, origin in o.items()}
    r = cli(*[a.format(**names) for a in args], "-c", str(b.config_path))
    assert r.returncode == 1, r
    assert r.stdout == ""
    assert r.stderr.splitlines() == [message.format(**names)]
    assert set(listing(cli, b).values()) == {FRESH}, "a refused command changed a state"


@pytest.mark.parametrize("args", [
    ["endpoint", "drain", "backend", "127.0.0.1:1"],                      # neither -c nor --socket
    ["endpoint", "drain", "backend", "127.0.0.1:1", "-c", "x.yaml", "--socket", "/tmp/x.sock"],
    ["endpoint", "pause", "backend", "127.0.0.1:1", "--socket", "/tmp/x.sock"],
    ["endpoint", "drain", "backend", "--socket", "/tmp/x.sock"],          # no endpoint
    ["endpoint", "drain", "back end", "127.0.0.1:1", "--socket", "/tmp/x.sock"],
    ["endpoints", "backend", "api", "--socket", "/tmp/x.sock"],
    ["endpoints"],
])
def test_a_bad_command_line_exits_2(cli, args):
    r = cli(*args)
    assert r.returncode == 2, f"`bulwark {' '.join(args)}` exited {r.returncode}: {r.stderr}"
    assert r.stderr.startswith("bulwark: "), r.stderr


def test_an_unreachable_socket_exits_1_with_one_line(cli, sock_dir, tmp_path, free_port):
    missing = os.path.join(sock_dir, "none.sock")
    r = cli("endpoints", "--socket", missing)
    assert r.returncode == 1, r
    assert r.stderr.splitlines() == [f"bulwark: cannot connect to control socket '{missing}': No such file or "
                                     "directory (is bulwark running with this control_socket?)"]
    # A socket file nobody listens on (its bulwark was killed).
    stale = os.path.join(sock_dir, "stale.sock")
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(stale)
    r = cli("endpoint", "drain", "backend", "127.0.0.1:1", "--socket", stale)
    assert r.returncode == 1, r
    assert r.stderr.splitlines() == [f"bulwark: cannot connect to control socket '{stale}': Connection refused "
                                     "(is bulwark running with this control_socket?)"]
    # A configuration without control_socket.
    cfg = tmp_path / "plain.yaml"
    cfg.write_text(yaml_dump({"listeners": [{"name": "p", "listen": f"127.0.0.1:{free_port}", "virtual_hosts": [
        {"domains": ["*"], "routes": [{"direct_response": {"status": 200}}]}]}]}))
    r = cli("endpoints", "-c", str(cfg))
    assert r.returncode == 1, r
    assert r.stderr.splitlines() == [f"bulwark: {cfg} sets no control_socket; name the socket with --socket"]


def test_the_socket_is_private_and_removed_at_exit(controlled):
    b, path, _ = controlled
    st = os.lstat(path)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    assert st.st_uid == os.geteuid()
    b.stop()
    assert b.proc.returncode == 0, b.stderr_text()
    assert not os.path.exists(path), "the control socket outlived bulwark"


def test_a_stale_socket_is_replaced_and_a_file_is_refused(bulwark, origin, cli, sock_dir):
    o = origin(O.echo())
    path = os.path.join(sock_dir, "control.sock")
    with socket.socket(socket.AF_UNIX) as s:  # left behind by a killed process
        s.bind(path)
    b = bulwark([o.hostport], control_socket=path)
    r = cli("endpoints", "--socket", path)
    assert r.returncode == 0, f"the stale socket was not replaced: {r.stderr}\n{b.stderr_text()}"
    assert "replaced a stale socket file" in b.stderr_text()
    b.stop()

    with open(path, "w") as f:
        f.write("not a socket")
    failed = bulwark([o.hostport], control_socket=path, wait=False)
    assert failed.wait(timeout=10) == 1
    failed.stopped_by_test = True
    assert f"control socket '{path}': the path exists and is not a socket" in failed.stderr_text()
    with open(path) as f:
        assert f.read() == "not a socket", "bulwark touched a file it did not make"

    # A second bulwark on a live socket: refused, the first one keeps it.
    first = bulwark([o.hostport], control_socket=os.path.join(sock_dir, "live.sock"))
    second = bulwark([o.hostport], control_socket=os.path.join(sock_dir, "live.sock"), wait=False)
    assert second.wait(timeout=10) == 1
    second.stopped_by_test = True
    assert "is in use by a running process" in second.stderr_text()
    assert cli("endpoints", "--socket", os.path.join(sock_dir, "live.sock")).returncode == 0
    assert first.running()


def reload(cli, b, cfg):
    """`bulwark reload -c` with `cfg`, and waits until it is applied."""
    applied = b.stderr_text().count(" applied; ")
    b.config_path.write_text(yaml_dump(cfg))
    r = cli("reload", "-c", str(b.config_path))
    assert r.returncode == 0, r.stderr
    assert poll(lambda: b.stderr_text().count(" applied; ") > applied or "reload failed" in b.stderr_text(),
                timeout=10), "the reload was neither applied nor refused"
    assert "reload failed" not in b.stderr_text(), b.stderr_text()[-2000:]


def test_the_state_survives_a_reload_for_endpoints_that_stay(controlled, cli, origin, sock_dir):
    b, path, o = controlled
    a, bb, c = o["A"].hostport, o["B"].hostport, o["C"].hostport
    assert cli("endpoint", "drain", "backend", a, "-c", str(b.config_path)).returncode == 0
    assert cli("endpoint", "disable", "backend", bb, "-c", str(b.config_path)).returncode == 0
    assert cli("endpoint", "disable", "api", c, "-c", str(b.config_path)).returncode == 0
    d = origin(O.echo(), name="D")
    cfg = dict(b.config)
    # backend keeps A, loses B and gains D; api is gone, and its C moves to a new cluster.
    cfg["clusters"] = [{"name": "backend", "endpoints": [a, d.hostport]},
                       {"name": "web", "endpoints": [c]}]
    reload(cli, b, cfg)
    assert poll(lambda: ("backend", d.hostport) in listing(cli, b), timeout=5)
    assert listing(cli, b) == {("backend", a): ("draining", "healthy", "no", 0),
                               ("backend", d.hostport): FRESH,
                               ("web", c): FRESH}
    # B comes back: a new endpoint as far as bulwark knows, so active again.
    cfg["clusters"][0]["endpoints"].append(bb)
    reload(cli, b, cfg)
    assert poll(lambda: listing(cli, b).get(("backend", bb)) == FRESH, timeout=5), listing(cli, b)
    assert listing(cli, b)[("backend", a)][0] == "draining"


def test_a_reload_moves_the_control_socket(controlled, cli, sock_dir):
    b, path, _ = controlled
    moved = os.path.join(sock_dir, "moved.sock")
    cfg = dict(b.config, control_socket=moved)
    reload(cli, b, cfg)
    assert poll(lambda: os.path.exists(moved) and not os.path.exists(path), timeout=5), os.listdir(sock_dir)
    assert cli("endpoints", "--socket", moved).returncode == 0
    assert cli("endpoints", "--socket", path).returncode == 1
    # Unset: closed and removed.
    cfg.pop("control_socket")
    reload(cli, b, cfg)
    assert poll(lambda: not os.path.exists(moved), timeout=5), os.listdir(sock_dir)


def test_the_protocol_by_hand(controlled):
    """What `socat - UNIX-CONNECT:...` sees: answers end with an empty line, several commands on
    one connection, help, and errors that say what is wrong."""
    b, path, o = controlled
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall(f"help\nendpoint drain backend {o['A'].hostport}\nfrobnicate\n".encode())
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(4096):
            data += chunk
    answers = data.decode().split("\n\n")
    assert answers[-1] == "" and len(answers) == 4, data
    assert "endpoint drain CLUSTER HOST:PORT" in answers[0]
    assert answers[1] == "ok"
    assert answers[2] == "error: unknown command 'frobnicate'; 'help' lists the commands"


# ---------------------------------------------------------------------------------------
# what the states do to traffic
# ---------------------------------------------------------------------------------------

def served_by(port, n, path="/fast"):
    """Sends n requests, each on a new connection; returns the origin names that answered."""
    names = []
    for i in range(n):
        r = request(port, "GET", f"{path}/{i}", timeout=10)
        assert r.status == 200, f"request {i}: {r.status} {r.body[:200]!r}"
        names.append(json.loads(r.body)["origin"])
    return names


@pytest.fixture
def two_slow_capable(bulwark, origin, sock_dir):
    """Cluster backend over origins A and B, each answering /slow after 2 s; one worker."""
    handler = O.route({"/slow": O.slow(2.0)}, default=O.echo())
    a, b_ = origin(handler, name="A"), origin(handler, name="B")
    path = os.path.join(sock_dir, "control.sock")
    b = bulwark([a.hostport, b_.hostport], workers=1, control_socket=path)
    return b, path, {"A": a, "B": b_}


@pytest.mark.parametrize("action", ["drain", "disable"])
def test_out_of_service_takes_no_new_requests_while_one_in_flight_finishes(two_slow_capable, cli, action):
    b, path, o = two_slow_capable
    assert sorted(served_by(b.port, 4)) == ["A", "A", "B", "B"], "not balanced before the command"
    slow = {}
    t = threading.Thread(target=lambda: slow.update(r=request(b.port, "GET", "/slow/1", timeout=15)))
    t.start()
    assert poll(lambda: any(h.target.startswith("/slow") for origin in o.values() for h in origin.heads),
                timeout=5), "the slow request did not reach an origin"
    target = next(n for n, origin in o.items() if any(h.target.startswith("/slow") for h in origin.heads))
    other = "B" if target == "A" else "A"
    r = cli("endpoint", action, "backend", o[target].hostport, "--socket", path)
    assert (r.returncode, r.stdout) == (0, "ok\n"), r

    heads_before = len(o[target].heads)
    assert served_by(b.port, 8) == [other] * 8, f"{target} got new requests after `endpoint {action}`"
    assert len(o[target].heads) == heads_before, "a request reached the endpoint taken out of service"
    t.join(timeout=15)
    assert "r" in slow, "the request in flight got no answer"
    assert slow["r"].status == 200, f"the request in flight failed: {slow['r'].status}"
    assert json.loads(slow["r"].body)["origin"] == target

    r = cli("endpoint", "enable", "backend", o[target].hostport, "--socket", path)
    assert (r.returncode, r.stdout) == (0, "ok\n"), r
    assert sorted(served_by(b.port, 4)) == ["A", "A", "B", "B"], "traffic did not return after `enable`"
