"""Fixtures of the end-to-end suite: the real bulwark binary against real peers.

- free_port: a free loopback port (bind to port 0).
- bulwark: a factory that writes a YAML config from a dict into the test's tmp dir, starts
  `bulwark run -c FILE`, waits until the process listens on the port, and stops it by PID at
  teardown. bulwark.quick(...) does the same for `bulwark proxy --listen ... --to ...`.
  stderr/stdout go to files that are shown when a test fails.
- origin: a factory of threaded raw-socket origins (origins.py), stopped at teardown.
- nginx: a factory of nginx origins (nginx_origin.py), stopped at teardown.
- rss_sampler: samples a process's RSS every 100 ms on a thread.
- a watchdog per test (pytest-timeout when installed, else SIGALRM here), so that a hung
  peer fails one test instead of the whole run.
"""

from __future__ import annotations

import faulthandler
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import origins as origins_mod  # noqa: E402
from nginx_origin import NginxOrigin  # noqa: E402

DEFAULT_BINARY = "/work/main/build/release/bulwark"
DEFAULT_TEST_TIMEOUT = 120      # seconds per test (fixtures included) unless marked
STARTUP_TIMEOUT = 15.0
STOP_GRACE = 4.0                # SIGTERM at teardown, then SIGKILL after this


# ---------------------------------------------------------------------------------------
# pytest plumbing: markers, watchdog, failure reports
# ---------------------------------------------------------------------------------------

def _has_timeout_plugin(pluginmanager) -> bool:
    return pluginmanager.has_plugin("timeout")


def pytest_addoption(parser, pluginmanager):
    if not _has_timeout_plugin(pluginmanager):
        # pytest.ini sets `timeout`; without pytest-timeout, this watchdog reads it.
        parser.addini("timeout", "default per-test watchdog in seconds", default=str(DEFAULT_TEST_TIMEOUT))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running test (run by default; deselect with -m 'not slow')")
    if not _has_timeout_plugin(config.pluginmanager):
        config.addinivalue_line("markers", "timeout(seconds): per-test watchdog")


class WatchdogTimeout(Exception):
    pass


@pytest.fixture(autouse=True)
def _watchdog(request):
    """Fails a test that runs too long (only when pytest-timeout is not installed)."""
    if _has_timeout_plugin(request.config.pluginmanager) or threading.current_thread() is not threading.main_thread():
        yield
        return
    marker = request.node.get_closest_marker("timeout")
    seconds = float(marker.args[0]) if marker and marker.args else float(request.config.getini("timeout") or
                                                                         DEFAULT_TEST_TIMEOUT)

    def on_alarm(signum, frame):
        faulthandler.dump_traceback(all_threads=True)
        raise WatchdogTimeout(f"test exceeded its {seconds:.0f} s watchdog")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for describe in getattr(item, "_e2e_diagnostics", []):
            try:
                title, text = describe()
            except Exception as e:  # diagnostics must never hide the real failure
                title, text = "diagnostics", f"could not collect: {e!r}"
            if text:
                report.sections.append((title, text))


def _add_diagnostics(request, fn):
    node = request.node
    if not hasattr(node, "_e2e_diagnostics"):
        node._e2e_diagnostics = []
    node._e2e_diagnostics.append(fn)


# ---------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------

def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def free_port():
    """A function returning a currently free loopback port."""
    return find_free_port()


@pytest.fixture
def free_port_factory():
    return find_free_port


_PLAIN = re.compile(r"^[A-Za-z0-9_/][A-Za-z0-9_./:+-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"}


