"""Bodies stream through with bounded memory, and a slow reader slows the writer behind it.

The origins and clients here stream too (nothing holds a body in memory), with large socket
operations so that gigabytes take seconds. bulwark's RSS is sampled every 100 ms."""

import json
import threading
import time

import pytest

import origins as O
from http_client import RawClient, build_request

GiB = 1 << 30
MiB = 1 << 20
RSS_LIMIT = 64 * MiB
BIG = 4 * GiB


def stream_upload(c: RawClient, size: int, block: int = 8 * MiB) -> int:
    """Send `size` bytes of body; returns bytes sent (stops early if bulwark closes)."""
    data = memoryview(bytes(range(256)) * (block // 256))
    sent = 0
    try:
        while sent < size:
            n = min(block, size - sent)
            c.sock.sendall(data[:n])
            sent += n
    except (BrokenPipeError, ConnectionResetError):
        pass
    return sent


def stream_download(c: RawClient, size: int, check_pattern=True) -> int:
    """Read up to `size` body bytes after the head (already read); checks the origin's
    byte pattern (offset % 256) at both ends of every read."""
    got = 0
    if c.buf:
        pre = bytes(c.buf[:size])
        del c.buf[:len(pre)]
        if check_pattern:
            assert all(b == (i % 256) for i, b in enumerate(pre[:4096])), "download body corrupted"
        got = len(pre)
    buf = bytearray(8 * MiB)
    view = memoryview(buf)
    c.sock.settimeout(30)
    while got < size:
        n = c.sock.recv_into(view, min(len(buf), size - got))
        if n == 0:
            break
        if check_pattern:
            assert view[0] == got % 256 and view[n - 1] == (got + n - 1) % 256, f"body corrupted near offset {got}"
        got += n
    return got


def baseline_and_limit(b) -> str:
    return f"RSS limit {RSS_LIMIT // MiB} MiB (idle RSS was {b.rss() / MiB:.1f} MiB)"


@pytest.mark.slow
@pytest.mark.xdist_group("heavy")
@pytest.mark.timeout(600)
def test_4gib_upload_streams_with_bounded_rss(bulwark, origin, rss_sampler):
    o = origin(O.upload_sink())
    b = bulwark([o.hostport], limits={"max_body_bytes": "8GiB"})
    idle = baseline_and_limit(b)
    sampler = rss_sampler(b.pid)
    start = time.monotonic()
    with RawClient(b.port, timeout=60) as c:
        c.send(build_request("PUT", "/upload", [("Content-Length", str(BIG)),
                                                ("Content-Type", "application/octet-stream")]))
        sent = stream_upload(c, BIG)
        r = c.read_response("PUT")
    elapsed = time.monotonic() - start
    peak = sampler.stop()
    assert sent == BIG, f"bulwark stopped taking the upload after {sent} bytes; answer: {r}"
    assert r.status == 200, r
    assert json.loads(r.body)["received"] == BIG
    assert o.requests and o.requests[-1].body_len == BIG
    assert peak < RSS_LIMIT, f"peak RSS {peak / MiB:.1f} MiB during a 4 GiB upload; {idle}"
    print(f"4 GiB upload in {elapsed:.1f} s, peak RSS {peak / MiB:.1f} MiB")


@pytest.mark.slow
@pytest.mark.xdist_group("heavy")
@pytest.mark.timeout(600)
def test_4gib_download_streams_with_bounded_rss(bulwark, origin, rss_sampler):
    o = origin(O.huge_download(BIG))
    b = bulwark([o.hostport])
    idle = baseline_and_limit(b)
    sampler = rss_sampler(b.pid)
    start = time.monotonic()
    with RawClient(b.port, timeout=60) as c:
        c.send(build_request("GET", "/download"))
        head = c.read_head()
        assert head.status == 200, head
        assert head.header("content-length") == str(BIG), f"Content-Length not kept: {head.headers}"
        got = stream_download(c, BIG)
        assert got == BIG, f"download ended after {got} of {BIG} bytes"
        # Exactly the body: the connection carries on with the next response.
        r2 = c.request("HEAD", "/download")
        assert r2.status == 200
    elapsed = time.monotonic() - start
    peak = sampler.stop()
    assert peak < RSS_LIMIT, f"peak RSS {peak / MiB:.1f} MiB during a 4 GiB download; {idle}"
    print(f"4 GiB download in {elapsed:.1f} s, peak RSS {peak / MiB:.1f} MiB")


def test_chunked_download_streams_with_bounded_rss(bulwark, origin, rss_sampler):
    size = 512 * MiB
    o = origin(O.huge_download(size, block=1 * MiB, use_chunked=True))
    b = bulwark([o.hostport])
    sampler = rss_sampler(b.pid)
    with RawClient(b.port, timeout=60) as c:
        c.send(build_request("GET", "/chunked-download"))
        head = c.read_head()
        assert head.status == 200
        assert head.header("transfer-encoding") is not None or head.header("content-length") is None
        assert c.count_body(head) == size
    peak = sampler.stop()
    assert peak < RSS_LIMIT, f"peak RSS {peak / MiB:.1f} MiB during a 512 MiB chunked download"


def test_slow_client_slows_the_upstream_read(bulwark, origin, rss_sampler):
    size = 256 * MiB
    o = origin(O.huge_download(size))
    b = bulwark([o.hostport])
    sampler = rss_sampler(b.pid)
    with RawClient(b.port, timeout=30) as c:
        c.send(build_request("GET", "/firehose"))
        time.sleep(3.0)  # read nothing at all
        sent_while_stalled = o.total_bytes_sent
        rss_while_stalled = b.rss()
        assert sent_while_stalled < 32 * MiB, (
            f"the origin sent {sent_while_stalled / MiB:.1f} MiB while the client read nothing for 3 s: "
            f"bulwark does not apply backpressure")
        assert rss_while_stalled < RSS_LIMIT, f"RSS {rss_while_stalled / MiB:.1f} MiB while the client stalls"
        # Reading resumes the transfer, and it completes intact.
        head = c.read_head()
        assert head.status == 200
        got = stream_download(c, size)
        assert got == size
    assert sampler.stop() < RSS_LIMIT


def test_slow_origin_reader_slows_the_client_upload(bulwark, origin):
    """Backpressure the other way: an origin that reads nothing for 3 s bounds what the client
    can push into bulwark."""
    def delayed_sink(ex):
        time.sleep(3.0)
        n = ex.discard_body()
        ex.finish_request()
        ex.respond(200, [("Content-Type", "application/json")], json.dumps({"received": n}).encode())

    size = 256 * MiB
    o = origin(delayed_sink)
    b = bulwark([o.hostport])
    sent = [0]
    with RawClient(b.port, timeout=30) as c:
        c.send(build_request("PUT", "/slow-sink", [("Content-Length", str(size))]))

        def pump():
            data = memoryview(bytes(1 * MiB))
            while sent[0] < size:
                try:
                    c.sock.sendall(data)
                except OSError:
                    return
                sent[0] += len(data)

        t = threading.Thread(target=pump, daemon=True)
        t.start()
        time.sleep(2.5)
        pushed = sent[0]
        assert pushed < 40 * MiB, f"the client pushed {pushed / MiB:.1f} MiB while the origin read nothing"
        t.join(timeout=60)
        r = c.read_response("PUT")
    assert r.status == 200, r
    assert json.loads(r.body)["received"] == size


def test_chunked_upload_streams(bulwark, origin, rss_sampler):
    """A chunked upload of 256 MiB passes with bounded memory."""
    o = origin(O.upload_sink())
    b = bulwark([o.hostport])
    sampler = rss_sampler(b.pid)
    size, piece = 256 * MiB, 1 * MiB
    chunk = f"{piece:x}\r\n".encode() + bytes(piece) + b"\r\n"
    with RawClient(b.port, timeout=30) as c:
        c.send(build_request("POST", "/chunked-up", [("Transfer-Encoding", "chunked")]))
        for _ in range(size // piece):
            c.sock.sendall(chunk)
        c.send(b"0\r\n\r\n")
        r = c.read_response("POST")
    assert r.status == 200, r
    assert json.loads(r.body)["received"] == size
    assert sampler.stop() < RSS_LIMIT
