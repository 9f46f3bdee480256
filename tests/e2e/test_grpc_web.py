"""gRPC-Web clients translated to gRPC backends (issue 6, point 4): the grpc_web filter.

The client is written here with httpx, as a browser library speaks the protocol
(https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md): POST of length-prefixed messages
as application/grpc-web(+proto), or base64 of them as application/grpc-web-text, over HTTP/1.1.
The backend is a real gRPC server (python3-grpcio, generic handlers with bytes in and out, so no
protoc) behind a cluster with `protocol: h2c`; a few tests use a Python HTTP/1.1 origin that
frames its answer like gRPC, to see exactly what bulwark sends and to reach paths a gRPC server
does not take (a response with a length, trailers missing)."""

import base64
import struct
import time
from concurrent import futures

import grpc
import httpx
import pytest

from origins import CRLF

WEB = "application/grpc-web+proto"
TEXT = "application/grpc-web-text+proto"


# ---- the gRPC-Web client ------------------------------------------------------------------------

def frame(message: bytes, flag: int = 0) -> bytes:
    return bytes([flag]) + struct.pack(">I", len(message)) + message


def text_decode(text: bytes) -> bytes:
    """Base64 with padding anywhere on a quantum boundary, as gRPC-Web senders flush it."""
    assert len(text) % 4 == 0, text
    return b"".join(base64.b64decode(text[i:i + 4], validate=True) for i in range(0, len(text), 4))


def parse_frames(body: bytes):
    """The messages and the trailer frame's fields; nothing may follow the trailer frame."""
    messages, trailers, at = [], None, 0
    while at < len(body):
        assert trailers is None, f"bytes after the trailer frame: {body[at:]!r}"
        flag, length = body[at], struct.unpack(">I", body[at + 1:at + 5])[0]
        payload = body[at + 5:at + 5 + length]
        assert len(payload) == length, "a truncated frame"
        at += 5 + length
        if flag & 0x80:
            lines = payload.decode().split("\r\n")
            assert lines[-1] == "", "every trailer line ends with CRLF"
            trailers = {}
            for line in lines[:-1]:
                name, value = line.split(": ", 1)
                assert name == name.lower(), f"upper case in {name}"
                trailers[name] = value
        else:
            assert flag == 0, f"unexpected flag {flag:#x}"
            messages.append(payload)
    return messages, trailers


class WebReply:
    def __init__(self, response: httpx.Response):
        self.response = response
        self.raw = response.content
        text = response.headers.get("content-type", "").startswith("application/grpc-web-text")
        body = text_decode(self.raw) if text else self.raw
        self.messages, self.trailers = parse_frames(body)

    def status(self):
        """grpc-status and grpc-message: from the trailer frame, or the head (trailers-only)."""
        source = self.trailers if self.trailers is not None else self.response.headers
        return source.get("grpc-status"), source.get("grpc-message")


def web_call(url, path, messages, *, text=False, accept=None, split=None, timeout=10) -> WebReply:
    body = b"".join(frame(m) for m in messages)
    if text:
        # Each message encoded apart, as a client flushing each one does: padding in between.
        body = b"".join(base64.b64encode(frame(m)) for m in messages)
    headers = {"content-type": TEXT if text else WEB, "x-grpc-web": "1",
               "x-user-agent": "grpc-web-javascript/0.1"}
    if accept:
        headers["accept"] = accept
    content = body
    if split:  # chunked, in pieces that cut quanta and frames anywhere
        content = (body[i:i + split] for i in range(0, len(body), split))
    response = httpx.post(url + path, content=content, headers=headers, timeout=timeout)
    return WebReply(response)


# ---- the gRPC backend -----------------------------------------------------------------------------

def say(request, context):
    return request


def fail(request, context):
    context.abort(grpc.StatusCode.NOT_FOUND, "no such greeting")


def count(request, context):
    for i in range(3):
        yield request + b"#%d" % i
        time.sleep(0.05)  # separate DATA frames, not one write


