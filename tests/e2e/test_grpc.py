"""gRPC through bulwark to a real gRPC server (issue 6, point 4): python3-grpcio on both ends,
the backend behind a cluster with `protocol: h2c`. Unary, server-streaming and bidirectional
calls with their metadata and trailers; the backend's own error statuses; a deadline the
backend misses; a backend that is down. The methods use generic handlers over raw bytes, so no
.proto compiler is needed."""

import threading
import time
from concurrent import futures

import grpc
import pytest

from tls_support import listener_tls

SERVICE = "echo.Echo"


def say(request, context):
    context.send_initial_metadata((("x-initial", "yes"),))
    context.set_trailing_metadata((("x-trailing", "done"),))
    return b"echo:" + request


def count(request, context):
    for i in range(int(request)):
        yield f"message {i}".encode()


def chat(requests, context):
    for request in requests:
        yield b"re:" + request


SLOW_CANCELLED = threading.Event()


def first_only(requests, context):
    for request in requests:
        yield b"only:" + request
        return


def slow(request, context):
    # Ends early once the call is cancelled: bulwark passes the client's cancel on.
    context.add_callback(SLOW_CANCELLED.set)
    SLOW_CANCELLED.wait(3)
    return request


def fail(request, context):
    context.abort(grpc.StatusCode.NOT_FOUND, "no such thing: " + request.decode())


@pytest.fixture
def grpc_backend():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    handlers = {
        "Say": grpc.unary_unary_rpc_method_handler(say),
        "Count": grpc.unary_stream_rpc_method_handler(count),
        "Chat": grpc.stream_stream_rpc_method_handler(chat),
        "First": grpc.stream_stream_rpc_method_handler(first_only),
        "Slow": grpc.unary_unary_rpc_method_handler(slow),
        "Fail": grpc.unary_unary_rpc_method_handler(fail),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(grace=None)


def grpc_config(port, endpoint, tls=None):
    listener = {"name": "grpc", "listen": f"127.0.0.1:{port}",
                "virtual_hosts": [{"domains": ["*"], "routes": [
                    {"match": {"prefix": f"/{SERVICE}/"}, "proxy": {"cluster": "grpc"}}]}]}
    if tls is None:
        listener["http2"] = {"cleartext": True}
    else:
        listener["tls"] = tls
    return {"workers": 1, "listeners": [listener],
            "clusters": [{"name": "grpc", "endpoints": [endpoint], "protocol": "h2c"}]}


@pytest.fixture
def channel(bulwark, grpc_backend, free_port):
    b = bulwark(config=grpc_config(free_port, grpc_backend), port=free_port)
    with grpc.insecure_channel(f"127.0.0.1:{b.port}") as ch:
        yield ch


def test_unary_call_with_metadata_and_trailers(channel):
    call = channel.unary_unary(f"/{SERVICE}/Say")
    response, outcome = call.with_call(b"hello", timeout=10, metadata=(("x-client", "1"),))
    assert response == b"echo:hello"
    assert outcome.code() == grpc.StatusCode.OK
    assert ("x-initial", "yes") in outcome.initial_metadata()
    assert ("x-trailing", "done") in outcome.trailing_metadata()


def test_large_unary_message(channel):
    payload = bytes(range(256)) * 4096  # 1 MiB: many DATA frames and window updates each way
    assert channel.unary_unary(f"/{SERVICE}/Say")(payload, timeout=20) == b"echo:" + payload


def test_server_streaming(channel):
    replies = list(channel.unary_stream(f"/{SERVICE}/Count")(b"25", timeout=10))
    assert replies == [f"message {i}".encode() for i in range(25)]


def test_bidirectional_streaming(channel):
    requests = (f"m{i}".encode() for i in range(50))
    replies = list(channel.stream_stream(f"/{SERVICE}/Chat")(requests, timeout=20))
    assert replies == [f"re:m{i}".encode() for i in range(50)]


def test_bidirectional_streaming_interleaves(channel):
    sent = []
    ready = threading.Event()

    def requests():
        for i in range(5):
            sent.append(i)
            yield f"m{i}".encode()
            # The next message goes only after the reply to this one came back through bulwark:
            # the call really is interleaved, not buffered until the end.
            assert ready.wait(10)
            ready.clear()

    replies = []
    for reply in channel.stream_stream(f"/{SERVICE}/Chat")(requests(), timeout=20):
        replies.append(reply)
        ready.set()
    assert replies == [f"re:m{i}".encode() for i in range(5)]


def test_backend_ends_the_call_while_the_client_still_sends(channel):
    answered = threading.Event()

    def requests():
        yield b"m0"
        answered.wait(10)  # still "sending" when the backend has finished
        yield b"m1"

    replies = []
    for reply in channel.stream_stream(f"/{SERVICE}/First")(requests(), timeout=10):
        replies.append(reply)
        answered.set()
    assert replies == [b"only:m0"]
    # The stream's end reached the client, and the connection serves the next call.
    assert channel.unary_unary(f"/{SERVICE}/Say")(b"next", timeout=10) == b"echo:next"


def test_backend_status_and_message_reach_the_client(channel):
    with pytest.raises(grpc.RpcError) as failed:
        channel.unary_unary(f"/{SERVICE}/Fail")(b"widget", timeout=10)
    assert failed.value.code() == grpc.StatusCode.NOT_FOUND
    assert failed.value.details() == "no such thing: widget"


def test_deadline_exceeded(channel):
    SLOW_CANCELLED.clear()
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as failed:
        channel.unary_unary(f"/{SERVICE}/Slow")(b"x", timeout=0.5)
    assert failed.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 2.5
    # The client's RST_STREAM reached the backend as a cancelled stream, not 3 s later.
    assert SLOW_CANCELLED.wait(2), "the backend's call was not cancelled"
    # The cancelled stream does not spoil the shared connection for the next call.
    assert channel.unary_unary(f"/{SERVICE}/Say")(b"again", timeout=10) == b"echo:again"


def test_many_concurrent_calls(channel):
    call = channel.unary_unary(f"/{SERVICE}/Say")
    with futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: call(str(i).encode(), timeout=20), range(200)))
    assert results == [f"echo:{i}".encode() for i in range(200)]


def test_backend_down_is_unavailable(bulwark, free_port, free_port_factory):
    b = bulwark(config=grpc_config(free_port, f"127.0.0.1:{free_port_factory()}"), port=free_port)
    with grpc.insecure_channel(f"127.0.0.1:{b.port}") as ch:
        with pytest.raises(grpc.RpcError) as failed:
            ch.unary_unary(f"/{SERVICE}/Say")(b"x", timeout=10)
    assert failed.value.code() == grpc.StatusCode.UNAVAILABLE


def test_grpc_over_tls_to_an_h2c_backend(bulwark, grpc_backend, pki, free_port):
    b = bulwark(config=grpc_config(free_port, grpc_backend, tls=listener_tls(pki.a)), port=free_port)
    credentials = grpc.ssl_channel_credentials(root_certificates=pki.root["cert"].read_bytes())
    with grpc.secure_channel(f"127.0.0.1:{b.port}", credentials,
                             options=[("grpc.ssl_target_name_override", "a.test")]) as ch:
        assert ch.unary_unary(f"/{SERVICE}/Say")(b"secure", timeout=10) == b"echo:secure"
        assert list(ch.unary_stream(f"/{SERVICE}/Count")(b"3", timeout=10)) == [
            b"message 0", b"message 1", b"message 2"]
