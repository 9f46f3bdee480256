"""Server obfuscation: no response reveals a backend. Identifying headers are removed, bulwark's own
Server header is set (on local replies too), and Location, Content-Location, Refresh and Set-Cookie
values naming a backend are rewritten to the public host, against an origin that gives itself
away (origins.identifying)."""

import re

import origins as O
from http_client import RawClient, request, try_request

IDENTIFYING = ("x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-runtime", "x-backend-server")
PUBLIC = "www.example.test"


def head_text(r) -> str:
    return "\n".join(f"{k}: {v}" for k, v in r.headers)


def assert_nothing_of(r, o):
    """Neither the origin's address nor its software shows in the response head."""
    head = head_text(r)
    assert o.hostport not in head, f"backend address in the response head:\n{head}"
    assert not re.search(rf"(?<!\d){o.port}(?!\d)", head), f"backend port in the response head:\n{head}"
    assert O.SERVER_NAME not in head, f"backend Server in the response head:\n{head}"


def test_identifying_headers_are_removed_and_server_is_bulwarks(bulwark, origin):
    o = origin(O.identifying(status=200))
    b = bulwark([o.hostport])
    r = request(b.port, "GET", "/page", host=PUBLIC)
    assert r.status == 200, r
    for name in IDENTIFYING:
        assert r.header(name) is None, f"{name} reached the client: {r.header(name)}"
    assert r.headers.get_all("server") == ["bulwark"], r.headers
    assert_nothing_of(r, o)
    # The request did reach the backend, whose echo came back unchanged.
    assert o.wait_for_requests(1)
    assert r.json()["target"] == "/page"


def test_redirect_headers_naming_the_backend_point_at_the_public_host(bulwark, origin):
    o = origin(O.identifying(status=302))
    b = bulwark([o.hostport])
    r = request(b.port, "GET", "/go", host=PUBLIC)
    assert r.status == 302, r
    assert r.header("location") == f"http://{PUBLIC}/next?from=origin"
    assert r.header("content-location") == f"http://{PUBLIC}/doc"
    assert r.header("refresh") == f"5; url=http://{PUBLIC}/later"
    assert_nothing_of(r, o)


def test_public_host_keeps_its_port(bulwark, origin):
    # Same address as the backend, another port: the Host is bulwark's, so it stays as sent.
    o = origin(O.identifying(status=301))
    b = bulwark([o.hostport])
    public = f"127.0.0.1:{b.port}"
    r = request(b.port, "GET", "/go", host=public)
    assert r.header("location") == f"http://{public}/next?from=origin"
    assert r.header("refresh") == f"5; url=http://{public}/later"


def test_cookie_domain_naming_the_backend_becomes_the_public_host(bulwark, origin):
    o = origin(O.identifying(status=200))
    b = bulwark([o.hostport])
    r = request(b.port, "GET", "/login", host=PUBLIC)
    assert r.headers.get_all("set-cookie") == [f"sid=abc; Domain={PUBLIC}; Path=/; HttpOnly",
                                               "pref=1; Domain=example.org; Path=/"]
    # A public host that is an address cannot widen a cookie: the Domain attribute goes.
    r = request(b.port, "GET", "/login", host=f"127.0.0.1:{b.port}")
    assert r.headers.get_all("set-cookie")[0] == "sid=abc; Path=/; HttpOnly"


def test_locations_not_naming_a_backend_are_left_alone(bulwark, origin):
    o = origin(O.route({
        "/relative": O.fixed(302, b"", headers=[("Location", "/elsewhere?x=1")]),
        "/foreign": O.fixed(302, b"", headers=[("Location", "https://other.example/x")]),
        "/self": O.fixed(301, b"", headers=[("Location", f"https://{PUBLIC}/secure")]),
    }))
    b = bulwark([o.hostport])
    assert request(b.port, "GET", "/relative", host=PUBLIC).header("location") == "/elsewhere?x=1"
    assert request(b.port, "GET", "/foreign", host=PUBLIC).header("location") == "https://other.example/x"
    # A backend sending http clients to https on the public name must not become a loop.
    assert request(b.port, "GET", "/self", host=PUBLIC).header("location") == f"https://{PUBLIC}/secure"


def test_host_sent_upstream_counts_as_a_backend_name(bulwark, origin):
    # Backends build absolute URLs from the Host they were sent: with host_rewrite that is an
    # internal name, which must not reach the client either.
    o = origin(O.fixed(302, b"", headers=[("Location", "http://app.internal/after"),
                                          ("Set-Cookie", "s=1; Domain=app.internal")]))
    b = bulwark([o.hostport], routes=[{"match": {"prefix": "/"},
                                       "proxy": {"cluster": "backend", "host_rewrite": "app.internal"}}])
    r = request(b.port, "GET", "/", host=PUBLIC)
    assert r.header("location") == f"http://{PUBLIC}/after", r
    assert r.header("set-cookie") == f"s=1; Domain={PUBLIC}"
    assert o.requests[0].header("host") == "app.internal"


