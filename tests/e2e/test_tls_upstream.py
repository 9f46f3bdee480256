"""TLS to backends: verification on by default (CA, SNI, host name), a failing certificate gives
502 and a clear log line, client certificates to backends, session reuse across pooled
connections (issue 5, point 7)."""

import socket
import threading
import ssl
import time

from conftest import base_config
from http_client import RawClient
from origins import fixed


def backend_tls(pki, leaf, require_client_cert=False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(leaf.cert), str(leaf.key))
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cafile=str(pki.ca_bundle))
    return ctx


def proxy_to(bulwark, free_port, endpoint, tls: dict | bool):
    cfg = base_config(free_port, [endpoint])
    cfg["clusters"][0]["tls"] = tls
    return bulwark(config=cfg, port=free_port)


def get(b, path="/"):
    with RawClient(b.port) as c:
        return c.request("GET", path)


def test_verified_backend_by_name(bulwark, origin, free_port, pki):
    backend = origin(fixed(200, b"secret"), tls=backend_tls(pki, pki.backend))
    b = proxy_to(bulwark, free_port, f"127.0.0.1:{backend.port}",
                 {"ca": str(pki.ca_bundle), "server_name": "backend.test"})
    r = get(b)
    assert r.status == 200 and r.body == b"secret"


def test_ip_endpoint_is_checked_against_the_certificates_ip(bulwark, origin, free_port, pki):
    backend = origin(tls=backend_tls(pki, pki.backend))  # its certificate names IP 127.0.0.1
    b = proxy_to(bulwark, free_port, f"127.0.0.1:{backend.port}", {"ca": str(pki.ca_bundle)})
    assert get(b).status == 200


def test_unverifiable_backend_gives_502_and_a_clear_log_line(bulwark, origin, free_port, pki, tmp_path):
    from pki import Pki
    stranger = Pki(tmp_path / "other").leaf("backend.test", ["backend.test"], ip="127.0.0.1")
    backend = origin(tls=backend_tls(pki, stranger))
    b = proxy_to(bulwark, free_port, f"127.0.0.1:{backend.port}", {"ca": str(pki.ca_bundle)})
    assert get(b).status == 502
    deadline = time.monotonic() + 5
    while "certificate verify failed" not in b.stderr_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    log = b.stderr_text()
    assert "TLS handshake failed" in log and "certificate verify failed" in log, log
    assert not backend.requests, "nothing may be sent to an unverified backend"


def test_wrong_host_name_gives_502(bulwark, origin, free_port, pki):
    backend = origin(tls=backend_tls(pki, pki.backend))
    b = proxy_to(bulwark, free_port, f"127.0.0.1:{backend.port}",
                 {"ca": str(pki.ca_bundle), "server_name": "someone-else.test"})
    assert get(b).status == 502
    assert "TLS handshake failed" in b.stderr_text()


def test_system_trust_by_default_refuses_a_private_ca(bulwark, origin, free_port, pki):
    backend = origin(tls=backend_tls(pki, pki.backend))
    b = proxy_to(bulwark, free_port, f"127.0.0.1:{backend.port}", True)
    assert get(b).status == 502


def test_verification_off(bulwark, origin, free_port, pki, tmp_path):
    from pki import Pki
    stranger = Pki(tmp_path / "other").leaf("whatever.test", ["whatever.test"])
    backend = origin(tls=backend_tls(pki, stranger))
    b = proxy_to(bulwark, free_port, f"127.0.0.1:{backend.port}", {"verify": False})
    assert get(b).status == 200


def test_client_certificate_to_the_backend(bulwark, origin, free_port, pki):
    backend = origin(tls=backend_tls(pki, pki.backend, require_client_cert=True))
    b = proxy_to(bulwark, free_port, f"127.0.0.1:{backend.port}",
                 {"ca": str(pki.ca_bundle), "cert": str(pki.alice.cert), "key": str(pki.alice.key)})
    assert get(b).status == 200
    subject = dict(x[0] for x in backend.connections[0].peer_cert["subject"])
    assert subject["commonName"] == "alice"


