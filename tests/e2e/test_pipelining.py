"""Pipelined requests (several written in one send) are answered in order, with the right bodies."""

import os

import origins as O
from http_client import RawClient, build_request, chunked_body


def test_pipelined_gets_answered_in_order(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    n = 20
    with RawClient(b.port) as c:
        c.send(b"".join(build_request("GET", f"/pipe/{i}", {"X-Seq": str(i)}) for i in range(n)))
        responses = c.read_responses(["GET"] * n)
    for i, r in enumerate(responses):
        assert r.status == 200, r
        info = r.json()
        assert info["target"] == f"/pipe/{i}", f"response {i} answers {info['target']}"
        assert {k.lower(): v for k, v in info["headers"]}.get("x-seq") == str(i)
    assert len(o.requests) == n


def test_pipelined_mixed_methods_and_bodies(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    big = os.urandom(70_000).hex().encode()  # 140 KB, larger than one buffer
    reqs = [
        ("GET", build_request("GET", "/one")),
        ("POST", build_request("POST", "/two", body=b"payload-two")),
        ("HEAD", build_request("HEAD", "/three")),
        ("PUT", build_request("PUT", "/four", [("Transfer-Encoding", "chunked")],
                              chunked_body([b"chunk-a", b"chunk-b"]))),
        ("POST", build_request("POST", "/five", body=big)),
        ("GET", build_request("GET", "/six")),
    ]
    with RawClient(b.port) as c:
        c.send(b"".join(data for _, data in reqs))
        responses = c.read_responses([m for m, _ in reqs])
    targets = ["/one", "/two", "/three", "/four", "/five", "/six"]
    for (method, _), r, target in zip(reqs, responses, targets):
        assert r.status == 200, r
        if method == "HEAD":
            assert r.body == b""
            continue
        info = r.json()
        assert info["target"] == target
        assert info["method"] == method
    assert responses[1].json()["body"] == "payload-two"
    assert responses[3].json()["body"] == "chunk-achunk-b"
    assert responses[4].json()["body_len"] == len(big)


def test_pipelined_order_kept_when_first_is_slow(bulwark, origin):
    o = origin(O.route({"/slow": O.slow(0.5)}, default=O.echo()))
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        c.send(build_request("GET", "/slow/0") + build_request("GET", "/fast/1") + build_request("GET", "/fast/2"))
        responses = c.read_responses(["GET"] * 3)
    assert [r.json()["target"] for r in responses] == ["/slow/0", "/fast/1", "/fast/2"]


def test_pipelined_with_close_on_last(bulwark, origin):
    o = origin(O.echo())
    b = bulwark([o.hostport])
    with RawClient(b.port) as c:
        c.send(build_request("GET", "/a") + build_request("GET", "/b") +
               build_request("GET", "/c", {"Connection": "close"}))
        responses = c.read_responses(["GET"] * 3)
        assert [r.json()["target"] for r in responses] == ["/a", "/b", "/c"]
        assert c.wait_closed(3), "the connection must close after the request that asked for it"


def test_pipeline_split_at_awkward_boundaries(bulwark, origin):
    """The same pipeline delivered a few bytes at a time still parses the same way."""
    o = origin(O.echo())
    b = bulwark([o.hostport])
    data = b"".join(build_request("POST", f"/split/{i}", body=f"body-{i}".encode()) for i in range(5))
    with RawClient(b.port) as c:
        for i in range(0, len(data), 7):
            c.send(data[i:i + 7])
        responses = c.read_responses(["POST"] * 5)
    assert [r.json()["body"] for r in responses] == [f"body-{i}" for i in range(5)]