def test_obfuscation_is_configurable(bulwark, origin):
    o = origin(O.identifying(status=302))
    b = bulwark([o.hostport], obfuscation={"strip_headers": ["x-powered-by"], "server": "",
                                           "rewrite_redirects": False, "rewrite_cookies": False})
    r = request(b.port, "GET", "/", host=PUBLIC)
    assert r.header("x-powered-by") is None
    # What the operator chose to keep passes as the backend sent it.
    assert r.header("x-runtime") == "0.012"
    assert r.header("server") == O.SERVER_NAME
    assert r.header("location") == f"{o.url}/next?from=origin"
    assert r.headers.get_all("set-cookie")[0] == "sid=abc; Domain=127.0.0.1; Path=/; HttpOnly"


def test_also_strip_headers_extends_the_default_list_and_no_server_at_all(bulwark, origin):
    o = origin(O.identifying(status=200, extra_headers=[("X-Debug-Token", "a1b2")]))
    b = bulwark([o.hostport], obfuscation={"also_strip_headers": ["x-debug-token"], "server": ""})
    r = request(b.port, "GET", "/", host=PUBLIC)
    assert r.header("x-debug-token") is None
    for name in IDENTIFYING + ("server",):
        assert r.header(name) is None, f"{name}: {r.header(name)}"


def test_header_rules_run_after_obfuscation_on_responses(bulwark, origin):
    o = origin(O.identifying(status=200))
    b = bulwark([o.hostport], obfuscation={"server": "edge"})
    r = request(b.port, "GET", "/", host=PUBLIC)
    assert r.headers.get_all("server") == ["edge"]
    # A configured rule sees the response after obfuscation and may set its own Server.
    routes = [{"match": {"prefix": "/"}, "proxy": {"cluster": "backend"},
               "filters": [{"headers": {"response": {"set": {"server": "front/1"}}}}]}]
    b2 = bulwark([o.hostport], routes=routes, obfuscation={"server": "edge"})
    r = request(b2.port, "GET", "/", host=PUBLIC)
    assert r.headers.get_all("server") == ["front/1"]
    assert r.header("x-powered-by") is None


def test_local_replies_name_bulwark_and_hide_backends(bulwark, origin, free_port):
    dead = free_port
    hang = origin(O.never_answer())
    routes = [{"match": {"prefix": "/dead/"}, "proxy": {"cluster": "dead"}},
              {"match": {"prefix": "/hang/"}, "proxy": {"cluster": "backend"}}]
    b = bulwark([hang.hostport], routes=routes, timeouts={"upstream_read": "1s"},
                clusters=[{"name": "backend", "endpoints": [hang.hostport]},
                          {"name": "dead", "endpoints": [f"127.0.0.1:{dead}"]}])
    for target, status, port in (("/dead/x", 502, dead), ("/hang/x", 504, hang.port), ("/none", 404, None)):
        for accept in ("text/html", "application/json"):
            r = request(b.port, "GET", target, {"Accept": accept}, host=PUBLIC, timeout=10)
            assert r.status == status, (target, r)
            assert r.headers.get_all("server") == ["bulwark"], (target, r.headers)
            if port is not None:
                text = head_text(r) + "\n" + r.body.decode("latin-1")
                assert "127.0.0.1" not in text, f"{status} shows a backend address: {text}"
                assert not re.search(rf"(?<!\d){port}(?!\d)", text.replace(r.header("x-request-id"), "")), \
                    f"{status} shows the backend port: {text}"
    # A request refused before routing gets bulwark's Server too.
    r, _, error = try_request(b.port, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nBad Header: x\r\n\r\n")
    assert r is not None and r.status == 400, (r, error)
    assert r.headers.get_all("server") == ["bulwark"], r.headers


def test_keep_alive_survives_rewrites(bulwark, origin):
    # Rewritten values live in the stream's arena: a second request on the connection must not
    # see the first one's.
    o = origin(O.identifying(status=302))
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        first = c.request("GET", "/a", host="one.example")
        second = c.request("GET", "/b", host="two.example")
    assert first.header("location") == "http://one.example/next?from=origin"
    assert second.header("location") == "http://two.example/next?from=origin"


def test_a_prefix_rewrite_is_reversed_in_locations_and_cookie_paths(bulwark, origin):
    """The route sends /shop/x to the backend as /x; the backend's own paths come back under /shop/."""
    o = origin(O.identifying(status=302, extra_headers=[("Set-Cookie", "cart=1; Path=/basket")]))
    b = bulwark([o.hostport], routes=[
        {"match": {"prefix": "/shop/"}, "proxy": {"cluster": "backend", "prefix_rewrite": "/"}}])
    r = request(b.port, "GET", "/shop/item", host=PUBLIC)
    assert r.status == 302, r
    assert r.json()["target"] == "/item"
    assert r.header("location") == f"http://{PUBLIC}/shop/next?from=origin"
    assert r.header("content-location") == f"http://{PUBLIC}/shop/doc"
    cookies = r.headers.get_all("set-cookie")
    assert f"sid=abc; Domain={PUBLIC}; Path=/shop/; HttpOnly" in cookies, cookies
    assert "cart=1; Path=/shop/basket" in cookies, cookies
    # A cookie for a domain that is not a backend keeps its domain; its path is still the site's.
    assert "pref=1; Domain=example.org; Path=/shop/" in cookies, cookies
    assert_nothing_of(r, o)
