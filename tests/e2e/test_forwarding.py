"""Headers at the origin: hop-by-hop fields removed; Via, X-Forwarded-*, Forwarded (RFC 7239)
and X-Request-Id set, trusting incoming values only from trusted networks."""

import re


import origins as O
from http_client import RawClient, build_request, chunked_body, request

UUID_LIKE = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")

TRUSTED = {"trusted_networks": ["127.0.0.0/8"]}
UNTRUSTED = {"trusted_networks": ["10.0.0.0/8"]}


def seen_headers(r):
    """The origin's view of the request (echo origin): name -> list of values."""
    out = {}
    for k, v in r.json()["headers"]:
        out.setdefault(k.lower(), []).append(v)
    return out


def one(headers, name):
    values = headers.get(name, [])
    assert len(values) <= 1, f"{name} sent {len(values)} times: {values}"
    return values[0] if values else None


def parse_forwarded(value: str) -> list[dict]:
    """RFC 7239: elements separated by ',', pairs by ';', values maybe quoted."""
    elements = []
    for element in value.split(","):
        pairs = {}
        for pair in element.split(";"):
            if "=" in pair:
                k, _, v = pair.strip().partition("=")
                pairs[k.strip().lower()] = v.strip().strip('"')
        if pairs:
            elements.append(pairs)
    return elements


def test_hop_by_hop_headers_are_removed(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    r = request(b.port, "GET", "/hop", [
        ("Connection", "keep-alive, X-Custom-Hop"),
        ("X-Custom-Hop", "must not pass"),
        ("Keep-Alive", "timeout=5, max=100"),
        ("TE", "trailers, deflate;q=0.5"),
        ("Trailer", "X-Ignored"),
        ("Upgrade", "h2c"),
        ("Proxy-Authorization", "Basic c2VjcmV0OnNlY3JldA=="),
        ("Proxy-Connection", "keep-alive"),
        ("X-End-To-End", "passes"),
        ("Authorization", "Bearer end-to-end"),
    ])
    assert r.status == 200, r
    h = seen_headers(r)
    assert h.get("x-end-to-end") == ["passes"]
    assert h.get("authorization") == ["Bearer end-to-end"]
    for name in ("x-custom-hop", "keep-alive", "trailer", "upgrade", "proxy-authorization", "proxy-connection"):
        assert name not in h, f"hop-by-hop header {name} reached the origin: {h[name]}"
    for value in h.get("connection", []):
        assert "x-custom-hop" not in value.lower(), f"client's Connection tokens forwarded: {value}"
    for value in h.get("te", []):
        assert "deflate" not in value, f"client's TE forwarded: {value}"


def test_trailer_fields_pass_but_trailer_header_does_not(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        c.send(build_request("POST", "/trailers", [("Transfer-Encoding", "chunked"), ("Trailer", "X-Trail")],
                             chunked_body([b"data"], {"X-Trail": "value"})))
        r = c.read_response("POST")
    assert r.status == 200, r
    info = r.json()
    assert info["body"] == "data"
    assert "trailer" not in seen_headers(r)
    assert {k.lower(): v for k, v in info["trailers"]}.get("x-trail") == "value", info


def test_via_header(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    r = request(b.port, "GET", "/via", {"Via": "1.0 earlier-proxy"})
    via = ", ".join(seen_headers(r).get("via", []))
    assert "1.1 bulwark" in via, f"Via at the origin: {via!r}"
    assert "1.0 earlier-proxy" in via, "an existing Via must be appended to, not replaced"
    assert via.index("1.0 earlier-proxy") < via.index("1.1 bulwark")


def test_via_pseudonym_is_configurable(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], forwarding={"via": "edge-7"})
    via = ", ".join(seen_headers(request(b.port, "GET", "/via")).get("via", []))
    assert "1.1 edge-7" in via, via


def test_x_forwarded_headers_without_client_values(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], forwarding=UNTRUSTED)
    r = request(b.port, "GET", "/xf", {"Host": "app.example.test"})
    h = seen_headers(r)
    assert one(h, "x-forwarded-for") == "127.0.0.1"
    assert one(h, "x-forwarded-proto") == "http"
    assert one(h, "x-forwarded-host") == "app.example.test"


def test_x_forwarded_for_from_untrusted_client_is_replaced(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], forwarding=UNTRUSTED)
    r = request(b.port, "GET", "/xff", {"Host": "app.example.test", "X-Forwarded-For": "1.2.3.4",
                                        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"})
    h = seen_headers(r)
    assert one(h, "x-forwarded-for") == "127.0.0.1", h.get("x-forwarded-for")
    assert one(h, "x-forwarded-proto") == "http"
    assert one(h, "x-forwarded-host") == "app.example.test"


def test_x_forwarded_for_from_trusted_client_is_appended(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], forwarding=TRUSTED)
    r = request(b.port, "GET", "/xff", {"Host": "app.example.test", "X-Forwarded-For": "1.2.3.4, 5.6.7.8"})
    xff = ", ".join(seen_headers(r).get("x-forwarded-for", []))
    assert [p.strip() for p in xff.split(",")] == ["1.2.3.4", "5.6.7.8", "127.0.0.1"], xff


def test_forwarded_header_untrusted(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], forwarding=UNTRUSTED)
    r = request(b.port, "GET", "/fwd", {"Host": "app.example.test", "Forwarded": "for=1.2.3.4;proto=https"})
    value = ", ".join(seen_headers(r).get("forwarded", []))
    elements = parse_forwarded(value)
    assert len(elements) == 1, f"untrusted Forwarded kept: {value!r}"
    assert elements[0].get("for") == "127.0.0.1", value
    assert elements[0].get("proto") == "http", value
    assert elements[0].get("host") == "app.example.test", value
    assert "1.2.3.4" not in value


