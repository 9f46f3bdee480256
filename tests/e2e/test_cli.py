"""The command line: run, validate, proxy, --version, --help; exit codes and messages."""

import re
import socket
import subprocess
import textwrap

import pytest



@pytest.fixture
def cli(bulwark_exe):
    def run(*args, timeout=10, **kw):
        try:
            return subprocess.run([bulwark_exe, *args], capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, **kw)
        except subprocess.TimeoutExpired:
            pytest.fail(f"`bulwark {' '.join(args)}` did not finish within {timeout} s")
    return run


GOOD = """\
workers: 1
limits: {{ max_body_bytes: 10MiB, max_header_count: 50 }}
timeouts: {{ upstream_read: 30s, idle: 500ms }}
listeners:
  - name: public
    listen: 127.0.0.1:{port}
    virtual_hosts:
      - domains: ["*"]
        routes:
          - match: {{ exact: /hello }}
            direct_response: {{ status: 200, body: "hi", headers: {{ content-type: text/plain }} }}
          - match: {{ prefix: / }}
            proxy: {{ cluster: backend }}
clusters:
  - name: backend
    endpoints: [ 127.0.0.1:9 ]
"""


def write(tmp_path, text, name="bulwark.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def location_lines(stderr: str, path) -> list[tuple[int, int, str]]:
    out = []
    for line in stderr.splitlines():
        m = re.match(rf"^{re.escape(str(path))}:(\d+):(\d+): (.+)$", line)
        if m:
            out.append((int(m.group(1)), int(m.group(2)), m.group(3)))
    return out


def test_version(cli):
    r = cli("--version")
    assert r.returncode == 0, r
    assert re.match(r"^bulwark \d+\.\d+\.\d+\S*$", r.stdout.strip()), f"--version printed {r.stdout!r}"


def test_help(cli):
    r = cli("--help")
    assert r.returncode == 0, r
    text = (r.stdout + r.stderr).lower()
    for word in ("run", "validate", "proxy"):
        assert word in text, f"--help does not mention {word}: {text[:800]}"


@pytest.mark.parametrize("args", [
    ["--no-such-flag"],
    ["frobnicate"],
    ["run"],                                  # -c is required
    ["proxy", "--listen", "127.0.0.1:1"],     # --to is required
    # TLS options that only make sense together.
    ["proxy", "--listen", "127.0.0.1:1", "--to", "http://127.0.0.1:9", "--tls-cert", "a.pem"],
    ["proxy", "--listen", "127.0.0.1:1", "--to", "http://127.0.0.1:9", "--tls-key", "a.key"],
    ["proxy", "--listen", "127.0.0.1:1", "--to", "http://127.0.0.1:9", "--tls-resumption", "off"],
    ["proxy", "--listen", "127.0.0.1:1", "--to", "http://127.0.0.1:9", "--tls-cert", "a.pem",
     "--tls-key", "a.key", "--tls-resumption", "sometimes"],
])
def test_bad_command_line_exits_2_with_usage(cli, args):
    r = cli(*args)
    assert r.returncode == 2, f"`bulwark {' '.join(args)}` exited {r.returncode}; stderr: {r.stderr!r}"
    assert "usage" in r.stderr.lower(), f"no usage on stderr: {r.stderr!r}"


@pytest.mark.parametrize("args,option", [
    (["proxy", "--listen", "not-an-address", "--to", "http://127.0.0.1:9"], "--listen"),
    (["proxy", "--listen", "127.0.0.1:1", "--to", "ftp://127.0.0.1:9"], "--to"),
    (["proxy", "--listen", "127.0.0.1:1", "--to", "http://127.0.0.1:9", "--workers", "lots"], "--workers"),
    (["proxy", "--listen", "127.0.0.1:1", "--to", "https://127.0.0.1:9", "--to", "http://127.0.0.1:8"],
     "--to"),
    (["proxy", "--listen", "127.0.0.1:1", "--to", "http://127.0.0.1:9", "--insecure-upstream"],
     "--insecure-upstream"),
])
def test_bad_option_value_exits_2_naming_the_option(cli, args, option):
    """A well-formed command line with a bad value: exit 2 and a message that names the option
    (usage or a precise hint)."""
    r = cli(*args)
    assert r.returncode == 2, f"`bulwark {' '.join(args)}` exited {r.returncode}; stderr: {r.stderr!r}"
    assert option in r.stderr or "usage" in r.stderr.lower(), f"stderr does not say what is wrong: {r.stderr!r}"


@pytest.mark.parametrize("command", ["run", "validate"])
def test_missing_config_file(cli, tmp_path, command):
    missing = tmp_path / "nope" / "missing.yaml"
    r = cli(command, "-c", str(missing))
    assert r.returncode == 1, r
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    assert "missing.yaml" in lines[0]


def test_validate_good_config(cli, tmp_path, free_port):
    p = write(tmp_path, GOOD.format(port=free_port))
    r = cli("validate", "-c", str(p))
    assert r.returncode == 0, f"validate rejected a good config: {r.stderr}"
    assert (r.stdout + r.stderr).strip(), "validate printed no summary"
    assert len([ln for ln in r.stdout.splitlines() if ln.strip()]) >= 1
    # validate must not have started serving
    with socket.socket() as s:
        s.bind(("127.0.0.1", free_port))


BAD_CONFIGS = {
    "unknown_cluster": ("""\
        listeners:
          - name: public
            listen: 127.0.0.1:{port}
            virtual_hosts:
              - domains: ["*"]
                routes:
                  - match: {{ prefix: / }}
                    proxy: {{ cluster: nope }}
        clusters:
          - name: backend
            endpoints: [ 127.0.0.1:9 ]
        """, 8),
    "bad_duration": ("""\
        timeouts:
          idle: 10s
          upstream_read: 5 parsecs
        listeners:
          - name: public
            listen: 127.0.0.1:{port}
            virtual_hosts:
              - domains: ["*"]
                routes:
                  - match: {{ exact: /x }}
                    direct_response: {{ status: 200, body: ok }}
        """, 3),
    "bad_size": ("""\
        workers: 1
        limits:
          max_body_bytes: lots
        listeners:
          - name: public
            listen: 127.0.0.1:{port}
            virtual_hosts:
              - domains: ["*"]
                routes:
                  - match: {{ exact: /x }}
                    direct_response: {{ status: 200, body: ok }}
        """, 3),
    "bad_listen_port": ("""\
        listeners:
          - name: public
            listen: 127.0.0.1:99999
            virtual_hosts:
              - domains: ["*"]
                routes:
                  - match: {{ exact: /x }}
                    direct_response: {{ status: 200, body: ok }}
        """, 3),
    "bad_workers": ("""\
        workers: many
        listeners:
          - name: public
            listen: 127.0.0.1:{port}
            virtual_hosts:
              - domains: ["*"]
                routes:
                  - match: {{ exact: /x }}
                    direct_response: {{ status: 200, body: ok }}
        """, 1),
    "bad_endpoint": ("""\
        listeners:
          - name: public
            listen: 127.0.0.1:{port}
            virtual_hosts:
              - domains: ["*"]
                routes:
                  - match: {{ prefix: / }}
                    proxy: {{ cluster: backend }}
        clusters:
          - name: backend
            endpoints: [ "127.0.0.1:1", "no port here" ]
        """, 11),
}


@pytest.mark.parametrize("name", list(BAD_CONFIGS))
def test_validate_bad_config_points_at_line_and_column(cli, tmp_path, free_port, name):
    text, line = BAD_CONFIGS[name]
    p = write(tmp_path, text.format(port=free_port))
    r = cli("validate", "-c", str(p))
    assert r.returncode == 1, f"validate accepted a bad config ({name}); stdout {r.stdout!r} stderr {r.stderr!r}"
    locs = location_lines(r.stderr, p)
    assert locs, f"no `{p}:line:column: message` on stderr: {r.stderr!r}"
    assert any(ln == line for ln, _, _ in locs), f"expected an error on line {line}, got {locs}"
    assert all(col >= 1 for _, col, _ in locs)


def test_yaml_syntax_error_has_location(cli, tmp_path):
    p = write(tmp_path, "workers: 1\nlisteners: [ { name: a, listen: 127.0.0.1:1\n")
    r = cli("validate", "-c", str(p))
    assert r.returncode == 1
    assert location_lines(r.stderr, p), f"no file:line:column on stderr: {r.stderr!r}"


def test_run_with_bad_config_fails_with_location(cli, tmp_path, free_port):
    text, line = BAD_CONFIGS["unknown_cluster"]
    p = write(tmp_path, text.format(port=free_port))
    r = cli("run", "-c", str(p))
    assert r.returncode != 0
    assert any(ln == line for ln, _, _ in location_lines(r.stderr, p)), r.stderr


def test_run_fails_cleanly_when_port_is_taken(cli, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = write(tmp_path, GOOD.format(port=port))
        r = cli("run", "-c", str(p), timeout=10)
    assert r.returncode != 0, "bulwark started although its port was taken"
    assert r.stderr.strip(), "no message for a port in use"