def count_then_fail(request, context):
    yield request
    context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "enough")


def gather(request_iterator, context):
    return b"|".join(request_iterator)


@pytest.fixture
def grpc_backend(free_port_factory):
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handlers = {
        "Say": grpc.unary_unary_rpc_method_handler(say),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
        "Count": grpc.unary_stream_rpc_method_handler(count),
        "CountThenFail": grpc.unary_stream_rpc_method_handler(count_then_fail),
        "Gather": grpc.stream_unary_rpc_method_handler(gather),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("echo.Echo", handlers),))
    port = free_port_factory()
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(grace=None)


def web_config(port, endpoints, protocol="h2c", filters=None):
    cluster = {"name": "backend", "endpoints": endpoints}
    if protocol:
        cluster["protocol"] = protocol
    return {"listeners": [{"name": "web", "listen": f"127.0.0.1:{port}", "http2": {"cleartext": True},
                           "virtual_hosts": [{"domains": ["*"],
                                              "filters": filters or [{"grpc_web": {}}],
                                              "routes": [{"match": {"prefix": "/echo."},
                                                          "proxy": {"cluster": "backend"}}]}]}],
            "clusters": [cluster]}


@pytest.fixture
def web_proxy(bulwark, grpc_backend, free_port):
    return bulwark(config=web_config(free_port, [grpc_backend]), port=free_port)


# ---- through a real gRPC server ---------------------------------------------------------------------

def test_unary_binary(web_proxy):
    reply = web_call(web_proxy.url, "/echo.Echo/Say", [b"\x0a\x05hello"])
    assert reply.response.status_code == 200
    assert reply.response.headers["content-type"].startswith("application/grpc-web")
    assert not reply.response.headers["content-type"].startswith("application/grpc-web-text")
    assert reply.messages == [b"\x0a\x05hello"]
    assert reply.trailers is not None and reply.trailers["grpc-status"] == "0"


def test_unary_text(web_proxy):
    reply = web_call(web_proxy.url, "/echo.Echo/Say", [b"text mode" * 50], text=True)
    assert reply.response.status_code == 200
    assert reply.response.headers["content-type"].startswith("application/grpc-web-text")
    assert reply.messages == [b"text mode" * 50]
    assert reply.trailers["grpc-status"] == "0"


def test_text_request_in_odd_pieces_with_padding_between_messages(web_proxy):
    # Client streaming: three messages, each base64-encoded apart (5+1, 5+2 and 5+3 bytes: the
    # last two end in padding), sent chunked in 5-byte pieces that cut every quantum.
    messages = [b"a", b"bc", b"def"]
    reply = web_call(web_proxy.url, "/echo.Echo/Gather", messages, text=True, split=5)
    assert reply.messages == [b"a|bc|def"]
    assert reply.trailers["grpc-status"] == "0"


def test_binary_request_asks_for_a_text_response(web_proxy):
    reply = web_call(web_proxy.url, "/echo.Echo/Say", [b"xhr"], accept="application/grpc-web-text")
    assert reply.response.headers["content-type"].startswith("application/grpc-web-text")
    assert text_decode(reply.raw)  # the body is base64
    assert reply.messages == [b"xhr"]


def test_aborted_call_gives_its_status(web_proxy):
    for text in (False, True):
        reply = web_call(web_proxy.url, "/echo.Echo/Fail", [b"x"], text=text)
        assert reply.response.status_code == 200
        assert reply.messages == []
        assert reply.status() == ("5", "no such greeting"), (text, reply.response.headers, reply.raw)
        # Trailers-only: the status in the head, no HTTP trailers to read, no frame needed.
        assert "grpc-status" in reply.response.headers or reply.trailers is not None


def test_server_streaming(web_proxy):
    for text in (False, True):
        reply = web_call(web_proxy.url, "/echo.Echo/Count", [b"n"], text=text)
        assert reply.messages == [b"n#0", b"n#1", b"n#2"]
        assert reply.trailers["grpc-status"] == "0"


