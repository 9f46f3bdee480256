"""Access log: combined and JSON formats, the request id in each line, reopen on SIGUSR1.
Logs are buffered per worker, so lines are polled for (up to ~3 s)."""

import json
import os
import re
import signal
import time

import origins as O
from http_client import RawClient, poll, request

COMBINED = re.compile(
    r'^(?P<addr>\S+) - (?P<user>\S+) \[(?P<time>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] '
    r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\d+|-) "(?P<referer>[^"]*)" "(?P<ua>[^"]*)" '
    r'"(?P<rid>[^"]*)"$')

JSON_KEYS = {"time", "remote_addr", "method", "path", "protocol", "status", "bytes_sent", "duration_ms",
             "request_id", "upstream_addr", "upstream_status", "user_agent"}


def read_lines(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def wait_for_line(path, needle, timeout=3.0):
    found = poll(lambda: [line for line in read_lines(path) if needle in line], timeout=timeout)
    assert found, f"no access log line containing {needle!r} in {path} after {timeout} s; file has: " \
                  f"{read_lines(path)[-10:]}"
    return found


def test_combined_format(bulwark, origin, tmp_path):
    log = tmp_path / "access.log"
    o = origin(O.fixed(200, b"logged body", {"Content-Type": "text/plain"}))
    b = bulwark([o.hostport], access_log={"path": str(log), "format": "combined"})
    r = request(b.port, "GET", "/logme?x=1", {"Referer": "http://ref.example/page", "User-Agent": "test-agent/1.0"})
    assert r.status == 200
    rid = r.header("x-request-id")
    assert rid
    lines = wait_for_line(log, "/logme?x=1")
    assert len(lines) == 1, lines
    m = COMBINED.match(lines[0])
    assert m, f"not a combined log line (+ quoted request id): {lines[0]!r}"
    assert m["addr"] == "127.0.0.1"
    assert m["request"] == "GET /logme?x=1 HTTP/1.1"
    assert m["status"] == "200"
    assert m["size"] != "-" and int(m["size"]) >= len(b"logged body")
    assert m["referer"] == "http://ref.example/page"
    assert m["ua"] == "test-agent/1.0"
    assert m["rid"] == rid, "the access log must carry the request id the client got"


def test_combined_format_without_referer_and_agent(bulwark, origin, tmp_path):
    log = tmp_path / "access.log"
    o = origin(O.echo())
    b = bulwark([o.hostport], access_log={"path": str(log), "format": "combined"})
    assert request(b.port, "POST", "/plain", body=b"x").status == 200
    line = wait_for_line(log, "/plain")[0]
    m = COMBINED.match(line)
    assert m, line
    assert m["referer"] in ("-", "") and m["ua"] in ("-", "")
    assert m["request"] == "POST /plain HTTP/1.1"


def test_json_format(bulwark, origin, tmp_path):
    log = tmp_path / "access.json"
    o = origin(O.fixed(201, b"created", {"Content-Type": "text/plain"}))
    b = bulwark([o.hostport], access_log={"path": str(log), "format": "json"})
    r = request(b.port, "PUT", "/json/path?q=2", {"User-Agent": "json-agent/2.0"}, body=b"payload")
    assert r.status == 201
    line = wait_for_line(log, "/json/path")[0]
    doc = json.loads(line)
    missing = JSON_KEYS - set(doc)
    assert not missing, f"JSON access log line lacks {sorted(missing)}: {doc}"
    assert doc["remote_addr"] == "127.0.0.1"
    assert doc["method"] == "PUT"
    assert doc["path"].startswith("/json/path")
    assert doc["protocol"] == "HTTP/1.1"
    assert int(doc["status"]) == 201
    assert int(doc["upstream_status"]) == 201
    assert int(doc["bytes_sent"]) >= len(b"created")
    assert float(doc["duration_ms"]) >= 0
    assert doc["request_id"] == r.header("x-request-id")
    assert str(o.port) in str(doc["upstream_addr"])
    assert doc["user_agent"] == "json-agent/2.0"
    assert doc["time"]


def test_json_format_logs_errors(bulwark, tmp_path, free_port):
    log = tmp_path / "access.json"
    b = bulwark([f"127.0.0.1:{free_port}"], access_log={"path": str(log), "format": "json"})
    r = request(b.port, "GET", "/to-dead-backend")
    assert r.status == 502
    doc = json.loads(wait_for_line(log, "/to-dead-backend")[0])
    assert int(doc["status"]) == 502
    assert doc["request_id"] == r.header("x-request-id")


def test_every_request_is_logged_once(bulwark, origin, tmp_path):
    log = tmp_path / "access.log"
    o = origin(O.echo())
    b = bulwark([o.hostport], access_log={"path": str(log), "format": "combined"})
    ids = set()
    for k in range(3):
        with RawClient(b.port) as c:
            for i in range(10):
                r = c.request("GET", f"/count/{k}/{i}")
                ids.add(r.header("x-request-id"))
    lines = poll(lambda: [ln for ln in read_lines(log) if "/count/" in ln] if
                 len([ln for ln in read_lines(log) if "/count/" in ln]) >= 30 else None, timeout=3)
    assert lines and len(lines) == 30, f"expected 30 lines, got {len(lines or [])}"
    assert {COMBINED.match(ln)["rid"] for ln in lines} == ids


def test_reopen_on_sigusr1(bulwark, origin, tmp_path):
    log = tmp_path / "access.log"
    rotated = tmp_path / "access.log.1"
    o = origin(O.echo())
    b = bulwark([o.hostport], access_log={"path": str(log), "format": "combined"})
    assert request(b.port, "GET", "/before-rotation").status == 200
    wait_for_line(log, "/before-rotation")
    os.rename(log, rotated)
    b.proc.send_signal(signal.SIGUSR1)
    time.sleep(0.3)
    assert b.running(), "bulwark died on SIGUSR1"

    def logged_after():
        # Keep sending until a line lands in the new file (the reopen is asynchronous).
        request(b.port, "GET", "/after-rotation")
        return [ln for ln in read_lines(log) if "/after-rotation" in ln]

    assert poll(logged_after, timeout=4, interval=0.3), \
        f"no new {log} after SIGUSR1; rotated file has {read_lines(rotated)[-5:]}"
    assert any("/before-rotation" in ln for ln in read_lines(rotated))
    assert not any("/before-rotation" in ln for ln in read_lines(log))


def test_access_log_to_stdout_in_quick_mode(bulwark, origin):
    o = origin(O.echo())
    b = bulwark.quick("--to", o.url, "--access-log", "-")
    r = request(b.port, "GET", "/to-stdout")
    assert r.status == 200
    assert poll(lambda: "/to-stdout" in b.stdout_text(), timeout=3), f"stdout: {b.stdout_text()[-2000:]!r}"


def test_access_log_file_in_quick_mode(bulwark, origin, tmp_path):
    log = tmp_path / "quick.log"
    o = origin(O.echo())
    b = bulwark.quick("--to", o.url, "--access-log", str(log))
    assert request(b.port, "GET", "/quick-file").status == 200
    wait_for_line(log, "/quick-file")
