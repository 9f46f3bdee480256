"""TLS listeners: certificates by SNI, RSA and ECDSA side by side, protocol policy, ALPN, OCSP
stapling, encrypted keys, HSTS and the redirect from plain HTTP (issue 5, points 1-3, 5, 9)."""

import os
import re
import socket
import subprocess
import time

import pytest

from conftest import yaml_dump
from http_client import RawClient
from tls_support import (client_context, connect, handshake_ok, listener_tls, peer_common_name, request,
                         s_client, tls_config)


@pytest.fixture
def secure(bulwark, origin, free_port, pki):
    """bulwark with a TLS listener for a.test (ECDSA and RSA), *.b.test and a default."""
    backend = origin()

    def start(tls_extra=None, leaves=None, timeouts=None, **kw):
        leaves = leaves or (pki.fallback, pki.a, pki.a_rsa, pki.wild)
        tls = listener_tls(*leaves, **(tls_extra or {}))
        config = tls_config(free_port, tls, [backend.hostport], **kw)
        if timeouts:
            config["timeouts"] = timeouts
        b = bulwark(config=config, port=free_port)
        b.origin = backend
        return b

    return start


def test_sni_picks_exact_wildcard_and_default_certificates(secure):
    b = secure()
    assert peer_common_name(s_client(b.port, servername="a.test")) == "a.test"
    assert peer_common_name(s_client(b.port, servername="www.a.test")) == "a.test"
    assert peer_common_name(s_client(b.port, servername="x.b.test")) == "wild.b.test"
    # A wildcard covers one label only; unknown names and no SNI get the default certificate.
    assert peer_common_name(s_client(b.port, servername="y.x.b.test")) == "default.test"
    assert peer_common_name(s_client(b.port, servername="nobody.test")) == "default.test"
    assert peer_common_name(s_client(b.port, servername=None)) == "default.test"


def test_full_chain_verifies_and_proxies(secure, pki):
    b = secure()
    out = s_client(b.port, "-CAfile", pki.root["cert"], "-verify_return_error", servername="a.test")
    assert "Verify return code: 0 (ok)" in out, out
    assert "HTTP/1.1 200" in out
    # curl, verifying against the root only: the intermediate must come from the server.
    r = subprocess.run(["curl", "-sS", "--cacert", str(pki.root["cert"]), "--resolve", f"a.test:{b.port}:127.0.0.1",
                        f"https://a.test:{b.port}/hello"], capture_output=True, timeout=20)
    assert r.returncode == 0, r.stderr
    req = b.origin.requests[-1]
    assert req.headers.get("x-forwarded-proto") == "https"
    assert "proto=https" in req.headers.get("forwarded")


