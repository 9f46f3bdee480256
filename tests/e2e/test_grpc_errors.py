"""gRPC clients get bulwark's own errors as gRPC errors (issue 6, point 4, in part): a
trailers-only response with grpc-status and grpc-message, read by python3-grpcio. gRPC calls
through to gRPC backends need HTTP/2 to backends, which is not built yet."""

import grpc
import pytest

from tls_support import listener_tls, tls_config


def h2c_config(port, endpoints, routes=None):
    return {"listeners": [{"name": "grpc", "listen": f"127.0.0.1:{port}", "http2": {"cleartext": True},
                           "virtual_hosts": [{"domains": ["*"], "routes": routes or [
                               {"match": {"prefix": "/echo."}, "proxy": {"cluster": "backend"}}]}]}],
            "clusters": [{"name": "backend", "endpoints": endpoints}]}


def call(channel, method):
    unary = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
    with pytest.raises(grpc.RpcError) as failed:
        unary(b"\x0a\x05hello", timeout=10)
    return failed.value


def test_backend_down_is_unavailable(bulwark, free_port, free_port_factory):
    dead = free_port_factory()
    b = bulwark(config=h2c_config(free_port, [f"127.0.0.1:{dead}"]), port=free_port)
    with grpc.insecure_channel(f"127.0.0.1:{b.port}") as channel:
        error = call(channel, "/echo.Echo/Say")
    assert error.code() == grpc.StatusCode.UNAVAILABLE, error
    assert "upstream" in error.details()
    assert str(dead) not in error.details()  # nothing about the backend's address leaks


def test_no_route_is_unimplemented(bulwark, free_port, free_port_factory):
    b = bulwark(config=h2c_config(free_port, [f"127.0.0.1:{free_port_factory()}"]), port=free_port)
    with grpc.insecure_channel(f"127.0.0.1:{b.port}") as channel:
        error = call(channel, "/other.Service/Method")
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED, error
    assert error.details() == "no route matches this request"


def test_upstream_timeout_is_deadline_exceeded_over_tls(bulwark, origin, pki, free_port):
    from origins import never_answer
    backend = origin(never_answer())
    config = tls_config(free_port, listener_tls(pki.a), [backend.hostport])
    config["timeouts"] = {"upstream_read": "500ms"}
    b = bulwark(config=config, port=free_port)
    credentials = grpc.ssl_channel_credentials(root_certificates=pki.root["cert"].read_bytes())
    with grpc.secure_channel(f"127.0.0.1:{b.port}", credentials,
                             options=[("grpc.ssl_target_name_override", "a.test")]) as channel:
        error = call(channel, "/echo.Echo/Say")
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED, error