def yaml_scalar(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if _PLAIN.fullmatch(s) and s.lower() not in _RESERVED:
        return s
    return json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar


def yaml_dump(obj) -> str:
    """Block-style YAML for dicts/lists/scalars (what a person would write)."""
    lines: list[str] = []

    def node(v, indent):
        pad = "  " * indent
        if isinstance(v, dict):
            for k, val in v.items():
                if isinstance(val, (dict, list)) and val:
                    lines.append(f"{pad}{k}:")
                    node(val, indent + 1)
                elif isinstance(val, dict):
                    lines.append(f"{pad}{k}: {{}}")
                elif isinstance(val, list):
                    lines.append(f"{pad}{k}: []")
                else:
                    lines.append(f"{pad}{k}: {yaml_scalar(val)}")
        elif isinstance(v, list):
            for item in v:
                if isinstance(item, (dict, list)) and item:
                    start = len(lines)
                    node(item, indent + 1)
                    first = lines[start]
                    lines[start] = pad + "- " + first[len(pad) + 2:]
                else:
                    lines.append(f"{pad}- {yaml_scalar(item) if not isinstance(item, (dict, list)) else '{}'}")
        else:
            lines.append(pad + yaml_scalar(v))

    node(obj, 0)
    return "\n".join(lines) + "\n"


def deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def proxy_route(prefix="/", cluster="backend"):
    return {"match": {"prefix": prefix}, "proxy": {"cluster": cluster}}


def base_config(port: int, endpoints=None, routes=None, workers=2, domains=("*",)) -> dict:
    cfg = {"workers": workers,
           "listeners": [{"name": "public", "listen": f"127.0.0.1:{port}",
                          "virtual_hosts": [{"domains": list(domains),
                                             "routes": routes if routes is not None else [proxy_route()]}]}]}
    if endpoints is not None:
        cfg["clusters"] = [{"name": "backend", "endpoints": list(endpoints)}]
    return cfg


# ---------------------------------------------------------------------------------------
# the bulwark process
# ---------------------------------------------------------------------------------------

class BulwarkStartError(Exception):
    pass


class Bulwark:
    """One bulwark process started by a test."""

    def __init__(self, binary: str, args: list[str], workdir: Path, port: int | None, name: str,
                 config_path: Path | None = None, config: dict | None = None):
        self.binary, self.args, self.workdir, self.port = binary, args, workdir, port
        self.name = name
        self.config_path, self.config = config_path, config
        self.stdout_path = workdir / f"{name}.stdout.log"
        self.stderr_path = workdir / f"{name}.stderr.log"
        self.proc: subprocess.Popen | None = None
        self.stopped_by_test = False
        self.started_at = 0.0

    # -- lifecycle -------------------------------------------------------------------
    def start(self, wait=True, timeout=STARTUP_TIMEOUT) -> "Bulwark":
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen([self.binary, *self.args], stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, cwd=self.workdir)
        self.started_at = time.monotonic()
        if wait and self.port is not None:
            self.wait_listening(timeout)
        return self

    def wait_listening(self, timeout=STARTUP_TIMEOUT):
        """Until the process owns a listening socket on the port (no probe connection is made,
        so nothing shows up in access logs or per-IP connection counts)."""
        deadline = time.monotonic() + timeout
        ps = psutil.Process(self.proc.pid)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BulwarkStartError(f"bulwark exited with code {self.proc.returncode} during startup\n"
                                        f"command: {self.command_line()}\nstderr:\n{self.stderr_text()}")
            try:
                for p in [ps, *ps.children(recursive=True)]:
                    conns = p.net_connections(kind="tcp") if hasattr(p, "net_connections") else p.connections("tcp")
                    for c in conns:
                        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == self.port:
                            return
            except psutil.Error:
                pass
            time.sleep(0.03)
        raise BulwarkStartError(f"bulwark did not listen on 127.0.0.1:{self.port} within {timeout} s\n"
                                f"command: {self.command_line()}\nstderr:\n{self.stderr_text()}")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.stopped_by_test = True
        self.proc.send_signal(sig)

    def wait(self, timeout) -> int:
        """Exit code (raises subprocess.TimeoutExpired)."""
        return self.proc.wait(timeout=timeout)

    def stop(self, grace=STOP_GRACE):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    # -- info ------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def addr(self):
        return ("127.0.0.1", self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command_line(self) -> str:
        return " ".join([self.binary, *self.args])

    def stderr_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stdout_text(self) -> str:
        try:
            return self.stdout_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def rss(self) -> int:
        """Resident memory of the process and any children, in bytes."""
        p = psutil.Process(self.proc.pid)
        total = p.memory_info().rss
        for ch in p.children(recursive=True):
            try:
                total += ch.memory_info().rss
            except psutil.Error:
                pass
        return total

    def diagnostics(self):
        rc = self.proc.poll() if self.proc else None
        parts = [f"command: {self.command_line()}", f"exit code: {rc}"]
        if self.config_path is not None:
            try:
                parts.append(f"config ({self.config_path}):\n{self.config_path.read_text()}")
            except FileNotFoundError:
                pass
        err = self.stderr_text()
        parts.append("stderr:\n" + (err[-12000:] if err else "(empty)"))
        out = self.stdout_text()
        if out:
            parts.append("stdout:\n" + out[-4000:])
        return f"bulwark {self.name}", "\n".join(parts)


def _sanitizer_report(text: str) -> str | None:
    for needle in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "ThreadSanitizer"):
        if needle in text:
            return needle
    return None


@pytest.fixture(scope="session")
def bulwark_binary() -> str:
    path = os.environ.get("BULWARK_BINARY", DEFAULT_BINARY)
    return path


def require_binary(path: str):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"bulwark binary not found or not executable at {path} "
                    f"(build it with `make build`, or set BULWARK_BINARY)", pytrace=False)


