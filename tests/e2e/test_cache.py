"""The HTTP cache (issue 7): storing and reusing responses per RFC 9111 against an origin whose
responses each test controls and counts: freshness and expiry, Vary, revalidation with 304s,
clients' conditional and range requests answered from storage, stale-if-error, collapsing of
concurrent misses, purging, invalidation after unsafe methods, and the privacy and poisoning
cases."""

import asyncio
import socket
import threading
import time

import pytest

from conftest import base_config, find_free_port
from http_client import RawClient, request
from origins import Exchange


def cache_routes(**settings):
    """bulwark sections for one proxy route whose virtual host runs the cache filter."""
    cache = {"hit_header": "x-cache", "purge_from": ["127.0.0.0/8"]}
    cache.update(settings)
    return {"filters": [{"cache": cache}], "routes": [{"match": {"prefix": "/"},
                                                        "proxy": {"cluster": "backend"}}]}


def start(bulwark, o, storage=None, **settings):
    port = find_free_port()
    cfg = base_config(port, [o.hostport])
    cfg["listeners"][0]["virtual_hosts"] = [{"domains": ["*"], **cache_routes(**settings)}]
    if storage:
        cfg["cache_storage"] = storage
    return bulwark(config=cfg, port=port)


class Script:
    """An origin handler whose answer per path the test sets, counting requests per path."""

    def __init__(self):
        self.lock = threading.Lock()
        self.routes = {}
        self.seen = []

    def set(self, path, status=200, headers=None, body=b"body", handler=None):
        with self.lock:
            self.routes[path] = (status, list(headers or []), body, handler)

    def count(self, path=None):
        with self.lock:
            return sum(1 for p, _ in self.seen if path is None or p == path)

    def requests(self, path):
        with self.lock:
            return [req for p, req in self.seen if p == path]

    def __call__(self, ex: Exchange):
        ex.finish_request()
        path = ex.req.target
        with self.lock:
            self.seen.append((path, ex.req))
            status, headers, body, handler = self.routes.get(path, (404, [], b"none", None))
        if handler is not None:
            handler(ex)
            return
        ex.respond(status, [("Content-Type", "text/plain")] + headers, body)


@pytest.fixture
def script(origin):
    s = Script()
    o = origin(s)
    return s, o


def get(b, path, headers=None, method="GET"):
    return request(b.port, method, path, headers=headers)


def cache_status(r) -> str:
    return r.header("cache-status") or ""


def test_a_fresh_response_is_stored_and_reused(bulwark, script):
    s, o = script
    s.set("/a", headers=[("Cache-Control", "max-age=60")], body=b"stored body")
    b = start(bulwark, o)
    first = get(b, "/a")
    assert first.status == 200 and first.body == b"stored body"
    assert first.header("x-cache") == "MISS"
    assert "fwd=uri-miss" in cache_status(first) and "stored" in cache_status(first)
    second = get(b, "/a")
    assert second.status == 200 and second.body == b"stored body"
    assert second.header("x-cache") == "HIT"
    assert cache_status(second).startswith("bulwark; hit")
    assert second.header("age") is not None and int(second.header("age")) >= 0
    assert s.count("/a") == 1


def test_an_expired_response_is_fetched_again(bulwark, script):
    s, o = script
    s.set("/short", headers=[("Cache-Control", "max-age=1")])
    b = start(bulwark, o)
    assert get(b, "/short").status == 200
    assert get(b, "/short").header("x-cache") == "HIT"
    time.sleep(2.2)
    again = get(b, "/short")
    assert again.header("x-cache") == "MISS"
    assert s.count("/short") == 2


@pytest.mark.parametrize("headers,request_headers", [
    ([("Cache-Control", "no-store")], None),
    ([("Cache-Control", "private, max-age=60")], None),
    ([("Cache-Control", "max-age=60"), ("Set-Cookie", "session=alice")], None),
    ([("Cache-Control", "max-age=60")], {"Authorization": "Bearer alice"}),
    ([("Cache-Control", "max-age=60"), ("Vary", "*")], None),
], ids=["no-store", "private", "set-cookie", "authorization", "vary-star"])
def test_private_and_unstorable_responses_are_never_reused(bulwark, script, headers, request_headers):
    s, o = script
    s.set("/private", headers=headers, body=b"alice's data")
    b = start(bulwark, o)
    for _ in range(3):
        r = get(b, "/private", headers=request_headers)
        assert r.status == 200 and r.header("x-cache") == "MISS"
    # Another user, without credentials, never gets alice's response from storage.
    assert get(b, "/private").header("x-cache") == "MISS"
    assert s.count("/private") == 4