def test_streaming_then_error_puts_the_status_in_the_trailer_frame(web_proxy):
    for text in (False, True):
        reply = web_call(web_proxy.url, "/echo.Echo/CountThenFail", [b"once"], text=text)
        assert reply.messages == [b"once"]
        assert reply.trailers["grpc-status"] == "8"
        assert reply.trailers["grpc-message"] == "enough"
        assert "grpc-status" not in reply.response.headers


def test_native_grpc_clients_pass_untouched(web_proxy):
    with grpc.insecure_channel(f"127.0.0.1:{web_proxy.port}") as channel:
        unary = channel.unary_unary("/echo.Echo/Say", request_serializer=None,
                                    response_deserializer=None)
        assert unary(b"native", timeout=10) == b"native"


# ---- bulwark's own errors -----------------------------------------------------------------------

def test_backend_down_is_unavailable(bulwark, free_port, free_port_factory):
    dead = free_port_factory()
    # The cluster's protocol does not matter when no connection can be made.
    b = bulwark(config=web_config(free_port, [f"127.0.0.1:{dead}"], protocol=None), port=free_port)
    reply = web_call(b.url, "/echo.Echo/Say", [b"x"])
    assert reply.response.status_code == 200
    assert reply.response.headers["content-type"].startswith("application/grpc-web")
    assert reply.status()[0] == "14"
    assert str(dead) not in (reply.status()[1] or "")


# ---- through an HTTP/1.1 origin that answers like a gRPC server -----------------------------------

