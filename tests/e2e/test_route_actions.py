"""Route actions end to end: redirects, proxy path and host rewrites, per-route upstream
timeouts, direct responses; and the virtual-host + route selection that picks them."""

import json
import time

import origins as O
from http_client import request


def seen(r):
    """The request as the echo origin received it."""
    assert r.status == 200, r
    return json.loads(r.body)


def header(doc, name):
    for k, v in doc["headers"]:
        if k.lower() == name:
            return v
    return None


def test_redirect_keeps_host_path_and_query_by_default(bulwark):
    b = bulwark(routes=[{"redirect": {}}])
    r = request(b.port, "GET", "/a/b?x=1", {"Host": "example.com:8080"})
    assert r.status == 301, r
    assert r.header("location") == "http://example.com:8080/a/b?x=1"
    assert r.body == b""


def test_http_to_https_redirect_with_each_status(bulwark):
    routes = [{"match": {"prefix": f"/{code}/"}, "redirect": {"status": code, "scheme": "https"}}
              for code in (301, 302, 303, 307, 308)]
    b = bulwark(routes=routes)
    for code in (301, 302, 303, 307, 308):
        r = request(b.port, "POST" if code in (307, 308) else "GET", f"/{code}/p?q",
                    {"Host": "shop.example:8080", "Content-Length": "0"})
        assert r.status == code, r
        # The plain-text port does not carry over to https.
        assert r.header("location") == f"https://shop.example/{code}/p?q"


def test_redirect_host_port_prefix_and_strip_query(bulwark):
    b = bulwark(routes=[
        {"match": {"prefix": "/old/"},
         "redirect": {"host": "new.example", "port": 8443, "scheme": "https",
                      "prefix_rewrite": "/new/", "strip_query": True}},
        {"match": {"exact": "/moved"}, "redirect": {"status": 302, "path": "/landing?from=moved"}},
    ])
    r = request(b.port, "GET", "/old/a/b?token=secret", {"Host": "old.example"})
    assert r.status == 301
    assert r.header("location") == "https://new.example:8443/new/a/b"
    r = request(b.port, "GET", "/moved?ignored=1", {"Host": "h.example"})
    assert r.status == 302
    assert r.header("location") == "http://h.example/landing?from=moved"


def test_prefix_rewrite_reaches_the_origin(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], routes=[
        {"match": {"prefix": "/api/"}, "proxy": {"cluster": "backend", "prefix_rewrite": "/v2/"}},
        {"match": {"prefix": "/strip/"}, "proxy": {"cluster": "backend", "prefix_rewrite": "/"}},
        {"proxy": {"cluster": "backend"}},
    ])
    assert seen(request(b.port, "GET", "/api/users?id=7"))["target"] == "/v2/users?id=7"
    assert seen(request(b.port, "GET", "/strip/x/y"))["target"] == "/x/y"
    assert seen(request(b.port, "GET", "/plain?z"))["target"] == "/plain?z"


def test_regex_rewrite_reaches_the_origin(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], routes=[
        {"proxy": {"cluster": "backend",
                   "regex_rewrite": {"pattern": "^/users/([0-9]+)/profile$",
                                     "substitution": "/profiles/\\1"}}},
    ])
    assert seen(request(b.port, "GET", "/users/42/profile?full=1"))["target"] == "/profiles/42?full=1"
    assert seen(request(b.port, "GET", "/users/x/profile"))["target"] == "/users/x/profile"


def test_host_rewrite_reaches_the_origin(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], routes=[
        {"proxy": {"cluster": "backend", "host_rewrite": "internal.example:9000"}}])
    doc = seen(request(b.port, "GET", "/", {"Host": "public.example"}))
    assert header(doc, "host") == "internal.example:9000"
    # The client's host is still told to the backend, in X-Forwarded-Host.
    assert header(doc, "x-forwarded-host") == "public.example"