def test_authorization_with_public_is_stored(bulwark, script):
    s, o = script
    s.set("/shared", headers=[("Cache-Control", "public, max-age=60")])
    b = start(bulwark, o)
    get(b, "/shared", headers={"Authorization": "Bearer alice"})
    assert get(b, "/shared", headers={"Authorization": "Bearer bob"}).header("x-cache") == "HIT"
    assert s.count("/shared") == 1


def test_vary_keeps_one_response_per_value(bulwark, script):
    s, o = script

    def by_language(ex):
        lang = ex.req.header("accept-language", "none")
        ex.respond(200, [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language"),
                         ("Content-Type", "text/plain")], f"lang={lang}".encode())

    s.set("/v", handler=by_language)
    b = start(bulwark, o)
    assert get(b, "/v", {"Accept-Language": "fr"}).body == b"lang=fr"
    assert get(b, "/v", {"Accept-Language": "de"}).body == b"lang=de"
    fr = get(b, "/v", {"Accept-Language": "fr"})
    de = get(b, "/v", {"Accept-Language": "de"})
    assert (fr.body, fr.header("x-cache")) == (b"lang=fr", "HIT")
    assert (de.body, de.header("x-cache")) == (b"lang=de", "HIT")
    other = get(b, "/v", {"Accept-Language": "it"})
    assert other.body == b"lang=it" and "fwd=vary-miss" in cache_status(other)
    assert s.count("/v") == 3


def test_stale_response_is_revalidated_with_its_validators(bulwark, script):
    s, o = script
    etag = '"v1"'

    def validating(ex):
        if ex.req.header("if-none-match") == etag:
            ex.respond(304, [("ETag", etag), ("Cache-Control", "max-age=1"), ("X-Fresh", "yes")], b"")
        else:
            ex.respond(200, [("ETag", etag), ("Cache-Control", "max-age=1"),
                             ("Content-Type", "text/plain")], b"full representation")

    s.set("/r", handler=validating)
    b = start(bulwark, o)
    assert get(b, "/r").body == b"full representation"
    time.sleep(2.2)
    refreshed = get(b, "/r")
    assert refreshed.status == 200 and refreshed.body == b"full representation"
    assert refreshed.header("x-cache") == "REVALIDATED"
    assert "fwd-status=304" in cache_status(refreshed)
    assert refreshed.header("x-fresh") == "yes"  # the 304's fields updated the stored ones
    sent = s.requests("/r")
    assert len(sent) == 2 and sent[1].header("if-none-match") == etag
    # Freshened: the next request is a hit.
    assert get(b, "/r").header("x-cache") == "HIT"
    assert s.count("/r") == 2


def test_client_conditional_requests_are_answered_from_storage(bulwark, script):
    s, o = script
    s.set("/c", headers=[("Cache-Control", "max-age=60"), ("ETag", '"abc"'),
                         ("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")], body=b"content")
    b = start(bulwark, o)
    get(b, "/c")
    not_modified = get(b, "/c", {"If-None-Match": '"abc"'})
    assert not_modified.status == 304 and not_modified.body == b""
    assert not_modified.header("etag") == '"abc"'
    modified = get(b, "/c", {"If-None-Match": '"other"'})
    assert modified.status == 200 and modified.body == b"content"
    since = get(b, "/c", {"If-Modified-Since": "Tue, 03 Jan 2006 00:00:00 GMT"})
    assert since.status == 304
    assert s.count("/c") == 1


def test_head_is_answered_from_a_stored_get(bulwark, script):
    s, o = script
    s.set("/h", headers=[("Cache-Control", "max-age=60")], body=b"x" * 1234)
    b = start(bulwark, o)
    get(b, "/h")
    r = get(b, "/h", method="HEAD")
    assert r.status == 200 and r.body == b""
    assert r.header("content-length") == "1234" and r.header("x-cache") == "HIT"
    assert s.count("/h") == 1


