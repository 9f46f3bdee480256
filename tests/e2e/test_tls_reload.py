"""Certificates reload with the configuration and when their files change, without dropping open
connections; a bad certificate is a validation error naming the file and the reason (issue 5,
point 8)."""

import shutil
import signal
import subprocess
import time

import pytest

from conftest import yaml_dump
from tls_support import client_context, connect, listener_tls, peer_common_name, request, s_client, tls_config


def served_name(port, name="a.test") -> str | None:
    return peer_common_name(s_client(port, servername=name))


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_reload_serves_a_new_certificate_without_dropping_an_open_connection(bulwark, origin, free_port, pki):
    backend = origin()
    renewed = pki.leaf("a.test-renewed", ["a.test"])
    cfg = tls_config(free_port, listener_tls(pki.a), [backend.hostport])
    b = bulwark(config=cfg, port=free_port)
    assert served_name(b.port) == "a.test"
    ctx = client_context(pki)
    with connect(b.port, ctx) as kept:
        assert request(kept)[0] == 200
        cfg["listeners"][0]["tls"] = listener_tls(renewed)
        b.config_path.write_text(yaml_dump(cfg))
        b.signal(signal.SIGHUP)
        b.stopped_by_test = False
        wait_for(lambda: served_name(b.port) == "a.test-renewed")
        # The connection opened before the reload is still served, on its old session.
        assert request(kept)[0] == 200
        assert request(kept, close=True)[0] == 200


def serving_copied_files(bulwark, origin, free_port, pki, tmp_path):
    """bulwark serving copies of a.test's certificate and key, which the test then changes."""
    cert, key = tmp_path / "site.pem", tmp_path / "site.key"
    shutil.copy(pki.a.cert, cert)
    shutil.copy(pki.a.key, key)
    cfg = tls_config(free_port, {"certificates": [{"cert": str(cert), "key": str(key)}]}, [origin().hostport])
    return bulwark(config=cfg, port=free_port), cert, key


def test_changed_certificate_files_are_picked_up(bulwark, origin, free_port, pki, tmp_path):
    b, cert, key = serving_copied_files(bulwark, origin, free_port, pki, tmp_path)
    with connect(b.port, client_context(pki)) as kept:
        assert request(kept)[0] == 200
        renewed = pki.leaf("a.test-rotated", ["a.test"])
        # As certbot does: key and certificate replaced, one after the other.
        shutil.copy(renewed.key, key)
        shutil.copy(renewed.cert, cert)
        wait_for(lambda: served_name(b.port) == "a.test-rotated")
        assert request(kept, close=True)[0] == 200


def test_a_broken_file_keeps_the_running_certificate(bulwark, origin, free_port, pki, tmp_path):
    b, cert, _ = serving_copied_files(bulwark, origin, free_port, pki, tmp_path)
    cert.write_text("not a certificate\n")
    wait_for(lambda: "certificates not updated" in b.stderr_text())
    assert served_name(b.port) == "a.test"


@pytest.mark.parametrize("case,reason", [
    ("expired", "expired on 2021-01-01"),
    ("future", "not valid before 2099-01-01"),
    ("mismatch", "does not match"),
    ("unreadable", "No such file or directory"),
    ("garbage", "no PEM certificate"),
    ("encrypted", "passphrase"),
])
def test_bad_certificate_is_a_validation_error(bulwark_exe, pki, tmp_path, case, reason):
    cert, key = pki.a.cert, pki.a.key
    if case == "expired":
        leaf = pki.leaf("old.test", ["old.test"], start="20200101000000Z", end="20210101000000Z")
        cert, key = leaf.cert, leaf.key
    elif case == "future":
        leaf = pki.leaf("future.test", ["future.test"], start="20990101000000Z", end="21000101000000Z")
        cert, key = leaf.cert, leaf.key
    elif case == "mismatch":
        key = pki.wild.key
    elif case == "unreadable":
        cert = tmp_path / "missing.pem"
    elif case == "garbage":
        cert = tmp_path / "garbage.pem"
        cert.write_text("hello\n")
    elif case == "encrypted":
        key = pki.leaf("locked.test", ["a.test"], passphrase="x").key
        cert = pki.a.cert
    cfg = tls_config(18443, {"certificates": [{"cert": str(cert), "key": str(key)}]}, ["127.0.0.1:9"])
    path = tmp_path / "bulwark.yaml"
    path.write_text(yaml_dump(cfg))
    r = subprocess.run([bulwark_exe, "validate", "-c", str(path)], capture_output=True, text=True, timeout=20)
    assert r.returncode == 1, r.stdout
    message = r.stderr + r.stdout
    assert str(path) in message and reason in message, message
    named = str(key) if case in ("mismatch", "encrypted") else str(cert)
    assert named in message, message