def grpc_shaped(messages, trailers, length=False):
    """Answers with these framed messages and trailers (chunked), or with a Content-Length and no
    trailers; the request it got is in the x-seen-* response fields."""

    def handler(ex):
        request_body = ex.read_body()
        ex.finish_request()
        body = b"".join(frame(m) for m in messages) + request_body
        seen = [("x-seen-content-type", ex.req.header("content-type", "")),
                ("x-seen-te", ex.req.header("te", "")),
                ("x-seen-length", ex.req.header("content-length", "none")),
                ("x-seen-chunked", str(ex.req.chunked)),
                ("x-seen-grpc-web", ex.req.header("x-grpc-web", ""))]
        head = "HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in seen)
        if length:
            ex.conn.send((head + f"content-length: {len(body)}\r\n\r\n").encode() + body)
            return
        ex.conn.send((head + "transfer-encoding: chunked\r\n\r\n").encode())
        # One chunk per message, apart in time: bulwark relays (and encodes) each on its own.
        for piece in [frame(m) for m in messages] + [request_body]:
            ex.conn.send(f"{len(piece):x}\r\n".encode() + piece + CRLF)
            time.sleep(0.02)
        ex.conn.send(b"0\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in trailers) + CRLF)
    return handler


def test_request_translation_seen_by_the_backend(bulwark, origin, free_port):
    backend = origin(grpc_shaped([b"first"], [("Grpc-Status", "0"), ("grpc-message", "fine")]))
    b = bulwark(config=web_config(free_port, [backend.hostport], protocol=None), port=free_port)
    for text in (False, True):
        reply = web_call(b.url, "/echo.Echo/Say", [b"ping"], text=text)
        headers = reply.response.headers
        assert headers["x-seen-content-type"] == "application/grpc+proto"
        assert headers["x-seen-te"] == "trailers"
        assert headers["x-seen-grpc-web"] == "1"
        if text:  # decoded: its length changed, so it went chunked
            assert headers["x-seen-length"] == "none" and headers["x-seen-chunked"] == "True"
        else:
            assert headers["x-seen-length"] == str(len(frame(b"ping")))
        assert headers["content-type"] == (TEXT if text else WEB).replace("+proto", "")
        # The backend's message, then what it got from bulwark: the decoded request.
        assert reply.messages == [b"first", b"ping"]
        assert reply.trailers == {"grpc-status": "0", "grpc-message": "fine"}
        assert "trailer" not in headers


def test_streamed_text_response_is_encoded_message_by_message(bulwark, origin, free_port):
    # 6-, 7- and 8-byte frames: their base64 ends without, with two and with one '='.
    backend = origin(grpc_shaped([b"a", b"bc", b"def"], [("grpc-status", "0")]))
    b = bulwark(config=web_config(free_port, [backend.hostport], protocol=None), port=free_port)
    reply = web_call(b.url, "/echo.Echo/Say", [b"q"], text=True)
    assert reply.messages == [b"a", b"bc", b"def", b"q"]
    assert reply.trailers == {"grpc-status": "0"}
    # Padding inside the body: each run was encoded as it passed, not the body as a whole.
    assert b"==" in reply.raw[:-4] and reply.raw.index(b"=") < len(reply.raw) - 4


def test_malformed_text_body_never_reaches_the_backend_whole(bulwark, origin, free_port):
    backend = origin(grpc_shaped([b"m"], [("grpc-status", "0")]))
    b = bulwark(config=web_config(free_port, [backend.hostport], protocol=None), port=free_port)
    response = httpx.post(b.url + "/echo.Echo/Say", content=b"AAAA*AAA",
                          headers={"content-type": TEXT}, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/grpc-web-text")
    status = response.headers.get("grpc-status")
    assert status is not None and status != "0", response.headers
    assert response.content == b""
    # The head may have gone ahead of the body; the body never follows it.
    assert not backend.wait_for_requests(1, timeout=0.5)


def test_http2_client_gets_the_frame_and_no_http_trailers(bulwark, origin, free_port):
    # Browsers mostly speak HTTP/2: the trailers must not also come as a trailing HEADERS frame.
    from h2_client import H2Client
    backend = origin(grpc_shaped([b"h2"], [("grpc-status", "0"), ("grpc-message", "fine")]))
    b = bulwark(config=web_config(free_port, [backend.hostport], protocol=None), port=free_port)
    client = H2Client(b.port, authority="127.0.0.1")
    try:
        body = base64.b64encode(frame(b"q"))
        stream = client.request("/echo.Echo/Say", method="POST", body=body,
                                headers=[("content-type", TEXT), ("x-grpc-web", "1"),
                                         ("content-length", str(len(body)))])
        response = client.wait_for(stream)
    finally:
        client.close()
    assert response["headers"][":status"] == "200"
    assert response["headers"]["content-type"] == "application/grpc-web-text"
    assert "content-length" not in response["headers"]
    assert response["trailers"] is None
    messages, trailers = parse_frames(text_decode(response["body"]))
    assert messages == [b"h2", b"q"]
    assert trailers == {"grpc-status": "0", "grpc-message": "fine"}


def test_response_with_a_length_still_gets_the_frame(bulwark, origin, free_port):
    # No trailers at all: no frame either (the client reports the missing status itself); the
    # body is re-framed (chunked) since base64 changes its length.
    backend = origin(grpc_shaped([b"m"], [], length=True))
    b = bulwark(config=web_config(free_port, [backend.hostport], protocol=None), port=free_port)
    reply = web_call(b.url, "/echo.Echo/Say", [b"q"], text=True)
    assert reply.messages == [b"m", b"q"]
    assert reply.trailers is None
    assert "content-length" not in reply.response.headers or \
        int(reply.response.headers["content-length"]) == len(reply.raw)


def test_without_the_filter_nothing_is_translated(bulwark, origin, free_port):
    backend = origin(grpc_shaped([b"m"], [("grpc-status", "0")]))
    b = bulwark(config=web_config(free_port, [backend.hostport], protocol=None,
                                  filters=[{"headers": {"response": {"set": {"x-f": "1"}}}}]),
                port=free_port)
    response = httpx.post(b.url + "/echo.Echo/Say", content=frame(b"q"),
                          headers={"content-type": WEB}, timeout=10)
    assert response.headers["x-seen-content-type"] == WEB
    assert response.headers["content-type"] == "application/grpc"
