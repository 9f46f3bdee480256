"""Hot reload (SIGHUP and `bulwark reload`): routes and listeners change under load without a
failed request, in-flight requests finish on the configuration they started with, keep-alive
connections see new routes, a bad file or a port in use changes nothing, one process throughout;
and the pid file that `bulwark reload` reads."""

import os
import random
import re
import signal
import socket
import subprocess
import threading
import time

import psutil
import pytest

import origins as O
from conftest import yaml_dump
from http_client import RawClient, build_request, poll, request


def config(pid_file, origin, listeners, workers=2, **top):
    """listeners: [(name, port, [(exact path, body), ...])]; each listener ends with a catch-all
    proxied to `origin`."""
    cfg = {"workers": workers, "pid_file": str(pid_file), **top,
           "clusters": [{"name": "backend", "endpoints": [origin.hostport]}],
           "listeners": []}
    for name, port, routes in listeners:
        cfg["listeners"].append({
            "name": name, "listen": f"127.0.0.1:{port}",
            "virtual_hosts": [{"domains": ["*"], "routes": [
                *({"match": {"exact": path}, "direct_response": {"status": 200, "body": body}}
                  for path, body in routes),
                {"match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}]}]})
    return cfg


class Reloader:
    """Rewrites a running bulwark's config file and reloads it."""

    def __init__(self, b, binary):
        self.b, self.binary = b, binary

    def log_count(self, pattern) -> int:
        return len(re.findall(pattern, self.b.stderr_text()))

    def applied(self) -> int:
        return self.log_count(r"\] reload: \S+ applied;")

    def failed(self) -> int:
        return self.log_count(r"reload failed: ")

    def write(self, cfg):
        self.b.config_path.write_text(yaml_dump(cfg) if isinstance(cfg, dict) else cfg)

    def cli(self, *args):
        return subprocess.run([self.binary, "reload", *args], capture_output=True, text=True, timeout=10,
                              stdin=subprocess.DEVNULL)

    def trigger(self, via):
        if via == "sighup":
            os.kill(self.b.pid, signal.SIGHUP)
        else:
            r = self.cli("-c", str(self.b.config_path))
            assert r.returncode == 0, f"`bulwark reload -c` failed: {r.stderr}"
            assert f"sent SIGHUP to process {self.b.pid}" in r.stdout, r.stdout

    def reload(self, cfg, via="sighup"):
        """Reloads and waits until every worker has the new configuration."""
        applied, failed = self.applied(), self.failed()
        self.write(cfg)
        self.trigger(via)
        assert poll(lambda: self.applied() > applied or self.failed() > failed, timeout=10), \
            "the reload was neither applied nor refused within 10 s"
        assert self.failed() == failed, f"the reload failed:\n{self.b.stderr_text()[-3000:]}"

    def reload_fails(self, cfg, via="sighup") -> str:
        """Reloads a configuration that must be refused; returns the log lines it caused."""
        before = self.b.stderr_text()
        applied, failed = self.applied(), self.failed()
        self.write(cfg)
        self.trigger(via)
        assert poll(lambda: self.failed() > failed, timeout=10), "the reload was not refused"
        assert self.applied() == applied, "a refused reload was applied"
        return self.b.stderr_text()[len(before):]


@pytest.fixture
def reloadable(bulwark, origin, tmp_path, bulwark_exe):
    """start(listeners=..., **top) -> (bulwark, Reloader, origin, config maker)."""

    def start(listeners, origin_handler=None, **top):
        o = origin(origin_handler or O.fixed(body=b"origin"))
        pid_file = tmp_path / "bulwark.pid"
        make = lambda ls, **more: config(pid_file, o, ls, **{**top, **more})  # noqa: E731
        b = bulwark(config=make(listeners), port=listeners[0][1])
        assert poll(lambda: pid_file.exists() and pid_file.read_text().strip() == str(b.pid), timeout=5), \
            "the pid file was not written"
        return b, Reloader(b, bulwark_exe), o, make
    return start


def body_of(port, path, timeout=5.0):
    r = request(port, "GET", path, timeout=timeout)
    return r.status, r.body


def refused(port) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def bulwark_processes(config_path) -> list[psutil.Process]:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        cmdline = p.info["cmdline"] or []
        if "run" in cmdline and str(config_path) in cmdline:
            found.append(p)
    return found


# ---------------------------------------------------------------------------------------------
# (a) the reload test
# ---------------------------------------------------------------------------------------------

@pytest.mark.timeout(120)
def test_ten_reloads_under_load_fail_no_request_and_each_new_route_answers(reloadable, free_port):
    port = free_port
    b, reloader, o, make = reloadable([("public", port, [])])
    live = [("/", b"origin")]  # what the clients may ask for; grows once a reload is confirmed
    lock = threading.Lock()
    stop = threading.Event()
    failures, counts, connections = [], {"ok": 0}, []

    def check(r, path, body):
        if r.status != 200 or r.body != body:
            raise AssertionError(f"{path}: {r.status} {r.body[:60]!r}, expected 200 {body!r}")

    def pick(rng):
        with lock:
            return rng.choice(live)

    def record_ok():
        with lock:
            counts["ok"] += 1

    def record_failure(path, e):
        with lock:
            failures.append(f"{path}: {type(e).__name__}: {e}")

    def keep_alive_client(seed):
        rng = random.Random(seed)
        c, opened = RawClient(port, timeout=10), 1
        while not stop.is_set():
            path, body = pick(rng)
            try:
                r = c.request("GET", path)
                check(r, path, body)
                record_ok()
                if "close" in r.connection_tokens():
                    raise AssertionError("bulwark closed a keep-alive connection")
            except Exception as e:  # noqa: BLE001 - every failure counts
                record_failure(path, e)
                c.close()
                c, opened = RawClient(port, timeout=10), opened + 1
        c.close()
        with lock:
            connections.append(opened)

    def new_connection_client(seed):
        rng = random.Random(seed)
        while not stop.is_set():
            path, body = pick(rng)
            try:
                check(request(port, "GET", path, timeout=10), path, body)
                record_ok()
            except Exception as e:  # noqa: BLE001
                record_failure(path, e)

    threads = [threading.Thread(target=keep_alive_client, args=(i,), daemon=True) for i in range(3)]
    threads += [threading.Thread(target=new_connection_client, args=(10 + i,), daemon=True) for i in range(2)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    routes = []
    try:
        for i in range(1, 11):
            time.sleep(max(0.0, t0 + i * 1.7 - time.monotonic()))
            routes.insert(0, (f"/r{i}", f"route {i}"))
            reloader.reload(make([("public", port, routes)]), via="sighup" if i % 2 else "cli")
            # Applied means every worker has it: a new connection gets the new route at once.
            assert body_of(port, f"/r{i}") == (200, f"route {i}".encode())
            with lock:
                live.append((f"/r{i}", f"route {i}".encode()))
        time.sleep(max(0.0, t0 + 20 - time.monotonic()))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=15)
    print(f"\nreload under load: {counts['ok']} requests answered, {len(failures)} failed, "
          f"{reloader.applied()} reloads applied")
    assert not failures, f"{len(failures)} failed request(s) of {counts['ok'] + len(failures)}: {failures[:10]}"
    assert counts["ok"] > 500, f"only {counts['ok']} requests in 20 s: the load did not run"
    assert connections == [1, 1, 1], f"keep-alive clients had to reconnect: {connections}"
    assert reloader.applied() == 10 and reloader.failed() == 0
    # Every route, old and new, still answers after the last reload.
    for i in range(1, 11):
        assert body_of(port, f"/r{i}") == (200, f"route {i}".encode())


# ---------------------------------------------------------------------------------------------
# (b) a bad file changes nothing and says why, at file:line:column
# ---------------------------------------------------------------------------------------------

def test_a_bad_file_changes_nothing_and_the_log_says_where(reloadable, free_port):
    port = free_port
    b, reloader, o, make = reloadable([("public", port, [("/old", "old")])])
    good = yaml_dump(make([("public", port, [("/old", "old"), ("/new", "new")])]))
    lines = good.splitlines()
    # Two mistakes: a misspelt key and a route to a cluster that does not exist.
    at = next(i for i, line in enumerate(lines) if "cluster: backend" in line)
    lines[at] = lines[at].replace("cluster: backend", "cluster: nowhere")
    cluster_column = lines[at].index("nowhere") + 1
    lines.insert(1, "workerz: 3")
    cluster_line = at + 2  # 1-based, after the inserted line
    bad = "\n".join(lines) + "\n"
    logged = reloader.reload_fails(bad)
    path = str(b.config_path)
    assert f"reload: {path}:2:1: unknown key 'workerz' (hint: did you mean 'workers'?)" in logged, logged
    assert f"reload: {path}:{cluster_line}:{cluster_column}: cluster: cluster 'nowhere' is not defined" in logged, logged
    assert "reload failed: 2 error(s) in the configuration; the running configuration is unchanged" in logged
    assert body_of(port, "/old") == (200, b"old")
    assert body_of(port, "/new") == (200, b"origin"), "a route of the refused file took effect"

    # `bulwark reload -c` checks the file itself: the errors show where it was typed, and the
    # server is not signalled at all.
    r = reloader.cli("-c", path)
    assert r.returncode == 1
    assert f"{path}:2:1: unknown key 'workerz'" in r.stderr
    assert f"bulwark: not reloading: {path} has errors" in r.stderr
    time.sleep(0.3)
    assert reloader.failed() == 1, "the server was signalled for a file that has errors"

    # A syntax error in an included file names that file.
    (b.config_path.parent / "extra.yaml").write_text("clusters:\n  - name: x\n    endpoints: [127.0.0.1:1\n")
    cfg = make([("public", port, [("/old", "old"), ("/new", "new")])], include=["extra.yaml"])
    logged = reloader.reload_fails(cfg, via="sighup")
    extra = str(b.config_path.parent / "extra.yaml")
    assert re.search(rf"reload: {re.escape(extra)}:\d+:\d+: YAML syntax error", logged), logged
    assert body_of(port, "/new") == (200, b"origin")

    # Fixed, it applies.
    reloader.reload(make([("public", port, [("/old", "old"), ("/new", "new")])]))
    assert body_of(port, "/new") == (200, b"new")


def test_a_listener_that_cannot_open_fails_the_whole_reload(reloadable, free_port):
    port = free_port
    b, reloader, o, make = reloadable([("public", port, [])])
    with socket.socket() as squatter:  # no SO_REUSEPORT: bulwark cannot share its port
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        logged = reloader.reload_fails(make([("public", port, [("/new", "new")]), ("second", taken, [])]))
        assert (f"reload failed: listener 'second': cannot listen on 127.0.0.1:{taken}: Address already in use; "
                "the running configuration is unchanged") in logged, logged
        # Nothing of that file took effect, not even its new route on the listener that exists.
        assert body_of(port, "/new") == (200, b"origin")
    # The same file with the port free applies.
    reloader.reload(make([("public", port, [("/new", "new")]), ("second", taken, [])]))
    assert body_of(port, "/new") == (200, b"new")
    assert body_of(taken, "/") == (200, b"origin")


# ---------------------------------------------------------------------------------------------
# (c) listeners added, moved and removed; established connections keep going
# ---------------------------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_listeners_are_added_moved_and_removed_without_dropping_connections(reloadable, free_port_factory):
    p1, p2, p3 = (free_port_factory() for _ in range(3))
    b, reloader, o, make = reloadable([("one", p1, [("/who", "one")])],
                                      origin_handler=O.route({"/slow": O.slow(1.5)}, default=O.fixed(body=b"origin")))
    kept = RawClient(p1, timeout=10)
    assert kept.request("GET", "/who").body == b"one"

    reloader.reload(make([("one", p1, [("/who", "one")]), ("two", p2, [("/who", "two")])]))
    assert body_of(p2, "/who") == (200, b"two")
    assert kept.request("GET", "/who").body == b"one"
    assert "listeners added two;" in b.stderr_text()

    # "two" moves to another port: the old one closes, the new one answers.
    reloader.reload(make([("one", p1, [("/who", "one")]), ("two", p3, [("/who", "two")])]), via="cli")
    assert body_of(p3, "/who") == (200, b"two")
    assert refused(p2), "the old address of a moved listener still accepts"
    assert f"moved two to 127.0.0.1:{p3}" in b.stderr_text()

    # "one" goes away with a request in flight on it and a keep-alive connection open.
    seen = len(o.heads)
    kept.send(build_request("GET", "/slow/in-flight"))
    assert o.wait_for_requests(seen + 1, heads=True, timeout=5)
    reloader.reload(make([("two", p3, [("/who", "two")])]))
    assert "listeners removed one;" in b.stderr_text()
    assert refused(p1), "a removed listener still accepts"
    r = kept.read_response()
    assert r.status == 200, f"the request in flight on a removed listener did not complete: {r}"
    # The next request on that connection is still answered (it arrived), and then it closes.
    r = kept.request("GET", "/who")
    assert (r.status, r.body) == (200, b"one"), r
    assert (r.header("connection") or "").lower() == "close", r
    assert kept.wait_closed(5), "a connection of a removed listener stays open"
    assert body_of(p3, "/who") == (200, b"two")
    kept.close()


# ---------------------------------------------------------------------------------------------
# (d) a request in flight across a reload finishes on the configuration it started with
# ---------------------------------------------------------------------------------------------

def test_a_request_in_flight_finishes_on_its_configuration(reloadable, free_port):
    port = free_port
    b, reloader, o, make = reloadable([("public", port, [])],
                                      origin_handler=O.route({"/slow": O.slow(1.5, then=O.fixed(body=b"slow answer"))},
                                                             default=O.fixed(body=b"origin")))
    c = RawClient(port, timeout=10)
    seen = len(o.heads)
    c.send(build_request("GET", "/slow"))
    assert o.wait_for_requests(seen + 1, heads=True, timeout=5)
    # The new file answers /slow itself; the request already at the origin is not affected.
    reloader.reload(make([("public", port, [("/slow", "local now")])]))
    r = c.read_response()
    assert (r.status, r.body) == (200, b"slow answer")
    # The next request on the same connection gets the new route.
    r = c.request("GET", "/slow")
    assert (r.status, r.body) == (200, b"local now")
    c.close()


# ---------------------------------------------------------------------------------------------
# (e) one process, and keep-alive connections see new routes
# ---------------------------------------------------------------------------------------------

def test_reloads_leave_one_process_and_keep_alive_connections_see_new_routes(reloadable, free_port):
    port = free_port
    b, reloader, o, make = reloadable([("public", port, [])])
    proc = psutil.Process(b.pid)
    threads = proc.num_threads()
    clients = [RawClient(port, timeout=10) for _ in range(4)]  # spread over the workers
    for c in clients:
        assert c.request("GET", "/r1").body == b"origin"
    routes = []
    for i in range(1, 5):
        routes.insert(0, (f"/r{i}", f"route {i}"))
        reloader.reload(make([("public", port, routes)]), via="cli" if i % 2 else "sighup")
        for c in clients:
            r = c.request("GET", f"/r{i}")
            assert (r.status, r.body) == (200, f"route {i}".encode()), \
                f"a keep-alive connection opened before reload {i} did not see its route"
    for c in clients:
        c.close()
    assert [p.pid for p in bulwark_processes(b.config_path)] == [b.pid]
    assert proc.children(recursive=True) == []
    assert proc.num_threads() == threads, "threads were left behind by the reloads"


# ---------------------------------------------------------------------------------------------
# the pid file and `bulwark reload`
# ---------------------------------------------------------------------------------------------

def test_pid_file_is_written_after_start_and_removed_at_exit(reloadable, free_port):
    b, reloader, o, make = reloadable([("public", free_port, [])])
    pid_file = b.config_path.parent / "bulwark.pid"
    assert pid_file.read_text() == f"{b.pid}\n"
    b.signal(signal.SIGTERM)
    assert b.wait(timeout=10) == 0
    assert not pid_file.exists(), "the pid file outlived the process"
    r = reloader.cli("-p", str(pid_file))
    assert r.returncode == 1
    assert r.stderr == f"bulwark: no pid file at '{pid_file}': is bulwark running with this pid_file?\n"


def test_a_live_pid_file_refuses_a_second_bulwark(reloadable, bulwark, free_port_factory):
    b, reloader, o, make = reloadable([("public", free_port_factory(), [])])
    pid_file = b.config_path.parent / "bulwark.pid"
    other_port = free_port_factory()
    second = bulwark(config=make([("public", other_port, [])]), port=other_port, wait=False)
    assert second.wait(timeout=10) == 1
    second.stopped_by_test = True
    assert f"bulwark: pid file '{pid_file}' is held by a running bulwark (pid {b.pid})" in second.stderr_text()
    assert refused(other_port)
    assert pid_file.read_text() == f"{b.pid}\n", "the refused process touched the pid file"
    assert b.running()


def test_a_stale_pid_file_is_taken_over_and_reload_reports_it(reloadable, bulwark_exe, tmp_path, free_port):
    dead = subprocess.Popen(["true"])
    dead.wait()
    pid_file = tmp_path / "bulwark.pid"
    pid_file.write_text(f"{dead.pid}\n")
    r = subprocess.run([bulwark_exe, "reload", "-p", str(pid_file)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert r.stderr == f"bulwark: pid file '{pid_file}' is stale: process {dead.pid} is not running\n"

    b, reloader, o, make = reloadable([("public", free_port, [])])
    assert pid_file.read_text() == f"{b.pid}\n"
    r = reloader.cli("-p", str(pid_file))
    assert r.returncode == 0, r.stderr
    assert poll(lambda: reloader.applied() == 1, timeout=5)


def test_reload_needs_a_pid_file(bulwark_exe, tmp_path, free_port):
    cfg = tmp_path / "no-pid.yaml"
    cfg.write_text(f"listeners:\n  - name: a\n    listen: 127.0.0.1:{free_port}\n    virtual_hosts:\n"
                   "      - domains: ['*']\n        routes:\n          - direct_response: { status: 200 }\n")
    r = subprocess.run([bulwark_exe, "reload", "-c", str(cfg)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert r.stderr == f"bulwark: {cfg} sets no pid_file; name the pid file with -p/--pid-file\n"
    r = subprocess.run([bulwark_exe, "reload"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    assert "Exactly 1 option from [-c,--config,-p,--pid-file] is required" in r.stderr


def test_a_reload_moves_the_pid_file(reloadable, free_port, tmp_path):
    port = free_port
    b, reloader, o, make = reloadable([("public", port, [])])
    old, new = tmp_path / "bulwark.pid", tmp_path / "run" / "moved.pid"
    # A pid file that cannot be written fails the reload and keeps the old one.
    cfg = make([("public", port, [("/new", "new")])])
    logged = reloader.reload_fails({**cfg, "pid_file": str(new)})
    assert f"reload failed: cannot open pid file '{new}': No such file or directory" in logged, logged
    assert old.read_text() == f"{b.pid}\n"
    assert body_of(port, "/new") == (200, b"origin")
    new.parent.mkdir()
    reloader.reload({**cfg, "pid_file": str(new)})
    assert new.read_text() == f"{b.pid}\n"
    assert not old.exists(), "the old pid file was left behind"
    r = reloader.cli("-p", str(new))
    assert r.returncode == 0, r.stderr
    assert poll(lambda: reloader.applied() == 2, timeout=5)
    b.signal(signal.SIGTERM)
    assert b.wait(timeout=10) == 0
    assert not new.exists()
