"""Response compression (issue 8): Accept-Encoding negotiation, gzip, brotli and zstd checked with
Debian's command-line decoders, the responses left alone, the header rewrites, streaming from a
slow backend, HTTP/2 clients and quick mode's --compress."""

import ctypes
import ctypes.util
import hashlib
import random
import socket
import subprocess
import threading
import time
import zlib

import pytest

from conftest import base_config
from http_client import RawClient, build_request, request
from origins import PeerClosed
from tls_support import listener_tls, tls_config

DECODERS = {"gzip": ["gzip", "-dc"], "br": ["brotli", "-dc"], "zstd": ["zstd", "-dcq"]}


def page(size: int) -> bytes:
    """HTML that compresses as real pages do: repeated markup with varying text."""
    rng = random.Random(size)
    rows = []
    while sum(len(r) for r in rows) < size:
        rows.append(f"<tr><td class=\"sku\">{rng.randrange(10**6)}</td><td>{rng.choice(['red', 'green', 'blue'])}"
                    f" widget</td><td>{rng.random():.4f}</td></tr>\n".encode())
    return b"".join(rows)[:size]


BODY = page(100 * 1024)
ETAG = '"v1-' + hashlib.sha256(BODY).hexdigest()[:12] + '"'


def site(ex):
    """The origin: a page, and variants of it selected by the path."""
    ex.finish_request()
    path = ex.req.target.split("?")[0]
    headers = [("Content-Type", "text/html; charset=utf-8"), ("ETag", ETAG), ("Accept-Ranges", "bytes")]
    body = BODY
    status = 200
    if path == "/tiny":
        body = b"<p>short</p>"
    elif path == "/png":
        headers[0] = ("Content-Type", "image/png")
    elif path == "/json":
        headers[0] = ("Content-Type", "application/json")
        body = b"[" + b",".join(b'{"id": %d, "name": "item"}' % i for i in range(2000)) + b"]"
    elif path == "/encoded":
        headers.append(("Content-Encoding", "gzip"))
        body = gzip_bytes(BODY)
    elif path == "/no-transform":
        headers.append(("Cache-Control", "public, no-transform"))
    elif path == "/vary":
        headers.append(("Vary", "Origin"))
    elif path == "/partial":
        status = 206
        headers.append(("Content-Range", f"bytes 0-{len(BODY) - 1}/{len(BODY) * 2}"))
    elif path == "/no-content":
        status, body = 204, b""
    elif path == "/chunked":
        head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        ex.conn.send(head.encode())
        for at in range(0, len(BODY), 7000):
            piece = BODY[at:at + 7000]
            ex.conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        ex.conn.send(b"0\r\n\r\n")
        return
    ex.respond(status, headers, body)