def test_sessions_are_reused_across_pooled_connections(bulwark, origin, free_port, pki):
    # The backend closes every connection after one response: each request needs a new one,
    # and each new one resumes the session of the last.
    backend = origin(fixed(200, b"ok", headers={"Connection": "close"}), tls=backend_tls(pki, pki.backend))
    b = proxy_to(bulwark, free_port, f"127.0.0.1:{backend.port}", {"ca": str(pki.ca_bundle)})
    for _ in range(4):
        assert get(b).status == 200
    resumed = [c.tls_resumed for c in backend.connections]
    assert len(resumed) >= 4 and not resumed[0] and all(resumed[1:]), resumed


def test_session_reuse_can_be_switched_off(bulwark, origin, free_port, pki):
    backend = origin(fixed(200, b"ok", headers={"Connection": "close"}), tls=backend_tls(pki, pki.backend))
    b = proxy_to(bulwark, free_port, f"127.0.0.1:{backend.port}",
                 {"ca": str(pki.ca_bundle), "session_reuse": False})
    for _ in range(3):
        assert get(b).status == 200
    assert not any(c.tls_resumed for c in backend.connections)


def test_pooled_tls_connection_is_kept_alive(bulwark, origin, free_port, pki):
    backend = origin(fixed(200, b"ok"), tls=backend_tls(pki, pki.backend))
    b = proxy_to(bulwark, free_port, f"127.0.0.1:{backend.port}", {"ca": str(pki.ca_bundle)})
    with RawClient(b.port) as c:
        for _ in range(5):
            assert c.request("GET", "/").status == 200
    assert backend.connections_accepted == 1


def test_changed_ca_bundle_is_picked_up_without_a_reload(bulwark, origin, free_port, pki, tmp_path):
    from pki import Pki
    backend = origin(tls=backend_tls(pki, pki.backend))
    ca = tmp_path / "ca.pem"
    ca.write_bytes(Pki(tmp_path / "other").ca_bundle.read_bytes())  # trusts someone else
    b = proxy_to(bulwark, free_port, f"127.0.0.1:{backend.port}", {"ca": str(ca)})
    assert get(b).status == 502
    ca.write_bytes(pki.ca_bundle.read_bytes())
    time.sleep(1.2)  # files are looked at every second; fewer 502s meanwhile, no ejection
    deadline = time.monotonic() + 10
    while get(b).status != 200:
        assert time.monotonic() < deadline, "the new CA bundle was not picked up"
        time.sleep(0.5)


def test_backend_that_never_finishes_the_handshake_gives_504(bulwark, free_port):
    # The kernel completes the TCP handshake from the backlog; nobody ever answers the ClientHello.
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(16)
    try:
        cfg = base_config(free_port, [f"127.0.0.1:{mute.getsockname()[1]}"])
        cfg["clusters"][0]["tls"] = {"verify": False}
        cfg["timeouts"] = {"upstream_connect": "1s"}
        b = bulwark(config=cfg, port=free_port)
        started = time.monotonic()
        assert get(b).status == 504
        assert time.monotonic() - started < 5
        assert "TLS handshake failed: timed out" in b.stderr_text()
    finally:
        mute.close()


def test_plaintext_backend_gives_502(bulwark, free_port):
    # A backend that speaks HTTP, not TLS: it answers the ClientHello with an HTTP error at once.
    # (The recording origin would wait for a request head that never comes, and the handshake
    # would end in a timeout instead.)
    listener = socket.create_server(("127.0.0.1", 0))
    seen = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                seen.append(conn.recv(4096))
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        b = proxy_to(bulwark, free_port, f"127.0.0.1:{listener.getsockname()[1]}", {"verify": False})
        assert get(b).status == 502
        assert "TLS handshake failed" in b.stderr_text() and "wrong version number" in b.stderr_text()
        assert seen and seen[0][:1] == b"\x16"  # what it got was a TLS handshake record
    finally:
        listener.close()