def test_ranges_are_served_from_a_complete_stored_response(bulwark, script):
    s, o = script
    body = bytes(range(256)) * 40
    s.set("/bin", headers=[("Cache-Control", "max-age=60"), ("Content-Type", "application/octet-stream")],
          body=body)
    b = start(bulwark, o)
    get(b, "/bin")
    one = get(b, "/bin", {"Range": "bytes=10-19"})
    assert one.status == 206 and one.body == body[10:20]
    assert one.header("content-range") == f"bytes 10-19/{len(body)}"
    many = get(b, "/bin", {"Range": "bytes=0-1,100-101"})
    assert many.status == 206
    assert many.header("content-type").startswith("multipart/byteranges; boundary=")
    assert body[0:2] in many.body and body[100:102] in many.body
    assert f"Content-Range: bytes 100-101/{len(body)}".encode() in many.body
    beyond = get(b, "/bin", {"Range": f"bytes={len(body) + 5}-"})
    assert beyond.status == 416 and beyond.header("content-range") == f"bytes */{len(body)}"
    assert s.count("/bin") == 1


def test_stale_if_error_serves_the_stored_response_when_the_origin_fails(bulwark, script):
    s, o = script
    s.set("/s", headers=[("Cache-Control", "max-age=1, stale-if-error=60")], body=b"old but good")
    b = start(bulwark, o)
    get(b, "/s")
    time.sleep(2.2)
    s.set("/s", status=503, body=b"down")
    stale = get(b, "/s")
    assert stale.status == 200 and stale.body == b"old but good"
    assert stale.header("x-cache") == "STALE"
    # Without stale-if-error the error goes through.
    s.set("/n", headers=[("Cache-Control", "max-age=1")], body=b"plain")
    get(b, "/n")
    time.sleep(2.2)
    s.set("/n", status=503, body=b"down")
    assert get(b, "/n").status == 503


def test_serve_stale_while_the_cluster_is_down(bulwark, origin):
    s = Script()
    o = origin(s)
    s.set("/d", headers=[("Cache-Control", "max-age=1")], body=b"kept")
    b = start(bulwark, o, serve_stale_on_error=True)
    get(b, "/d")
    time.sleep(2.2)
    o.stop()
    r = get(b, "/d")
    assert r.status == 200 and r.body == b"kept" and r.header("x-cache") == "STALE"
    # A path never stored still fails as before.
    assert get(b, "/never").status == 502


def test_must_revalidate_forbids_stale_on_error(bulwark, origin):
    s = Script()
    o = origin(s)
    s.set("/m", headers=[("Cache-Control", "max-age=1, must-revalidate, stale-if-error=60")], body=b"strict")
    b = start(bulwark, o, serve_stale_on_error=True)
    get(b, "/m")
    time.sleep(2.2)
    o.stop()
    assert get(b, "/m").status == 502


async def _fetch(port, path):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    return data


def test_a_thousand_concurrent_misses_send_one_request_upstream(bulwark, script):
    s, o = script
    body = b"collapsed " * 1000

    def slow(ex):
        time.sleep(1.0)
        ex.respond(200, [("Cache-Control", "max-age=60"), ("Content-Type", "text/plain")], body)

    s.set("/hot", handler=slow)
    b = start(bulwark, o)

    async def all_of_them():
        return await asyncio.gather(*(_fetch(b.port, "/hot") for _ in range(1000)))

    answers = asyncio.run(all_of_them())
    assert all(a.startswith(b"HTTP/1.1 200") and a.endswith(body) for a in answers)
    assert s.count("/hot") == 1
    assert sum(b"collapsed" in a.split(b"\r\n\r\n")[0] for a in answers) >= 900


def test_collapsed_requests_stream_the_body_as_it_arrives(bulwark, script):
    s, o = script
    release = threading.Event()

    def halting(ex):
        head = b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 20\r\n\r\n"
        ex.conn.send(head + b"first half")
        release.wait(10)
        ex.conn.send(b"secondhalf")

    s.set("/stream", handler=halting)
    b = start(bulwark, o)
    leader = RawClient(b.port)
    leader.sock.sendall(b"GET /stream HTTP/1.1\r\nHost: test.local\r\n\r\n")
    assert o.wait_for_requests(1, timeout=5)
    follower = socket.create_connection(("127.0.0.1", b.port), timeout=5)
    follower.sendall(b"GET /stream HTTP/1.1\r\nHost: test.local\r\n\r\n")
    got = b""
    deadline = time.monotonic() + 5
    while b"first half" not in got and time.monotonic() < deadline:
        got += follower.recv(65536)
    # The follower has the first half while the origin still holds the second.
    assert b"first half" in got and not release.is_set()
    assert b"collapsed" in got
    release.set()
    while not got.endswith(b"secondhalf"):
        more = follower.recv(65536)
        assert more
        got += more
    follower.close()
    leader.close()
    assert s.count("/stream") == 1


