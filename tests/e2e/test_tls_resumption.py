"""Session resumption: tickets with keys shared by all workers and rotated on a schedule, the
session cache, and resumption switched off (issue 5, point 4)."""

import re
import time

import pytest

from tls_support import listener_tls, s_client, tls_config


@pytest.fixture
def secure(bulwark, origin, free_port, pki):
    backend = origin()

    def start(tls_extra=None, workers=2):
        tls = listener_tls(pki.a, **(tls_extra or {}))
        return bulwark(config=tls_config(free_port, tls, [backend.hostport], workers=workers), port=free_port)

    return start


def resume(port, session_file, *args) -> str:
    return s_client(port, "-sess_in", session_file, *args)


def reused(output: str) -> bool:
    return bool(re.search(r"^Reused, TLSv1\.[23]", output, re.M))


@pytest.mark.parametrize("version", ["-tls1_3", "-tls1_2"])
def test_sessions_resume_on_every_worker(secure, tmp_path, version):
    b = secure(workers=2)
    session = tmp_path / "session.pem"
    first = s_client(b.port, version, "-sess_out", session)
    assert re.search(r"^New, TLSv1\.[23]", first, re.M) and session.stat().st_size > 0, first
    # SO_REUSEPORT spreads these connections over both workers (their source ports differ): all
    # twelve resuming shows that every worker opens the tickets another one sealed.
    outputs = [resume(b.port, session, version) for _ in range(12)]
    assert all(reused(o) for o in outputs), next(o for o in outputs if not reused(o))


def test_session_cache_resumes_without_tickets(secure, tmp_path):
    b = secure({"resumption": {"tickets": False, "session_cache": True}})
    session = tmp_path / "session.pem"
    s_client(b.port, "-tls1_2", "-sess_out", session)
    assert reused(resume(b.port, session, "-tls1_2"))


def test_ticket_from_before_one_rotation_resumes_but_not_from_before_two(secure, tmp_path):
    b = secure({"resumption": {"ticket_key_rotation": "2s", "session_cache": False}}, workers=1)
    session = tmp_path / "session.pem"
    s_client(b.port, "-tls1_3", "-sess_out", session)
    time.sleep(2.5)  # one rotation: the ticket's key is now the previous one
    assert reused(resume(b.port, session, "-tls1_3"))
    old = tmp_path / "old.pem"
    s_client(b.port, "-tls1_3", "-sess_out", old)
    time.sleep(4.5)  # two rotations later its key is gone
    assert not reused(resume(b.port, old, "-tls1_3"))


def test_resumption_off_means_full_handshakes(secure, tmp_path):
    b = secure({"resumption": "off"})
    session = tmp_path / "session.pem"
    s_client(b.port, "-tls1_2", "-sess_out", session)
    assert not reused(resume(b.port, session, "-tls1_2"))
    s_client(b.port, "-tls1_3", "-sess_out", session)
    assert not reused(resume(b.port, session, "-tls1_3"))


def test_quick_mode_resumption_off(bulwark, origin, pki, tmp_path):
    backend = origin()
    b = bulwark.quick("--to", backend.url, "--tls-cert", str(pki.a.cert), "--tls-key", str(pki.a.key),
                      "--tls-resumption", "off")
    session = tmp_path / "session.pem"
    s_client(b.port, "-sess_out", session)
    assert not reused(resume(b.port, session))
