"""Sticky sessions: bulwark issues a signed cookie naming the endpoint that answered; a client
presenting it returns there while that endpoint is available; a forged or foreign cookie is
ignored; when the endpoint fails, the session moves and the cookie with it."""

import re

import origins as O
from http_client import RawClient


def three(origin):
    return [origin(O.echo(), name=n) for n in ("A", "B", "C")]


def sticky_cluster(endpoints, **extra):
    return [{"name": "backend", "balancer": "round_robin", "endpoints": endpoints,
             "sticky": {"cookie": "srv"}, **extra}]


def cookie_of(response) -> str | None:
    field = response.header("set-cookie")
    if field is None:
        return None
    m = re.match(r"srv=([^;]+); Path=/; HttpOnly; SameSite=Lax$", field)
    assert m, field
    return m.group(1)


def test_a_client_stays_on_its_endpoint_and_cannot_choose_another(bulwark, origin):
    a, b_, c = three(origin)
    p = bulwark(None, workers=2, clusters=sticky_cluster([a.hostport, b_.hostport, c.hostport]))
    with RawClient(p.port) as client:
        first = client.request("GET", "/start")
        value = cookie_of(first)
        assert value, first
        home = first.header("x-origin")
        # The cookie hides the backend: no address or port in it.
        for o in (a, b_, c):
            assert str(o.port) not in value and "127.0.0.1" not in value
        for i in range(12):
            r = client.request("GET", f"/again/{i}", headers=[("Cookie", f"x=1; srv={value}")])
            assert r.status == 200
            assert r.header("x-origin") == home, (i, r.header("x-origin"), home)
            assert r.header("set-cookie") is None  # the session is already bound
    # Without the cookie, round robin spreads the requests again.
    with RawClient(p.port) as client:
        seen = {client.request("GET", f"/free/{i}").header("x-origin") for i in range(6)}
    assert seen == {"A", "B", "C"}


def test_a_forged_cookie_is_ignored(bulwark, origin):
    a, b_, c = three(origin)
    p = bulwark(None, workers=1, clusters=sticky_cluster([a.hostport, b_.hostport, c.hostport]))
    with RawClient(p.port) as client:
        values = {}
        for i in range(3):  # one genuine cookie per endpoint
            r = client.request("GET", f"/learn/{i}")
            values[r.header("x-origin")] = cookie_of(r)
        assert set(values) == {"A", "B", "C"}
        genuine = values["A"]
        ident, signature = genuine.split(".")
        forged = [
            f"{ident}.{signature[:-1]}{'0' if signature[-1] != '0' else '1'}",  # signature off
            f"{ident}.",                                                        # none at all
            f"{values['B'].split('.')[0]}.{signature}",                         # A's signature, B's id
            a.hostport,                                                         # an address
        ]
        for value in forged:
            seen = []
            for i in range(3):
                r = client.request("GET", f"/forged/{i}", headers=[("Cookie", f"srv={value}")])
                assert r.status == 200
                seen.append(r.header("x-origin"))
                # Ignored: a fresh session is offered instead.
                assert cookie_of(r) in values.values(), r.header("set-cookie")
            assert set(seen) == {"A", "B", "C"}, (value, seen)


def test_the_session_moves_when_its_endpoint_fails(bulwark, origin):
    a, b_ = origin(O.echo(), name="A"), origin(O.echo(), name="B")
    p = bulwark(None, workers=1, clusters=sticky_cluster(
        [a.hostport, b_.hostport], outlier_detection={"consecutive_gateway_errors": 1}))
    with RawClient(p.port) as client:
        r = client.request("GET", "/start")
        home, value = r.header("x-origin"), cookie_of(r)
    (a if home == "A" else b_).stop()
    other = "B" if home == "A" else "A"
    with RawClient(p.port) as client:
        moved = client.request("GET", "/after", headers=[("Cookie", f"srv={value}")])
        # The connect failure was retried on the other endpoint, and the cookie now names it.
        assert moved.status == 200 and moved.header("x-origin") == other
        new_value = cookie_of(moved)
        assert new_value and new_value != value
        again = client.request("GET", "/again", headers=[("Cookie", f"srv={new_value}")])
        assert again.header("x-origin") == other and again.header("set-cookie") is None