def test_ecdsa_or_rsa_by_the_clients_signature_algorithms(secure):
    b = secure()
    ecdsa = s_client(b.port, "-sigalgs", "ECDSA+SHA256", servername="a.test")
    assert handshake_ok(ecdsa) and re.search(r"Peer signature type: ECDSA", ecdsa), ecdsa
    rsa = s_client(b.port, "-sigalgs", "RSA-PSS+SHA256:RSA+SHA256", servername="a.test")
    assert handshake_ok(rsa) and re.search(r"Peer signature type: RSA", rsa), rsa
    assert re.search(r"Server public key is 2048 bit", rsa)
    # TLS 1.2 with an RSA-only cipher suite gets the RSA certificate too.
    rsa12 = s_client(b.port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", servername="a.test")
    assert handshake_ok(rsa12) and "Server public key is 2048 bit" in rsa12


@pytest.mark.parametrize("flag", ["-tls1", "-tls1_1"])
def test_tls_1_0_and_1_1_are_refused(secure, flag):
    b = secure()
    out = s_client(b.port, flag, "-cipher", "DEFAULT@SECLEVEL=0", servername="a.test")
    assert not handshake_ok(out), out
    # The listener still serves others.
    assert handshake_ok(s_client(b.port, servername="a.test"))


def test_modern_profile_is_tls_1_3_only(secure):
    b = secure({"profile": "modern"})
    assert not handshake_ok(s_client(b.port, "-tls1_2", servername="a.test"))
    assert re.search(r"^New, TLSv1\.3", s_client(b.port, servername="a.test"), re.M)


def test_protocols_and_ciphers_can_be_overridden(secure):
    b = secure({"protocols": ["TLSv1.2"], "ciphers": "ECDHE-ECDSA-AES256-GCM-SHA384"})
    out = s_client(b.port, servername="a.test")
    assert re.search(r"^New, TLSv1\.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384", out, re.M), out
    assert not handshake_ok(s_client(b.port, "-tls1_3", servername="a.test"))


def test_alpn_prefers_h2_and_serves_http_1_1_clients(secure):
    b = secure()
    both = s_client(b.port, "-alpn", "h2,http/1.1", servername="a.test", request=b"")
    assert "ALPN protocol: h2" in both, both
    http1 = s_client(b.port, "-alpn", "http/1.1", servername="a.test")
    assert "ALPN protocol: http/1.1" in http1 and "HTTP/1.1 200" in http1
    unknown = s_client(b.port, "-alpn", "spdy/3", servername="a.test")
    assert "No ALPN negotiated" in unknown and handshake_ok(unknown)


def test_ocsp_response_is_stapled_and_reread_when_it_changes(secure, pki, tmp_path):
    leaf = pki.leaf("stapled.test", ["stapled.test"])
    staple = tmp_path / "stapled.ocsp"
    pki.ocsp_response(leaf, staple)
    b = secure(leaves=(leaf,))
    b.stop()
    b.config["listeners"][0]["tls"]["certificates"][0]["ocsp_response"] = str(staple)
    b.config_path.write_text(yaml_dump(b.config))
    b.start()
    out = s_client(b.port, "-status", servername="stapled.test")
    assert "OCSP Response Status: successful" in out and "Cert Status: good" in out, out
    # A revocation reaches clients once the responder's new answer is in the file.
    pki.revoke(leaf)
    pki.ocsp_response(leaf, staple)
    deadline = time.monotonic() + 10
    while True:
        out = s_client(b.port, "-status", servername="stapled.test")
        if "Cert Status: revoked" in out:
            break
        assert time.monotonic() < deadline, out
        time.sleep(0.3)


@pytest.mark.parametrize("source", ["env", "file"])
def test_encrypted_key_with_passphrase_from_env_or_file(bulwark, origin, free_port, pki, tmp_path, source):
    leaf = pki.leaf(f"locked-{source}.test", ["locked.test"], passphrase="open sesame")
    cert = {"cert": str(leaf.cert), "key": str(leaf.key)}
    env_backup = os.environ.get("BULWARK_TEST_KEY_PASS")
    if source == "env":
        os.environ["BULWARK_TEST_KEY_PASS"] = "open sesame"
        cert["passphrase_env"] = "BULWARK_TEST_KEY_PASS"
    else:
        (tmp_path / "pass.txt").write_text("open sesame\n")
        cert["passphrase_file"] = str(tmp_path / "pass.txt")
    try:
        b = bulwark(config=tls_config(free_port, {"certificates": [cert]}, [origin().hostport]), port=free_port)
        assert peer_common_name(s_client(b.port, servername="locked.test")) == f"locked-{source}.test"
    finally:
        if env_backup is None:
            os.environ.pop("BULWARK_TEST_KEY_PASS", None)


def test_hsts_on_every_response(secure, pki):
    b = secure({"hsts": {"max_age": "1y", "include_subdomains": True}},
               routes=[{"match": {"prefix": "/local"}, "direct_response": {"status": 200, "body": "hi"}},
                       {"match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}])
    for path in ("/", "/local"):
        with connect(b.port, client_context(pki)) as s:
            status, headers, _ = request(s, path, close=True)
        assert status == 200
        assert headers.get("strict-transport-security") == "max-age=31536000; includeSubDomains", (path, headers)


def test_plain_listener_redirects_to_https(bulwark, free_port):
    cfg = {"listeners": [{"name": "plain", "listen": f"127.0.0.1:{free_port}", "redirect_to_https": True}]}
    b = bulwark(config=cfg, port=free_port)
    with RawClient(b.port) as c:
        r = c.request("GET", "/a/b?x=1", host=f"example.test:{free_port}")
        assert r.status == 301 and r.headers.get("location") == "https://example.test/a/b?x=1"
        r = c.request("POST", "/form", headers={"Content-Length": "0"}, host="example.test")
        assert r.status == 308 and r.headers.get("location") == "https://example.test/form"


def test_quick_mode_serves_tls(bulwark, origin, pki):
    backend = origin()
    b = bulwark.quick("--to", backend.url, "--tls-cert", str(pki.a.cert), "--tls-key", str(pki.a.key))
    out = s_client(b.port, "-tls1_2", servername="a.test")
    assert not handshake_ok(out), "quick mode uses the modern profile (TLS 1.3 only)"
    out = s_client(b.port, servername="a.test")
    assert re.search(r"^New, TLSv1\.3", out, re.M) and "HTTP/1.1 200" in out, out


@pytest.mark.parametrize("socket_bio", [False, True], ids=["own-bio", "socket-bio"])
def test_keep_alive_and_static_files_over_tls(bulwark, origin, free_port, pki, tmp_path, monkeypatch, socket_bio):
    # socket-bio: listeners work as with kernel TLS (OpenSSL reads the socket itself), which this
    # kernel cannot offload; the waits, the parking and the copy path for files are the same.
    if socket_bio:
        monkeypatch.setenv("BULWARK_TLS_SOCKET_BIO", "1")
    (tmp_path / "www" / "files").mkdir(parents=True)
    big = bytes(range(256)) * (3 * 4096 + 7)  # 3 MiB and a bit: many records, many writes
    (tmp_path / "www" / "files" / "big.bin").write_bytes(big)
    routes = [{"match": {"prefix": "/files"}, "static": {"root": str(tmp_path / "www")}},
              {"match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}]
    b = bulwark(config=tls_config(free_port, listener_tls(pki.a), [origin().hostport], routes=routes),
                port=free_port)
    with connect(b.port, client_context(pki)) as s:
        for i in range(4):
            assert request(s, f"/r{i}")[0] == 200
            time.sleep(0.05)  # long enough for the connection to be parked between requests
        status, headers, body = request(s, "/files/big.bin")
        assert status == 200 and len(body) == len(big) and body == big
        assert request(s, "/after", close=True)[0] == 200


def test_silent_and_non_tls_clients_are_closed_and_others_still_served(secure):
    b = secure(timeouts={"header_read": "1s"})
    silent = socket.create_connection(("127.0.0.1", b.port), timeout=10)
    plain = socket.create_connection(("127.0.0.1", b.port), timeout=10)
    plain.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n")  # HTTP to a TLS port
    answer = b""
    try:
        while chunk := plain.recv(4096):
            answer += chunk
    except ConnectionResetError:
        pass
    assert not answer.startswith(b"HTTP/"), answer  # at most a TLS alert, never a plain reply
    assert not b.origin.requests
    started = time.monotonic()
    try:
        assert silent.recv(1) == b""  # closed once header_read passes without a ClientHello
    except ConnectionResetError:
        pass
    assert 0.5 < time.monotonic() - started < 5
    assert handshake_ok(s_client(b.port, servername="a.test"))