def test_route_timeout_overrides_the_global_one(bulwark, origin):
    o = origin(O.route({"/slow": O.slow(3.0)}))
    b = bulwark([o.hostport], timeouts={"upstream_read": "30s"}, routes=[
        {"match": {"prefix": "/slow"}, "proxy": {"cluster": "backend", "timeouts": {"read": "500ms"}}},
        {"proxy": {"cluster": "backend"}},
    ])
    start = time.monotonic()
    r = request(b.port, "GET", "/slow", timeout=10)
    elapsed = time.monotonic() - start
    assert r.status == 504, r
    assert elapsed < 2.5, f"504 after {elapsed:.2f} s with a 500ms route read timeout"
    assert request(b.port, "GET", "/fast").status == 200


def test_direct_response_with_headers_and_head(bulwark):
    b = bulwark(routes=[{"match": {"exact": "/hello"},
                         "direct_response": {"status": 200, "body": "hi\n",
                                             "headers": {"x-demo": "yes", "content-type": "text/x"}}},
                        {"direct_response": {"status": 418}}])
    r = request(b.port, "GET", "/hello")
    assert (r.status, r.body, r.header("x-demo"), r.header("content-type")) == (200, b"hi\n", "yes", "text/x")
    r = request(b.port, "HEAD", "/hello")
    assert r.status == 200 and r.body == b"" and r.header("content-length") == "3"
    assert request(b.port, "GET", "/other").status == 418


def listener_config(port, virtual_hosts):
    return {"workers": 1, "listeners": [{"name": "public", "listen": f"127.0.0.1:{port}",
                                         "virtual_hosts": virtual_hosts}]}


def test_virtual_hosts_choose_the_routes(bulwark, free_port):
    b = bulwark(config=listener_config(free_port, [
        {"domains": ["api.example"], "routes": [{"direct_response": {"body": "api"}}]},
        {"domains": ["*.example"], "routes": [{"direct_response": {"body": "wildcard"}}]},
        {"domains": ["*"], "routes": [{"direct_response": {"body": "default"}}]},
    ]), port=free_port)
    assert request(b.port, "GET", "/", {"Host": "API.Example:80"}).body == b"api"
    assert request(b.port, "GET", "/", {"Host": "www.example"}).body == b"wildcard"
    assert request(b.port, "GET", "/", {"Host": "other.test"}).body == b"default"


def test_no_matching_route_is_404_and_unknown_host_without_default_too(bulwark, free_port):
    b = bulwark(config=listener_config(free_port, [
        {"domains": ["only.example"],
         "routes": [{"match": {"prefix": "/app/"}, "direct_response": {"body": "app"}}]}]),
        port=free_port)
    assert request(b.port, "GET", "/app/x", {"Host": "only.example"}).body == b"app"
    assert request(b.port, "GET", "/other", {"Host": "only.example"}).status == 404
    assert request(b.port, "GET", "/app/x", {"Host": "stranger.example"}).status == 404


def test_paths_are_normalised_before_routing_and_forwarding(bulwark, origin):
    """Another spelling of a path cannot slip past its route: /%61dmin and /x/../admin are /admin."""
    o = origin(O.echo())
    b = bulwark([o.hostport], routes=[
        {"match": {"prefix": "/admin/"}, "direct_response": {"status": 403, "body": "no"}},
        {"proxy": {"cluster": "backend"}},
    ])
    for spelling in ("/admin/x", "/%61dmin/x", "/x/../admin/x", "/public/%2e%2e/admin/x", "/./admin/x"):
        assert request(b.port, "GET", spelling).status == 403, spelling
    # What the backend receives is the normal form too; an encoded slash stays encoded.
    assert seen(request(b.port, "GET", "/a/./b/../%63?q=/../"))["target"] == "/a/c?q=/../"
    assert seen(request(b.port, "GET", "/a%2fb"))["target"] == "/a%2Fb"
    # Above the root, or a broken escape: 400, and nothing reaches the backend.
    before = len(o.requests)
    for bad in ("/../etc/passwd", "/%2e%2e/x", "/a%zz"):
        assert request(b.port, "GET", bad).status == 400, bad
    assert len(o.requests) == before