@pytest.fixture
def bulwark_exe(bulwark_binary) -> str:
    """The binary's path; fails the test (not skips) when it has not been built."""
    require_binary(bulwark_binary)
    return bulwark_binary


class BulwarkFactory:
    def __init__(self, request, tmp_path: Path, binary: str):
        self.request, self.tmp_path, self.binary = request, tmp_path, binary
        self.instances: list[Bulwark] = []

    def _new_name(self):
        return f"bulwark{len(self.instances)}"

    def __call__(self, endpoints=None, *, config: dict | None = None, routes=None, workers=2,
                 port: int | None = None, wait=True, extra_args=(), **sections) -> Bulwark:
        """Start `bulwark run -c <generated YAML>`.

        endpoints: list of "host:port" for the cluster "backend" (routes default to prefix / →
        backend). sections: top-level sections merged into the config (limits=..., timeouts=...,
        forwarding=..., access_log=..., request_id=..., clusters=..., listeners=...).
        config: a complete dict instead (its first listener's port must be given as `port`).
        """
        require_binary(self.binary)
        attempts = 1 if (config is not None or port is not None) else 3
        last_error = None
        for _ in range(attempts):
            p = port if port is not None else find_free_port()
            if config is None:
                cfg = base_config(p, endpoints, routes, workers)
                cfg = deep_merge(cfg, sections)
            else:
                cfg = config
            name = self._new_name()
            path = self.tmp_path / f"{name}.yaml"
            path.write_text(yaml_dump(cfg))
            b = Bulwark(self.binary, ["run", "-c", str(path), *extra_args], self.tmp_path, p, name, path, cfg)
            self._register(b)
            try:
                return b.start(wait=wait)
            except BulwarkStartError as e:
                last_error = e
                if "in use" not in b.stderr_text().lower():
                    break
                b.stop()
        pytest.fail(str(last_error), pytrace=False)

    def quick(self, *args, port: int | None = None, wait=True) -> Bulwark:
        """Start `bulwark proxy --listen 127.0.0.1:<port> <args...>`."""
        require_binary(self.binary)
        p = port if port is not None else find_free_port()
        b = Bulwark(self.binary, ["proxy", "--listen", f"127.0.0.1:{p}", *args], self.tmp_path, p,
                    self._new_name())
        self._register(b)
        try:
            return b.start(wait=wait)
        except BulwarkStartError as e:
            pytest.fail(str(e), pytrace=False)

    def raw(self, args, port: int | None = None, wait=False) -> Bulwark:
        """Start the binary with arbitrary arguments."""
        require_binary(self.binary)
        b = Bulwark(self.binary, list(args), self.tmp_path, port, self._new_name())
        b.stopped_by_test = True  # the test decides what its exit means
        self._register(b)
        try:
            return b.start(wait=wait)
        except BulwarkStartError as e:
            pytest.fail(str(e), pytrace=False)

    def _register(self, b: Bulwark):
        self.instances.append(b)
        _add_diagnostics(self.request, b.diagnostics)

    def teardown(self) -> list[str]:
        problems = []
        for b in self.instances:
            if b.proc is None:
                continue
            rc = b.proc.poll()
            if rc is not None and not b.stopped_by_test and rc != 0:
                problems.append(f"{b.name} died during the test with exit code {rc}"
                                + (f" (signal {signal.Signals(-rc).name})" if rc < 0 and -rc in
                                   signal.Signals._value2member_map_ else ""))
            b.stop()
            found = _sanitizer_report(b.stderr_text())
            if found:
                problems.append(f"{b.name}: sanitizer report in stderr ({found})")
        return problems


