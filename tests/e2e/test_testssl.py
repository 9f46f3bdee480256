"""testssl.sh (Debian's package) against a listener with the `modern` profile: no finding reported
as vulnerable and no protocol below TLS 1.2 offered (issue 5)."""

import json
import shutil
import subprocess

import pytest

from tls_support import listener_tls, tls_config

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("heavy")]


@pytest.mark.timeout(600)
def test_testssl_finds_nothing_vulnerable_in_the_modern_profile(bulwark, origin, free_port, pki, tmp_path):
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    assert testssl, "testssl.sh is installed by scripts/install-deps.sh"
    backend = origin()
    b = bulwark(config=tls_config(free_port, listener_tls(pki.a, pki.a_rsa, profile="modern"),
                                  [backend.hostport]), port=free_port)
    report = tmp_path / "testssl.json"
    r = subprocess.run([testssl, "--quiet", "--color", "0", "--warnings", "off", "--sneaky", "--fast",
                        "--protocols", "--vulnerable", "--jsonfile", str(report), f"127.0.0.1:{b.port}"],
                       capture_output=True, text=True, timeout=580)
    findings = json.loads(report.read_text())
    assert findings, r.stdout + r.stderr
    by_id = {f["id"]: f for f in findings}
    for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert by_id[old]["finding"].startswith("not offered"), by_id[old]
    assert by_id["TLS1_3"]["finding"].startswith("offered"), by_id["TLS1_3"]
    # The vulnerability checks ran (their ids are there), not just the protocol scan.
    for check in ("heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego", "CRIME_TLS", "BREACH",
                  "POODLE_SSL", "FREAK", "DROWN", "LOGJAM", "BEAST", "LUCKY13", "RC4"):
        assert check in by_id, (check, sorted(by_id))
    vulnerable = [f for f in findings if "VULNERABLE" in f.get("finding", "").upper()
                  and "NOT VULNERABLE" not in f.get("finding", "").upper()]
    assert not vulnerable, vulnerable
    assert not [f for f in findings if f.get("severity") in ("HIGH", "CRITICAL")], findings