def test_forwarded_header_trusted_is_appended(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], forwarding=TRUSTED)
    r = request(b.port, "GET", "/fwd", {"Host": "app.example.test", "Forwarded": "for=1.2.3.4;proto=https"})
    value = ", ".join(seen_headers(r).get("forwarded", []))
    elements = parse_forwarded(value)
    assert len(elements) == 2, value
    assert elements[0].get("for") == "1.2.3.4"
    assert elements[-1] == {"for": "127.0.0.1", "proto": "http", "host": "app.example.test"} or \
        (elements[-1].get("for") == "127.0.0.1" and elements[-1].get("proto") == "http"), value


def test_forwarding_headers_can_be_turned_off(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], forwarding={"x_forwarded": False, "forwarded": False})
    h = seen_headers(request(b.port, "GET", "/off"))
    for name in ("x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"):
        assert name not in h, f"{name} sent although turned off"


def test_request_id_generated_passed_upstream_and_echoed(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], forwarding=UNTRUSTED)
    with RawClient(b.port) as c:
        r1 = c.request("GET", "/rid/1")
        r2 = c.request("GET", "/rid/2")
    ids = []
    for r in (r1, r2):
        rid = r.header("x-request-id")
        assert rid and UUID_LIKE.match(rid), f"response X-Request-Id {rid!r} is not UUID-like"
        assert one(seen_headers(r), "x-request-id") == rid, "the origin must see the id the client gets"
        ids.append(rid)
    assert ids[0] != ids[1]


def test_client_request_id_kept_from_trusted_network(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], forwarding=TRUSTED)
    r = request(b.port, "GET", "/rid", {"X-Request-Id": "client-id-123"})
    assert r.header("x-request-id") == "client-id-123"
    assert one(seen_headers(r), "x-request-id") == "client-id-123"


def test_client_request_id_replaced_from_untrusted_network(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], forwarding=UNTRUSTED)
    r = request(b.port, "GET", "/rid", {"X-Request-Id": "client-id-123"})
    rid = r.header("x-request-id")
    assert rid and rid != "client-id-123" and UUID_LIKE.match(rid), rid
    assert seen_headers(r).get("x-request-id") == [rid]


def test_request_id_header_name_is_configurable(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport], request_id={"header": "x-trace-id"})
    r = request(b.port, "GET", "/trace")
    rid = r.header("x-trace-id")
    assert rid and UUID_LIKE.match(rid), r
    assert one(seen_headers(r), "x-trace-id") == rid


def test_request_id_on_direct_response(bulwark):
    routes = [{"match": {"exact": "/hello"}, "direct_response": {"status": 200, "body": "hi"}}]
    b = bulwark(None, routes=routes)
    r = request(b.port, "GET", "/hello")
    assert r.status == 200 and r.body == b"hi"
    assert r.header("x-request-id")
