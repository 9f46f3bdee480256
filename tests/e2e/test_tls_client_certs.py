"""Client certificates (mTLS): required, optional, per-route requirement, identity headers to the
backend, forged identity headers removed, revocation by CRL (issue 5, point 6)."""

import ssl

import pytest

from tls_support import client_context, connect, listener_tls, request, s_client, tls_config


@pytest.fixture
def mtls(bulwark, origin, free_port, pki):
    backend = origin()

    def start(mode, routes=None, **client_certs):
        tls = listener_tls(pki.a, client_certificates={"mode": mode, "ca": str(pki.ca_bundle), **client_certs})
        b = bulwark(config=tls_config(free_port, tls, [backend.hostport], routes=routes), port=free_port)
        b.origin = backend
        return b

    return start


def test_required_refuses_a_client_without_certificate(mtls, pki):
    b = mtls("required")
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        with connect(b.port, client_context(pki)) as s:
            request(s)
    out = s_client(b.port, "-cert", pki.alice.cert, "-key", pki.alice.key)
    assert "HTTP/1.1 200" in out, out


def test_identity_headers_reach_the_backend_and_forged_ones_do_not(mtls, pki):
    b = mtls("required")
    forged = {"X-Client-Cert-Subject": "CN=admin", "X-Client-Cert-Fingerprint": "00"}
    with connect(b.port, client_context(pki, cert=pki.alice)) as s:
        status, _, _ = request(s, headers=forged, close=True)
    assert status == 200
    req = b.origin.requests[-1]
    assert req.headers.get_all("x-client-cert-subject") == ["O=Example,CN=alice"]
    sans = req.headers.get("x-client-cert-san")
    assert "email:alice@example.com" in sans and "URI:spiffe://example/alice" in sans, sans
    fingerprint = req.headers.get_all("x-client-cert-fingerprint")
    expected = ssl.PEM_cert_to_DER_cert(pki.alice.leaf.read_text())
    import hashlib
    assert fingerprint == [hashlib.sha256(expected).hexdigest()]


def test_forged_identity_headers_are_removed_without_a_certificate(mtls, pki):
    b = mtls("optional")
    with connect(b.port, client_context(pki)) as s:
        status, _, _ = request(s, headers={"X-Client-Cert-Subject": "CN=admin"}, close=True)
    assert status == 200
    assert b.origin.requests[-1].headers.get("x-client-cert-subject") is None


def test_header_names_are_configurable(mtls, pki):
    b = mtls("required", headers={"subject": "ssl-client-dn", "sans": "", "fingerprint": ""})
    with connect(b.port, client_context(pki, cert=pki.alice)) as s:
        request(s, close=True)
    req = b.origin.requests[-1]
    assert req.headers.get("ssl-client-dn") == "O=Example,CN=alice"
    assert req.headers.get("x-client-cert-san") is None and req.headers.get("x-client-cert-subject") is None


def test_route_requires_a_client_certificate(mtls, pki):
    routes = [{"match": {"prefix": "/admin"}, "require_client_certificate": True, "proxy": {"cluster": "backend"}},
              {"match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}]
    b = mtls("optional", routes=routes)
    with connect(b.port, client_context(pki)) as s:
        assert request(s, "/public")[0] == 200
        assert request(s, "/admin", close=True)[0] == 403
    with connect(b.port, client_context(pki, cert=pki.alice)) as s:
        assert request(s, "/admin", close=True)[0] == 200


def test_certificate_from_another_ca_is_refused(mtls, pki, tmp_path):
    from pki import Pki
    stranger = Pki(tmp_path / "other").leaf("mallory", client=True)
    b = mtls("optional")
    out = s_client(b.port, "-cert", stranger.cert, "-key", stranger.key)
    assert "HTTP/1.1 400" in out, out
    assert not b.origin.requests
    b.stop()
    b2 = mtls("required")
    assert "HTTP/1.1" not in s_client(b2.port, "-cert", stranger.cert, "-key", stranger.key)


def test_revoked_certificate_is_refused_by_the_crl(mtls, pki):
    bob = pki.leaf("bob", client=True, subject="/CN=bob")
    pki.revoke(bob)
    b = mtls("required", crl=str(pki.crl()))
    assert "HTTP/1.1 200" not in s_client(b.port, "-cert", bob.cert, "-key", bob.key)
    assert "HTTP/1.1 200" in s_client(b.port, "-cert", pki.alice.cert, "-key", pki.alice.key)
