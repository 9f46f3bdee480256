"""Custom error pages: files read at load, used for bulwark's own replies of their status and, with
intercept_upstream, instead of a backend's error body of that status."""

import json
import subprocess

import origins as O
from http_client import RawClient, request

NOT_FOUND = b"<!DOCTYPE html><title>Lost</title><p>Nothing here. (custom 404)</p>\n"
BAD_GATEWAY = b'{"error": "the site is having trouble", "custom": 502}\n'
UNAVAILABLE = b"<h1>Back soon (custom 503)</h1>\n"


def pages(tmp_path):
    """Writes the pages beside the configuration (where relative paths are looked for)."""
    errors = tmp_path / "errors"
    errors.mkdir(exist_ok=True)
    (errors / "404.html").write_bytes(NOT_FOUND)
    (errors / "502.json").write_bytes(BAD_GATEWAY)
    (errors / "503.htm").write_bytes(UNAVAILABLE)
    return {404: "errors/404.html", 502: "errors/502.json",
            503: {"file": str(errors / "503.htm"), "intercept_upstream": True}}


def test_local_replies_use_the_page_of_their_status(bulwark, origin, free_port, tmp_path):
    o = origin(O.echo())
    routes = [{"match": {"prefix": "/dead/"}, "proxy": {"cluster": "dead"}},
              {"match": {"prefix": "/app/"}, "proxy": {"cluster": "backend"}}]
    b = bulwark([o.hostport], routes=routes, error_pages=pages(tmp_path),
                clusters=[{"name": "backend", "endpoints": [o.hostport]},
                          {"name": "dead", "endpoints": [f"127.0.0.1:{free_port}"]}])
    r = request(b.port, "GET", "/nowhere", {"Accept": "application/json"})
    assert r.status == 404, r
    assert r.body == NOT_FOUND  # the page, whatever the Accept
    assert r.header("content-type") == "text/html; charset=utf-8"
    assert r.header("server") == "bulwark"
    assert r.header("x-request-id")

    r = request(b.port, "GET", "/dead/x")
    assert r.status == 502, r
    assert r.body == BAD_GATEWAY and json.loads(r.body)["custom"] == 502
    assert r.header("content-type") == "application/json"

    # A status without a page keeps bulwark's own.
    r = request(b.port, "POST", "/app/x", {"Content-Length": "99999999999", "Accept": "text/html"})
    assert r.status == 413, r
    assert b"413" in r.body and b"custom" not in r.body

    # HEAD: the length of the page, no body.
    with RawClient(b.port) as c:
        c.send(b"HEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        r = c.read_response("HEAD")
    assert r.status == 404 and r.body == b""
    assert r.header("content-length") == str(len(NOT_FOUND))


def test_upstream_errors_pass_unless_their_page_intercepts(bulwark, origin, tmp_path):
    o = origin(O.route({
        "/missing": O.fixed(404, b"the app's own 404 page"),
        "/busy": O.fixed(503, b"Traceback: db at 10.0.0.9:5432 refused", headers=[
            ("Retry-After", "30"), ("X-Powered-By", "Django"), ("Set-Cookie", "debug=1")]),
    }))
    b = bulwark([o.hostport], error_pages=pages(tmp_path))
    # 404 has a page, but not an intercepting one: the application's page passes.
    r = request(b.port, "GET", "/missing")
    assert r.status == 404 and r.body == b"the app's own 404 page", r

    r = request(b.port, "GET", "/busy")
    assert r.status == 503, r
    assert r.body == UNAVAILABLE
    assert r.header("content-type") == "text/html; charset=utf-8"
    assert r.header("retry-after") == "30"  # tells the client what to do next: kept
    assert r.header("set-cookie") is None and r.header("x-powered-by") is None
    assert r.header("server") == "bulwark"
    assert b"10.0.0.9" not in r.raw_head + r.body
    # The backend was asked: the page replaced its answer, not the request.
    assert o.wait_for_requests(2)
    assert [q.target for q in o.requests] == ["/missing", "/busy"]


def test_intercepted_response_keeps_the_client_connection(bulwark, origin, tmp_path):
    o = origin(O.route({"/busy": O.fixed(503, b"x" * 100_000)}, default=O.fixed(200, b"fine")))
    b = bulwark([o.hostport], error_pages=pages(tmp_path))
    with RawClient(b.port) as c:
        first = c.request("GET", "/busy")
        second = c.request("GET", "/ok")
    assert first.status == 503 and first.body == UNAVAILABLE
    assert second.status == 200 and second.body == b"fine"


def test_missing_page_is_a_config_error(bulwark_exe, tmp_path):
    path = tmp_path / "bulwark.yaml"
    path.write_text("""\
error_pages:
  404: errors/none.html
  500: { file: errors/none.bin }
listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
          - direct_response: { status: 200 }
""")
    done = subprocess.run([bulwark_exe, "validate", "-c", str(path)], capture_output=True, text=True,
                          timeout=10)
    assert done.returncode == 1, done
    assert (f"{path}:2:8: 404: cannot read '{tmp_path}/errors/none.html': No such file or directory"
            in done.stderr), done.stderr
    assert f"{path}:3:16: 500: cannot tell the content type of 'errors/none.bin' from its name" in done.stderr