def test_a_follower_that_leaves_does_not_fail_the_others(bulwark, script):
    s, o = script

    def slow(ex):
        time.sleep(1.0)
        ex.respond(200, [("Cache-Control", "max-age=60"), ("Content-Type", "text/plain")], b"z" * 50000)

    s.set("/leave", handler=slow)
    b = start(bulwark, o)
    quitter = socket.create_connection(("127.0.0.1", b.port))
    quitter.sendall(b"GET /leave HTTP/1.1\r\nHost: test.local\r\n\r\n")

    async def others():
        return await asyncio.gather(*(_fetch(b.port, "/leave") for _ in range(5)))

    threading.Timer(0.3, quitter.close).start()
    answers = asyncio.run(others())
    assert [a[:200] for a in answers if not a.endswith(b"z" * 50000)] == []
    assert s.count("/leave") == 1


def test_purge_removes_a_url_and_is_limited_to_configured_networks(bulwark, script):
    s, o = script
    s.set("/p", headers=[("Cache-Control", "max-age=60")])
    b = start(bulwark, o)
    get(b, "/p")
    assert get(b, "/p").header("x-cache") == "HIT"
    purged = get(b, "/p", method="PURGE")
    assert purged.status == 200 and purged.json() == {"purged": 1}
    assert get(b, "/p").header("x-cache") == "MISS"
    assert s.count("/p") == 2

    closed = start(bulwark, o, purge_from=["10.0.0.0/8"])
    get(closed, "/p")
    assert get(closed, "/p", method="PURGE").status == 403
    assert get(closed, "/p").header("x-cache") == "HIT"


def test_purge_by_prefix_regex_and_tag(bulwark, script):
    s, o = script
    for path, tag in [("/img/a.png", "images"), ("/img/b.png", "images"), ("/css/c.css", "styles"),
                      ("/js/d.js", "scripts")]:
        s.set(path, headers=[("Cache-Control", "max-age=60"), ("Surrogate-Key", f"{tag} all")])
    b = start(bulwark, o)
    paths = ["/img/a.png", "/img/b.png", "/css/c.css", "/js/d.js"]
    for p in paths:
        get(b, p)
    assert get(b, "/img/*", method="PURGE").json() == {"purged": 2}
    assert get(b, "/", {"Purge-Regex": r"\.css$"}, method="PURGE").json() == {"purged": 1}
    assert get(b, "/", {"Surrogate-Key": "scripts"}, method="PURGE").json() == {"purged": 1}
    assert [get(b, p).header("x-cache") for p in paths] == ["MISS"] * 4
    assert get(b, "/", {"Purge-Regex": "("}, method="PURGE").status == 400


def test_unsafe_methods_invalidate_the_target(bulwark, script):
    s, o = script
    s.set("/doc", headers=[("Cache-Control", "max-age=60")], body=b"v1")
    b = start(bulwark, o)
    get(b, "/doc")
    assert get(b, "/doc").header("x-cache") == "HIT"
    s.set("/doc", status=204, body=b"")
    with RawClient(b.port) as c:
        assert c.request("POST", "/doc", body=b"change").status == 204
    s.set("/doc", headers=[("Cache-Control", "max-age=60")], body=b"v2")
    after = get(b, "/doc")
    assert after.body == b"v2" and after.header("x-cache") == "MISS"


def test_unkeyed_forwarding_headers_cannot_poison_the_cache(bulwark, script):
    s, o = script

    def reflecting(ex):
        host = ex.req.header("x-forwarded-host", "none")
        ex.respond(200, [("Cache-Control", "max-age=60"), ("Content-Type", "text/html")],
                   f'<script src="//{host}/app.js"></script>'.encode())

    s.set("/page", handler=reflecting)
    b = start(bulwark, o)
    attack = get(b, "/page", {"X-Forwarded-Host": "evil.example"})
    assert b"evil.example" not in attack.body
    victim = get(b, "/page")
    assert b"evil.example" not in victim.body and victim.header("x-cache") == "HIT"