@pytest.fixture
def bulwark(request, tmp_path, bulwark_binary):
    factory = BulwarkFactory(request, tmp_path, bulwark_binary)
    yield factory
    problems = factory.teardown()
    if problems:
        pytest.fail("; ".join(problems) + "\n" + "\n".join(b.diagnostics()[1] for b in factory.instances),
                    pytrace=False)


# ---------------------------------------------------------------------------------------
# origins and nginx
# ---------------------------------------------------------------------------------------

@pytest.fixture
def origin(request):
    """origin(handler=None, name="origin") -> a started origins.Origin."""
    started = []

    def make(handler=None, name=None, **kw):
        o = origins_mod.Origin(handler, name=name or f"origin{len(started)}", **kw).start()
        started.append(o)
        _add_diagnostics(request, lambda o=o: (f"origin {o.name}", o.summary()))
        return o

    yield make
    for o in started:
        o.stop()


@pytest.fixture
def nginx(request, tmp_path):
    """nginx(body_size=1024, workers=1, access_log=True) -> a started NginxOrigin."""
    started = []

    def make(**kw):
        n = NginxOrigin(tmp_path / f"nginx{len(started)}", **kw)
        started.append(n)
        _add_diagnostics(request, lambda n=n: ("nginx", n.diagnostics()))
        return n.start()

    yield make
    for n in started:
        n.stop()


# ---------------------------------------------------------------------------------------
# resource sampling
# ---------------------------------------------------------------------------------------

class RssSampler:
    """Samples the RSS of a process (and its children) every `interval` s on a thread."""

    def __init__(self, pid: int, interval=0.1):
        self.pid, self.interval = pid, interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self):
        try:
            p = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            try:
                total = p.memory_info().rss
                for ch in p.children(recursive=True):
                    try:
                        total += ch.memory_info().rss
                    except psutil.Error:
                        pass
                self.samples.append(total)
            except psutil.Error:
                return
            self._stop.wait(self.interval)

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> int:
        """Stops sampling; returns the peak. Fails if nothing could be sampled (so that a
        broken sampler cannot pass a memory bound by reporting 0)."""
        self._stop.set()
        self._thread.join(timeout=5)
        assert self.samples, f"no RSS sample of pid {self.pid} could be taken"
        return self.max

    @property
    def max(self) -> int:
        return max(self.samples) if self.samples else 0


@pytest.fixture
def rss_sampler():
    samplers = []

    def make(pid, interval=0.1):
        s = RssSampler(pid, interval).start()
        samplers.append(s)
        return s

    yield make
    for s in samplers:
        s._stop.set()
        s._thread.join(timeout=5)


# ---------------------------------------------------------------------------------------
# TLS
# ---------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """A root and an intermediate CA with the leaves every TLS test uses (tests/e2e/pki.py);
    made once per test process. Tests that need their own leaves call pki.leaf(...)."""
    from pki import Pki
    authority = Pki(tmp_path_factory.mktemp("pki"))
    authority.a = authority.leaf("a.test", ["a.test", "www.a.test"])
    authority.a_rsa = authority.leaf("a.test-rsa", ["a.test", "www.a.test"], key="rsa")
    authority.wild = authority.leaf("wild.b.test", ["*.b.test"])
    authority.fallback = authority.leaf("default.test", ["default.test"])
    authority.alice = authority.leaf("alice", client=True, subject="/CN=alice/O=Example",
                                     email="alice@example.com", uri="spiffe://example/alice")
    authority.backend = authority.leaf("backend.test", ["backend.test"], ip="127.0.0.1")
    return authority
