"""Header control: add, set, remove and rename on requests (asserted at the origin) and responses
(asserted at the client), with template variables, named filters and per-route filter lists."""

import re
import subprocess

import origins as O
from conftest import base_config, find_free_port
from http_client import RawClient, request

PUBLIC = "www.example.test"


def seen(r) -> list[tuple[str, str]]:
    """The header fields the echo origin received, names lower-cased, in order."""
    return [(k.lower(), v) for k, v in r.json()["headers"]]


def values(fields, name) -> list[str]:
    return [v for k, v in fields if k == name]


def bulwark_with_filters(bulwark, o, host_filters, routes=None, **sections):
    """Starts bulwark whose one virtual host runs `host_filters`."""
    routes = routes or [{"name": "tagged", "match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}]
    port = find_free_port()
    cfg = base_config(port, [o.hostport], routes)
    cfg["listeners"][0]["virtual_hosts"][0]["filters"] = host_filters
    cfg.update(sections)
    return bulwark(config=cfg, port=port)


def test_request_rules_reach_the_origin(bulwark, origin):
    o = origin(O.echo())
    b = bulwark_with_filters(bulwark, o, [{"headers": {"request": {
        "set": {"x-real-ip": "{client_address}"},
        "add": {"x-context": "{method} {scheme}://{host}{path} q={query} route={route} listener={listener}"},
        "remove": ["x-debug"],
        "rename": {"x-old": "x-new"},
    }}}])
    r = request(b.port, "GET", "/shop/cart?item=7", [("X-Real-IP", "6.6.6.6"), ("X-Debug", "1"),
                                                     ("x-debug", "2"), ("X-Old", "kept value")], host=PUBLIC)
    assert r.status == 200, r
    fields = seen(r)
    assert values(fields, "x-real-ip") == ["127.0.0.1"], fields
    assert values(fields, "x-context") == [
        f"GET http://{PUBLIC}/shop/cart q=item=7 route=tagged listener=public"]
    assert values(fields, "x-debug") == []
    assert values(fields, "x-old") == []
    assert values(fields, "x-new") == ["kept value"]


def test_add_appends_and_set_replaces(bulwark, origin):
    o = origin(O.echo())
    b = bulwark_with_filters(bulwark, o, [{"headers": {"request": {
        "add": {"x-tag": "added"}, "set": {"x-one": "only"}}}}])
    r = request(b.port, "GET", "/", [("X-Tag", "client"), ("X-One", "a"), ("X-One", "b")])
    fields = seen(r)
    assert values(fields, "x-tag") == ["client", "added"]
    assert values(fields, "x-one") == ["only"]


def test_client_port_and_request_id(bulwark, origin):
    o = origin(O.echo())
    b = bulwark_with_filters(bulwark, o, [{"headers": {
        "request": {"set": {"x-peer": "{client_address}:{client_port}", "x-rid": "{request_id}"}},
        "response": {"set": {"x-rid-echo": "{request_id}"}}}}])
    with RawClient(b.port) as c:
        r = c.request("GET", "/")
        local_port = c.local_port
    fields = seen(r)
    assert values(fields, "x-peer") == [f"127.0.0.1:{local_port}"]
    rid = r.header("x-request-id")
    assert rid and values(fields, "x-rid") == [rid] and r.header("x-rid-echo") == rid


def test_response_rules_reach_the_client(bulwark, origin):
    o = origin(O.fixed(200, b"hello", headers=[("X-Backend-Secret", "s3"), ("X-Old-Name", "v"),
                                               ("Cache-Control", "public")]))
    b = bulwark_with_filters(bulwark, o, [{"headers": {"response": {
        "set": {"cache-control": "no-store", "x-frame-options": "DENY"},
        "add": {"x-served": "{host}{path} by {upstream_address} on {route}"},
        "remove": ["x-backend-secret"],
        "rename": {"x-old-name": "x-new-name"},
    }}}])
    r = request(b.port, "GET", "/page?x=1", host=PUBLIC)
    assert r.status == 200 and r.body == b"hello", r
    assert r.headers.get_all("cache-control") == ["no-store"]
    assert r.header("x-frame-options") == "DENY"
    assert r.header("x-served") == f"{PUBLIC}/page by {o.hostport} on tagged"
    assert r.header("x-backend-secret") is None
    assert r.header("x-old-name") is None and r.header("x-new-name") == "v"


def test_literal_braces_and_empty_variables(bulwark, origin):
    o = origin(O.echo())
    b = bulwark_with_filters(bulwark, o, [{"headers": {"request": {
        "set": {"x-json": '{{"route":"{route}"}}', "x-tls": "{tls_version}"},
        "add": {"x-cipher": "{tls_cipher}"}}}}])
    r = request(b.port, "GET", "/", [("X-TLS", "forged by the client")])
    fields = seen(r)
    assert values(fields, "x-json") == ['{"route":"tagged"}']
    # Plain-text listener: the TLS variables are empty, so set removes and add adds nothing.
    assert values(fields, "x-tls") == [] and values(fields, "x-cipher") == []


def test_named_filters_and_route_overrides(bulwark, origin):
    o = origin(O.echo())
    routes = [{"name": "plain", "match": {"prefix": "/plain/"}, "proxy": {"cluster": "backend"},
               "filters": []},
              {"name": "api", "match": {"prefix": "/api/"}, "proxy": {"cluster": "backend"},
               "filters": ["tagging"]},
              {"name": "site", "match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}]
    b = bulwark_with_filters(bulwark, o, ["security", "tagging"], routes=routes, filters=[
        {"name": "security", "headers": {"response": {"set": {"x-content-type-options": "nosniff"}}}},
        {"name": "tagging", "headers": {"request": {"set": {"x-route": "{route}"}}}}])
    site = request(b.port, "GET", "/index")
    assert site.header("x-content-type-options") == "nosniff"
    assert values(seen(site), "x-route") == ["site"]
    api = request(b.port, "GET", "/api/v1")
    assert api.header("x-content-type-options") is None
    assert values(seen(api), "x-route") == ["api"]
    plain = request(b.port, "GET", "/plain/x")
    assert plain.header("x-content-type-options") is None
    assert values(seen(plain), "x-route") == []


def test_response_rules_apply_to_local_replies(bulwark, origin):
    o = origin(O.echo())
    routes = [{"match": {"exact": "/gone"}, "direct_response": {"status": 410, "body": "gone"}},
              {"match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}]
    b = bulwark_with_filters(bulwark, o, [{"headers": {"response": {"set": {"x-site": "{host}"}}}}],
                             routes=routes)
    r = request(b.port, "GET", "/gone", host=PUBLIC)
    assert r.status == 410 and r.body == b"gone", r
    assert r.header("x-site") == PUBLIC


def test_bad_rules_are_refused_with_their_position(bulwark_exe, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("""\
listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        filters:
          - headers:
              request:
                set: { x-real-ip: "{client_adress}", content-length: "1" }
          - securty
        routes:
          - proxy: { cluster: demo }
clusters:
  - name: demo
    endpoints: [127.0.0.1:8081]
""")
    done = subprocess.run([bulwark_exe, "validate", "-c", str(path)], capture_output=True, text=True,
                          timeout=10)
    assert done.returncode == 1, done
    lines = [line for line in done.stderr.splitlines() if re.match(rf"^{re.escape(str(path))}:\d+:\d+: ", line)]
    assert lines == [
        f"{path}:9:37: x-real-ip: unknown variable 'client_adress'",
        f"{path}:9:54: set: content-length is managed by bulwark; header rules cannot change it",
        f"{path}:10:13: filters[1]: filter 'securty' is not defined",
    ], done.stderr
    assert "did you mean 'client_address'?" in done.stderr