def test_responses_over_max_object_are_not_stored(bulwark, script):
    s, o = script
    s.set("/big", headers=[("Cache-Control", "max-age=60")], body=b"b" * 200_000)
    b = start(bulwark, o, max_object="100KiB")
    for _ in range(2):
        r = get(b, "/big")
        assert r.status == 200 and len(r.body) == 200_000 and r.header("x-cache") == "MISS"
    assert s.count("/big") == 2


def test_bypass_headers_skip_the_cache(bulwark, script):
    s, o = script
    s.set("/b", headers=[("Cache-Control", "max-age=60")])
    b = start(bulwark, o, bypass_headers=["x-no-cache"])
    get(b, "/b")
    bypassed = get(b, "/b", {"X-No-Cache": "1"})
    assert "fwd=bypass" in cache_status(bypassed)
    assert get(b, "/b").header("x-cache") == "HIT"
    assert s.count("/b") == 2


def test_request_no_cache_goes_to_the_origin(bulwark, script):
    s, o = script
    s.set("/nc", headers=[("Cache-Control", "max-age=60")])
    b = start(bulwark, o)
    get(b, "/nc")
    forced = get(b, "/nc", {"Cache-Control": "no-cache"})
    assert "fwd=request" in cache_status(forced)
    assert s.count("/nc") == 2
    only = get(b, "/missing", {"Cache-Control": "only-if-cached"})
    assert only.status == 504


def test_chunked_origin_responses_are_stored(bulwark, script):
    s, o = script

    def chunked(ex):
        ex.conn.send(b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")

    s.set("/chunked", handler=chunked)
    b = start(bulwark, o)
    assert get(b, "/chunked").body == b"hello world"
    hit = get(b, "/chunked")
    assert hit.body == b"hello world" and hit.header("content-length") == "11"
    assert s.count("/chunked") == 1


def test_quick_mode_cache(bulwark, script):
    s, o = script
    s.set("/q", headers=[("Cache-Control", "max-age=60")], body=b"quick")
    b = bulwark.quick("--to", o.url, "--cache=16MiB")
    get(b, "/q")
    hit = get(b, "/q")
    assert hit.body == b"quick" and cache_status(hit).startswith("bulwark; hit")
    assert s.count("/q") == 1


def test_a_bad_cache_configuration_is_refused(bulwark, tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("listeners:\n  - name: l\n    listen: 127.0.0.1:1\n    virtual_hosts:\n"
                      "      - domains: ['*']\n        filters:\n          - cache: { ttl: { abc: 5s } }\n"
                      "        routes: [ { match: { prefix: / }, direct_response: { status: 200 } } ]\n")
    b = bulwark.raw(["validate", "-c", str(config)])
    b.start(wait=False)
    assert b.wait(10) == 1
    assert "bad.yaml:7:" in b.stderr_text() and "'abc' is not a status code" in b.stderr_text()


def test_stale_while_revalidate_serves_stale_and_refreshes_once(bulwark, script):
    s, o = script
    versions = iter([b"v1", b"v2", b"v3"])

    def versioned(ex):
        ex.respond(200, [("Cache-Control", "max-age=1, stale-while-revalidate=60"),
                         ("Content-Type", "text/plain")], next(versions))

    s.set("/swr", handler=versioned)
    b = start(bulwark, o)
    assert get(b, "/swr").body == b"v1"
    time.sleep(2.2)
    stale = get(b, "/swr")
    # The stale copy at once; the refresh runs behind it, once however many clients ask.
    assert stale.body == b"v1" and stale.header("x-cache") == "STALE"
    assert "stale-while-revalidate" in cache_status(stale)
    assert o.wait_for_requests(2, timeout=5)
    deadline = time.monotonic() + 5
    while get(b, "/swr").body != b"v2" and time.monotonic() < deadline:
        time.sleep(0.1)
    refreshed = get(b, "/swr")
    assert refreshed.body == b"v2" and refreshed.header("x-cache") == "HIT"
    assert s.count("/swr") == 2