def gzip_bytes(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def decode_with_cli(coding: str, data: bytes) -> bytes:
    r = subprocess.run(DECODERS[coding], input=data, capture_output=True, timeout=30)
    assert r.returncode == 0, f"{coding} -d failed: {r.stderr!r}"
    return r.stdout


def compression_filter(**settings) -> dict:
    return {"compression": settings}


@pytest.fixture
def compressing(bulwark, origin, free_port_factory):
    """bulwark with the compression filter (settings as given) in front of `handler`."""

    def start(handler=site, routes=None, **settings):
        backend = origin(handler)
        port = free_port_factory()
        config = base_config(port, [backend.hostport], routes)
        config["listeners"][0]["virtual_hosts"][0]["filters"] = [compression_filter(**settings)]
        return bulwark(config=config, port=port)

    return start


def get(b, path="/", accept=None, method="GET", headers=None):
    fields = dict(headers or {})
    if accept is not None:
        fields["Accept-Encoding"] = accept
    return request(b.port, method, path, fields)


# ---- negotiation -----------------------------------------------------------------------------

@pytest.mark.parametrize("accept,expected", [
    ("gzip, deflate, br, zstd", "zstd"),          # the server's preference among equals
    ("gzip, br", "br"),
    ("gzip", "gzip"),
    ("x-gzip", "gzip"),
    ("zstd;q=0.5, br;q=0.7, gzip;q=0.9", "gzip"),  # the client's weights first
    ("zstd;q=0, br;q=0, gzip", "gzip"),           # q=0 refuses
    ("*", "zstd"),
    ("zstd;q=0, *", "br"),
    ("*;q=0", None),
    ("gzip;q=0.5, identity", None),               # identity preferred
    ("identity", None),
    ("deflate, compress", None),
    ("", None),
    (None, None),                                  # no Accept-Encoding: no coding
])
def test_negotiation(compressing, accept, expected):
    b = compressing()
    r = get(b, accept=accept)
    assert r.status == 200
    assert r.header("content-encoding") == expected
    assert r.header("vary") == "accept-encoding"
    if expected is None:
        assert r.body == BODY and r.header("content-length") == str(len(BODY))
    else:
        assert r.header("content-length") is None and r.chunked
        assert decode_with_cli(expected, r.body) == BODY


def test_http10_clients_get_a_body_ended_by_the_close(compressing):
    b = compressing()
    r = request(b.port, "GET", "/", {"Accept-Encoding": "gzip"}, version="HTTP/1.0")
    assert r.header("content-encoding") == "gzip" and not r.chunked
    assert r.header("content-length") is None
    assert decode_with_cli("gzip", r.body) == BODY


def test_a_request_with_no_transform_gets_the_body_as_it_is(compressing):
    b = compressing()
    r = get(b, accept="gzip", headers={"Cache-Control": "no-transform"})
    assert r.header("content-encoding") is None and r.body == BODY


def test_configured_preference_order(compressing):
    b = compressing(encodings=["gzip", "br"])
    assert get(b, accept="zstd, br, gzip").header("content-encoding") == "gzip"
    assert get(b, accept="zstd, br").header("content-encoding") == "br"
    r = get(b, accept="zstd")
    assert r.header("content-encoding") is None and r.body == BODY


# ---- each codec through Debian's decoders ----------------------------------------------------

@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
@pytest.mark.parametrize("path", ["/", "/json", "/chunked"])
def test_codec_round_trips_byte_identical(compressing, coding, path):
    b = compressing(levels={"gzip": 9, "br": 4, "zstd": 7})
    plain = get(b, path=path, accept="identity")
    r = get(b, path=path, accept=coding)
    assert r.status == 200 and r.header("content-encoding") == coding
    assert len(r.body) < len(plain.body) / 3
    assert decode_with_cli(coding, r.body) == plain.body
    if path != "/json":
        assert plain.body == BODY


def test_a_large_body_streams_through_with_bounded_memory(compressing, origin):
    size = 64 << 20

    def big(ex):
        ex.finish_request()
        ex.conn.send(f"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {size}\r\n\r\n".encode())
        block = BODY * 4
        sent = 0
        while sent < size:
            piece = block[:size - sent]
            ex.conn.send(piece)
            sent += len(piece)

    b = compressing(big, encodings=["zstd"])
    before = b.rss()
    with socket.create_connection(("127.0.0.1", b.port), timeout=30) as s:
        s.sendall(build_request("GET", "/", {"Accept-Encoding": "zstd", "Connection": "close"}))
        proc = subprocess.Popen(["zstd", "-dcq"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        digest = hashlib.sha256()
        reader = threading.Thread(target=lambda: [digest.update(c) for c in iter(lambda: proc.stdout.read(1 << 16), b"")])
        reader.start()
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        assert b"content-encoding: zstd" in head.lower()
        decoder = ChunkedDecoder()
        proc.stdin.write(decoder.feed(rest))
        peak = 0
        while not decoder.done:
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            proc.stdin.write(decoder.feed(chunk))
            peak = max(peak, b.rss())
        proc.stdin.close()
        reader.join(60)
        assert proc.wait(30) == 0
    assert decoder.done
    expected = hashlib.sha256()
    block = BODY * 4
    sent = 0
    while sent < size:
        piece = block[:size - sent]
        expected.update(piece)
        sent += len(piece)
    assert digest.hexdigest() == expected.hexdigest()
    assert peak - before < 32 << 20, f"RSS grew by {(peak - before) >> 20} MiB for a {size >> 20} MiB body"


class ChunkedDecoder:
    """Incremental chunked-body decoder for bytes read from a raw socket."""

    def __init__(self):
        self.buf = b""
        self.left = 0      # data bytes still to come in the current chunk
        self.crlf = False  # the CRLF after a chunk's data is next
        self.done = False

    def feed(self, data: bytes) -> bytes:
        self.buf += data
        out = bytearray()
        while not self.done:
            if self.left:
                take = self.buf[:self.left]
                out += take
                self.buf = self.buf[len(take):]
                self.left -= len(take)
                if self.left:
                    break
                self.crlf = True
            if self.crlf:
                if len(self.buf) < 2:
                    break
                assert self.buf[:2] == b"\r\n"
                self.buf, self.crlf = self.buf[2:], False
            line, sep, rest = self.buf.partition(b"\r\n")
            if not sep:
                break
            self.buf, self.left = rest, int(line.split(b";")[0], 16)
            self.done = self.left == 0
        return bytes(out)


# ---- what is left alone ----------------------------------------------------------------------

@pytest.mark.parametrize("path,why", [
    ("/tiny", "shorter than min_length"),
    ("/png", "not a compressible type"),
    ("/no-transform", "Cache-Control: no-transform"),
    ("/partial", "a 206 partial response"),
])
def test_responses_sent_as_they_are(compressing, path, why):
    b = compressing()
    plain = get(b, path=path)
    r = get(b, path=path, accept="gzip, br, zstd")
    assert r.header("content-encoding") is None, why
    assert r.body == plain.body and r.header("content-length") == str(len(r.body)), why
    assert r.header("etag") == ETAG, why  # untouched: the bytes are the backend's


def test_an_encoded_response_is_not_encoded_again(compressing):
    b = compressing()
    r = get(b, path="/encoded", accept="br, gzip")
    assert r.header("content-encoding") == "gzip"
    assert decode_with_cli("gzip", r.body) == BODY


def test_head_and_no_content_are_left_alone(compressing):
    b = compressing()
    r = get(b, method="HEAD", accept="gzip")
    assert r.status == 200 and r.header("content-encoding") is None
    assert r.header("content-length") == str(len(BODY)) and r.body == b""
    r = get(b, path="/no-content", accept="gzip")
    assert r.status == 204 and r.header("content-encoding") is None


def test_min_length_and_content_types_are_configurable(compressing):
    b = compressing(min_length="8B", content_types=["image/png"])
    assert get(b, path="/tiny", accept="gzip").header("content-encoding") is None  # text/html now
    r = get(b, path="/png", accept="gzip")
    assert r.header("content-encoding") == "gzip" and decode_with_cli("gzip", r.body) == BODY


def test_local_replies_are_not_compressed(compressing):
    b = compressing(routes=[
        {"match": {"prefix": "/direct"},
         "direct_response": {"status": 200, "body": "x" * 5000, "headers": {"content-type": "text/plain"}}},
        {"match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}])
    r = get(b, path="/direct", accept="gzip")
    assert r.status == 200 and r.header("content-encoding") is None and r.body == b"x" * 5000
    r = get(b, path="/proxied", accept="gzip")
    assert r.header("content-encoding") == "gzip"


# ---- header rewrites -------------------------------------------------------------------------

def test_head_rewrites_when_compressing(compressing):
    b = compressing()
    r = get(b, accept="gzip")
    assert r.header("content-encoding") == "gzip"
    assert r.header("etag") == "W/" + ETAG        # weakened: other bytes than the backend's
    assert r.header("accept-ranges") is None
    assert r.header("content-length") is None
    assert r.header("vary") == "accept-encoding"
    r = get(b, path="/vary", accept="gzip")
    assert r.headers.get_all("vary") == ["Origin", "accept-encoding"]


def test_vary_is_added_for_clients_that_do_not_accept(compressing):
    b = compressing()
    r = get(b)
    assert r.header("content-encoding") is None
    assert r.header("vary") == "accept-encoding"
    assert r.header("etag") == ETAG


# ---- streaming -------------------------------------------------------------------------------

def test_a_slow_backends_compressed_runs_reach_the_client_before_it_finishes(compressing):
    first = b"<html><body>" + b"<p>first part, sent at once</p>\n" * 40
    second = b"<p>second part, sent later</p>\n" * 40 + b"</body></html>"
    release = threading.Event()

    def slow_page(ex):
        ex.finish_request()
        ex.conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
        ex.conn.send(f"{len(first):x}\r\n".encode() + first + b"\r\n")
        if not release.wait(20):
            raise PeerClosed("the test never released the second part")
        ex.conn.send(f"{len(second):x}\r\n".encode() + second + b"\r\n0\r\n\r\n")

    for coding in ("gzip", "br", "zstd"):
        release.clear()
        b = compressing(slow_page)
        with RawClient(b.port, timeout=10) as c:
            c.send(build_request("GET", "/", {"Accept-Encoding": coding}))
            head = c.read_head()
            assert head.header("content-encoding") == coding
            decoder = ChunkedDecoder()
            received = b""
            deadline = time.monotonic() + 5
            while decode_partial(coding, received) != first:
                assert time.monotonic() < deadline, f"{coding}: the first part did not arrive on its own"
                if c.buf:
                    received += decoder.feed(bytes(c.buf))
                    c.buf.clear()
                    continue
                assert c._recv_more(timeout=deadline - time.monotonic())
            release.set()
            while not decoder.done:
                if c.buf:
                    received += decoder.feed(bytes(c.buf))
                    c.buf.clear()
                    continue
                assert c._recv_more(timeout=5)
        assert decode_with_cli(coding, received) == first + second
        b.stop()


def decode_partial(coding: str, data: bytes) -> bytes:
    """What a streaming decoder gives for a prefix of the stream, without its end. The command-line
    tools write nothing for an unfinished stream, so brotli and zstd are the libraries themselves."""
    if coding == "gzip":
        return zlib.decompressobj(31).decompress(data)
    return (brotli_partial if coding == "br" else zstd_partial)(data)


def brotli_partial(data: bytes) -> bytes:
    lib = ctypes.CDLL(ctypes.util.find_library("brotlidec"))
    lib.BrotliDecoderCreateInstance.restype = ctypes.c_void_p
    lib.BrotliDecoderCreateInstance.argtypes = [ctypes.c_void_p] * 3
    lib.BrotliDecoderDestroyInstance.argtypes = [ctypes.c_void_p]
    size_p = ctypes.POINTER(ctypes.c_size_t)
    byte_pp = ctypes.POINTER(ctypes.c_void_p)
    lib.BrotliDecoderDecompressStream.argtypes = [ctypes.c_void_p, size_p, byte_pp, size_p, byte_pp,
                                                  ctypes.c_void_p]
    state = lib.BrotliDecoderCreateInstance(None, None, None)
    source = ctypes.create_string_buffer(data, len(data))
    next_in = ctypes.c_void_p(ctypes.addressof(source))
    left_in = ctypes.c_size_t(len(data))
    out = bytearray()
    needs_more_output = 3
    while True:
        sink = ctypes.create_string_buffer(1 << 16)
        next_out = ctypes.c_void_p(ctypes.addressof(sink))
        left_out = ctypes.c_size_t(len(sink))
        result = lib.BrotliDecoderDecompressStream(state, ctypes.byref(left_in), ctypes.byref(next_in),
                                                   ctypes.byref(left_out), ctypes.byref(next_out), None)
        out += sink.raw[:len(sink) - left_out.value]
        if result != needs_more_output:
            break
    lib.BrotliDecoderDestroyInstance(state)
    return bytes(out)


class _ZstdBuffer(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("size", ctypes.c_size_t), ("pos", ctypes.c_size_t)]


def zstd_partial(data: bytes) -> bytes:
    lib = ctypes.CDLL(ctypes.util.find_library("zstd"))
    lib.ZSTD_createDCtx.restype = ctypes.c_void_p
    lib.ZSTD_freeDCtx.argtypes = [ctypes.c_void_p]
    lib.ZSTD_decompressStream.restype = ctypes.c_size_t
    lib.ZSTD_decompressStream.argtypes = [ctypes.c_void_p, ctypes.POINTER(_ZstdBuffer),
                                          ctypes.POINTER(_ZstdBuffer)]
    lib.ZSTD_isError.argtypes = [ctypes.c_size_t]
    context = lib.ZSTD_createDCtx()
    source = ctypes.create_string_buffer(data, len(data))
    given = _ZstdBuffer(ctypes.addressof(source), len(data), 0)
    out = bytearray()
    while True:
        sink = ctypes.create_string_buffer(1 << 16)
        taken = _ZstdBuffer(ctypes.addressof(sink), len(sink), 0)
        hint = lib.ZSTD_decompressStream(context, ctypes.byref(taken), ctypes.byref(given))
        out += sink.raw[:taken.pos]
        if lib.ZSTD_isError(hint) or (given.pos == given.size and taken.pos < taken.size):
            break
    lib.ZSTD_freeDCtx(context)
    return bytes(out)


# ---- HTTP/2 ----------------------------------------------------------------------------------

def curl_h2(pki, port, path, accept, tmp_path):
    out = tmp_path / "body"
    cmd = ["curl", "-sS", "--http2", "--cacert", str(pki.root["cert"]), "--resolve", f"a.test:{port}:127.0.0.1",
           "-H", f"Accept-Encoding: {accept}", "-D", "-", "-o", str(out), "-w", "%{http_version}",
           f"https://a.test:{port}{path}"]
    r = subprocess.run(cmd, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    headers = {}
    for line in text.splitlines()[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            headers.setdefault(k.strip().lower(), []).append(v.strip())
    return text.rsplit("\r\n", 1)[-1].strip(), headers, out.read_bytes()


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_http2_clients_get_compressed_responses(bulwark, origin, free_port, pki, tmp_path, coding):
    backend = origin(site)
    config = tls_config(free_port, listener_tls(pki.a), [backend.hostport])
    config["listeners"][0]["virtual_hosts"][0]["filters"] = [compression_filter()]
    b = bulwark(config=config, port=free_port)
    version, headers, body = curl_h2(pki, b.port, "/", coding, tmp_path)
    assert version == "2"
    assert headers["content-encoding"] == [coding]
    assert "content-length" not in headers
    assert headers["vary"] == ["accept-encoding"]
    assert decode_with_cli(coding, body) == BODY
    version, headers, body = curl_h2(pki, b.port, "/chunked", coding, tmp_path)
    assert headers["content-encoding"] == [coding] and decode_with_cli(coding, body) == BODY
    version, headers, body = curl_h2(pki, b.port, "/tiny", coding, tmp_path)
    assert "content-encoding" not in headers and body == b"<p>short</p>"


# ---- pre-compressed static files -------------------------------------------------------------

def test_precompressed_static_files(bulwark, free_port, tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "app.js").write_bytes(BODY)
    for command, suffix in ((["gzip", "-k"], ".gz"), (["brotli", "-k"], ".br"), (["zstd", "-kq"], ".zst")):
        subprocess.run(command + [str(root / "app.js")], check=True)
        assert (root / ("app.js" + suffix)).exists()
    (root / "plain.css").write_bytes(BODY)
    config = base_config(free_port, routes=[{"match": {"prefix": "/"},
                                             "static": {"root": str(root), "precompressed": ["br", "zstd", "gzip"]}}])
    config["listeners"][0]["virtual_hosts"][0]["filters"] = [compression_filter()]
    b = bulwark(config=config, port=free_port)
    for accept, coding, suffix in (("gzip, br, zstd", "br", ".br"), ("zstd, gzip", "zstd", ".zst"),
                                   ("gzip", "gzip", ".gz")):
        r = get(b, path="/app.js", accept=accept)
        assert r.status == 200 and r.header("content-encoding") == coding
        assert r.header("content-type") == "text/javascript; charset=utf-8"
        assert r.header("vary") == "accept-encoding"
        assert r.body == (root / ("app.js" + suffix)).read_bytes()  # the file itself, by sendfile
        assert r.header("content-length") == str(len(r.body))
        assert decode_with_cli(coding, r.body) == BODY
    r = get(b, path="/app.js", accept="identity")
    assert r.header("content-encoding") is None and r.body == BODY and r.header("vary") == "accept-encoding"
    # No sibling: the original, not compressed on the fly (static files skip the filter).
    r = get(b, path="/plain.css", accept="gzip")
    assert r.header("content-encoding") is None and r.body == BODY


# ---- quick mode ------------------------------------------------------------------------------

def test_quick_mode_compress(bulwark, origin):
    backend = origin(site)
    b = bulwark.quick("--to", f"http://{backend.hostport}", "--compress")
    r = get(b, accept="gzip, br, zstd")
    assert r.header("content-encoding") == "zstd" and decode_with_cli("zstd", r.body) == BODY
    r = get(b, path="/json", accept="br")
    assert r.header("content-encoding") == "br"
    plain = bulwark.quick("--to", f"http://{backend.hostport}")
    assert get(plain, accept="gzip").header("content-encoding") is None

