"""FastCGI backends (cluster `protocol: fastcgi`): a real php-fpm behind bulwark."""

import hashlib
import json
import os
import socket
import subprocess
import time

import httpx
import pytest

from conftest import find_free_port
from php_fpm import PhpFpm, TcpCounter

INFO = r"""<?php
header('Content-Type: application/json');
$keys = ['GATEWAY_INTERFACE', 'SERVER_SOFTWARE', 'SERVER_PROTOCOL', 'REQUEST_METHOD', 'REQUEST_URI',
         'SCRIPT_NAME', 'SCRIPT_FILENAME', 'DOCUMENT_ROOT', 'DOCUMENT_URI', 'PATH_INFO',
         'QUERY_STRING', 'CONTENT_TYPE', 'CONTENT_LENGTH', 'REMOTE_ADDR', 'REMOTE_PORT',
         'SERVER_NAME', 'SERVER_ADDR', 'SERVER_PORT', 'HTTPS', 'REQUEST_SCHEME', 'HTTP_X_CUSTOM',
         'HTTP_PROXY', 'HTTP_HOST', 'HTTP_ACCEPT', 'APP_ENV'];
$out = [];
foreach ($keys as $k) { $out[$k] = $_SERVER[$k] ?? null; }
$out['get'] = $_GET;
$out['post'] = $_POST;
$out['proxy_env'] = getenv('HTTP_PROXY');
echo json_encode($out);
"""

SCRIPTS = {
    "info.php": INFO,
    "dir/index.php": "<?php echo 'index of dir';",
    "hash.php": "<?php $b = file_get_contents('php://input');"
                " echo json_encode(['len' => strlen($b), 'md5' => md5($b)]);",
    "status.php": "<?php http_response_code(404); header('X-From-Php: yes');"
                  " header('Cache-Control: no-store'); echo 'gone';",
    "redirect.php": "<?php header('Location: /elsewhere'); ",
    "length.php": "<?php header('Content-Length: 5'); echo 'exact';",
    "stream.php": "<?php echo \"first\\n\"; flush(); sleep(2); echo \"second\\n\";",
    "slow.php": "<?php sleep(3); echo 'late';",
    "big.php": "<?php echo str_repeat('0123456789abcdef', 200000);",
    "short.php": "<?php header('Content-Length: 10'); echo 'short';",
    "long.php": "<?php header('Content-Length: 2'); echo 'too long';",
}


@pytest.fixture
def php_fpm(request, tmp_path):
    saved = {k: os.environ.pop(k) for k in ("HTTP_PROXY", "http_proxy") if k in os.environ}
    # Parametrized indirectly: how many requests a php-fpm child serves before it exits.
    fpm = PhpFpm(tmp_path / "fpm", find_free_port(), max_requests=getattr(request, "param", 0))
    fpm.workdir.mkdir()
    for name, source in SCRIPTS.items():
        fpm.write_script(name, source)
    try:
        fpm.start()
    finally:
        os.environ.update(saved)
    yield fpm
    fpm.stop()


def fastcgi_cluster(endpoint: str, root, **fastcgi) -> dict:
    return {"name": "backend", "endpoints": [endpoint], "protocol": "fastcgi",
            "fastcgi": {"root": str(root), **fastcgi}}


def start(bulwark, fpm, endpoint=None, **sections):
    endpoint = endpoint or f"127.0.0.1:{fpm.port}"
    cluster = fastcgi_cluster(endpoint, fpm.root, params={"APP_ENV": "e2e"})
    return bulwark(clusters=[cluster], **sections)


def test_get_with_query_and_cgi_variables(bulwark, php_fpm):
    b = start(bulwark, php_fpm)
    r = httpx.get(f"{b.url}/info.php/extra/path?a=1&b=two",
                  headers={"X-Custom": "hello", "Proxy": "http://evil.example:3128",
                           "Accept": "text/plain"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    v = r.json()
    assert v["get"] == {"a": "1", "b": "two"}
    assert v["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert v["SERVER_SOFTWARE"] == "bulwark"
    assert v["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert v["REQUEST_METHOD"] == "GET"
    assert v["REQUEST_URI"] == "/info.php/extra/path?a=1&b=two"
    assert v["SCRIPT_NAME"] == "/info.php"
    assert v["SCRIPT_FILENAME"] == f"{php_fpm.root}/info.php"
    assert v["DOCUMENT_ROOT"] == str(php_fpm.root)
    assert v["PATH_INFO"] == "/extra/path"
    assert v["QUERY_STRING"] == "a=1&b=two"
    assert v["REMOTE_ADDR"] == "127.0.0.1"
    assert int(v["REMOTE_PORT"]) > 0
    assert v["SERVER_NAME"] == "127.0.0.1"
    assert v["SERVER_ADDR"] == "127.0.0.1"
    assert v["SERVER_PORT"] == str(b.port)
    assert v["REQUEST_SCHEME"] == "http"
    assert v["HTTPS"] is None
    assert v["HTTP_X_CUSTOM"] == "hello"
    assert v["HTTP_ACCEPT"] == "text/plain"
    assert v["APP_ENV"] == "e2e"
    # httpoxy (CVE-2016-5385): the client's Proxy header never becomes HTTP_PROXY.
    assert v["HTTP_PROXY"] is None
    assert v["proxy_env"] is False
    # The backend's identity is not a CGI-only field: no Status header reaches the client.
    assert "status" not in r.headers


def test_directory_gets_index(bulwark, php_fpm):
    b = start(bulwark, php_fpm)
    r = httpx.get(f"{b.url}/dir/")
    assert r.status_code == 200
    assert r.text == "index of dir"


def test_post_form(bulwark, php_fpm):
    b = start(bulwark, php_fpm)
    r = httpx.post(f"{b.url}/info.php", data={"name": "bulwark", "n": "42"})
    assert r.status_code == 200
    v = r.json()
    assert v["REQUEST_METHOD"] == "POST"
    assert v["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert v["CONTENT_LENGTH"] == str(len("name=bulwark&n=42"))
    assert v["post"] == {"name": "bulwark", "n": "42"}


@pytest.mark.parametrize("buffer_size", [None, "1MiB"])
def test_post_one_mebibyte_body(bulwark, php_fpm, buffer_size):
    # With 1 MiB buffers one read holds more than a STDIN record can carry (65535 bytes).
    b = start(bulwark, php_fpm, **({"limits": {"buffer_size": buffer_size}} if buffer_size else {}))
    body = os.urandom(1 << 20)
    r = httpx.post(f"{b.url}/hash.php", content=body,
                   headers={"Content-Type": "application/octet-stream"}, timeout=30)
    assert r.status_code == 200
    assert r.json() == {"len": len(body), "md5": hashlib.md5(body).hexdigest()}


def test_large_response_is_streamed_whole(bulwark, php_fpm):
    b = start(bulwark, php_fpm)
    r = httpx.get(f"{b.url}/big.php", timeout=30)
    assert r.status_code == 200
    assert r.headers.get("transfer-encoding") == "chunked"  # no length from the script
    assert r.content == b"0123456789abcdef" * 200000


def test_status_and_headers_set_by_php(bulwark, php_fpm):
    b = start(bulwark, php_fpm)
    r = httpx.get(f"{b.url}/status.php")
    assert r.status_code == 404
    assert r.headers["x-from-php"] == "yes"
    assert r.headers["cache-control"] == "no-store"
    assert r.text == "gone"
    r = httpx.get(f"{b.url}/redirect.php")
    assert r.status_code == 302
    assert r.headers["location"] == "/elsewhere"
    r = httpx.get(f"{b.url}/length.php")
    assert r.status_code == 200
    assert r.headers["content-length"] == "5"
    assert r.text == "exact"


def test_missing_script_is_404_from_php_fpm(bulwark, php_fpm):
    b = start(bulwark, php_fpm)
    r = httpx.get(f"{b.url}/nope.php")
    assert r.status_code == 404
    assert "File not found" in r.text
    # php-fpm's STDERR ("Primary script unknown") goes to bulwark's log.
    deadline = time.monotonic() + 5
    while "Primary script unknown" not in b.stderr_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "FastCGI stderr: Primary script unknown" in b.stderr_text()


def test_head_request_has_no_body_and_keeps_the_connection(bulwark, php_fpm):
    b = start(bulwark, php_fpm)
    with httpx.Client() as client:
        r = client.head(f"{b.url}/info.php")
        assert r.status_code == 200
        assert r.content == b""
        r = client.get(f"{b.url}/dir/")
        assert r.text == "index of dir"


def test_output_is_streamed_before_the_script_ends(bulwark, php_fpm):
    b = start(bulwark, php_fpm)
    with socket.create_connection(b.addr, timeout=10) as s:
        started = time.monotonic()
        s.sendall(b"GET /stream.php HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while b"first" not in received:
            chunk = s.recv(65536)
            assert chunk, received
            received += chunk
        first_after = time.monotonic() - started
        while chunk := s.recv(65536):
            received += chunk
        total = time.monotonic() - started
    assert first_after < 1.5, first_after  # the script sleeps 2 s after its flush()
    assert total >= 2.0
    assert b"Transfer-Encoding: chunked" in received
    assert b"second" in received and received.endswith(b"0\r\n\r\n")


def test_connection_is_reused(bulwark, php_fpm):
    counter = TcpCounter(php_fpm.port)
    try:
        b = start(bulwark, php_fpm, endpoint=f"127.0.0.1:{counter.port}")
        with httpx.Client() as client:
            for i in range(20):
                if i % 5 == 4:
                    r = client.post(f"{b.url}/hash.php", content=b"x" * (i * 1000))
                    assert r.json()["len"] == i * 1000
                else:
                    r = client.get(f"{b.url}/info.php?i={i}")
                    assert r.json()["get"] == {"i": str(i)}
            r = client.get(f"{b.url}/status.php")
            assert r.status_code == 404
            r = client.get(f"{b.url}/length.php")
            assert r.text == "exact"
        assert counter.accepted == 1
    finally:
        counter.stop()


def test_php_fpm_down_is_502(bulwark, php_fpm):
    b = start(bulwark, php_fpm, endpoint=f"127.0.0.1:{find_free_port()}")
    r = httpx.get(f"{b.url}/info.php")
    assert r.status_code == 502


def test_slow_script_is_504(bulwark, php_fpm):
    b = start(bulwark, php_fpm, timeouts={"upstream_read": "1s"})
    started = time.monotonic()
    r = httpx.get(f"{b.url}/slow.php", timeout=10)
    assert r.status_code == 504
    assert time.monotonic() - started < 2.5
    # A slow script's connection is not reused: the next request is answered normally.
    r = httpx.get(f"{b.url}/dir/", timeout=10)
    assert r.text == "index of dir"


def test_chunked_request_body_is_411(bulwark, php_fpm):
    # PHP-FPM reads CONTENT_LENGTH bytes of body; a chunked one would reach the script empty.
    b = start(bulwark, php_fpm)
    with socket.create_connection(b.addr, timeout=10) as s:
        s.sendall(b"POST /hash.php HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n0\r\n\r\n")
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 411 "), received[:200]


def test_tls_client_gets_https_on(bulwark, php_fpm, pki):
    port = find_free_port()
    listener = {"name": "public", "listen": f"127.0.0.1:{port}",
                "tls": {"certificates": [{"cert": str(pki.a.cert), "key": str(pki.a.key)}]},
                "virtual_hosts": [{"domains": ["*"],
                                   "routes": [{"match": {"prefix": "/"},
                                               "proxy": {"cluster": "backend"}}]}]}
    bulwark(clusters=[fastcgi_cluster(f"127.0.0.1:{php_fpm.port}", php_fpm.root)],
            listeners=[listener], port=port)
    out = subprocess.run(["curl", "-sS", "--cacert", str(pki.ca_bundle), "--resolve",
                          f"a.test:{port}:127.0.0.1", f"https://a.test:{port}/info.php"],
                         capture_output=True, timeout=20, check=True).stdout
    v = json.loads(out)
    assert v["HTTPS"] == "on"
    assert v["REQUEST_SCHEME"] == "https"
    assert v["SERVER_NAME"] == "a.test"
    assert v["SERVER_PORT"] == str(port)


@pytest.mark.parametrize("script", ["short.php", "long.php"])
def test_body_not_matching_its_content_length_closes_the_client(bulwark, php_fpm, script):
    # bulwark never sends more bytes than the Content-Length it announced, nor leaves a client
    # waiting for bytes that will not come: the connection closes (here before the head is out,
    # since the whole response arrives in one read).
    b = start(bulwark, php_fpm)
    with socket.create_connection(b.addr, timeout=10) as s:
        s.sendall(f"GET /{script} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    if received:
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")))
        assert len(body) < length
    assert b"too long" not in received
    # The FastCGI connection was not reused in that state: the next request is answered.
    assert httpx.get(f"{b.url}/dir/").text == "index of dir"


def test_connect_failure_is_retried_on_another_endpoint(bulwark, php_fpm):
    down = f"127.0.0.1:{find_free_port()}"
    cluster = fastcgi_cluster(down, php_fpm.root)
    cluster["endpoints"] = [down, f"127.0.0.1:{php_fpm.port}"]
    b = bulwark(clusters=[cluster])
    for _ in range(4):
        r = httpx.get(f"{b.url}/dir/")
        assert r.status_code == 200
        assert r.text == "index of dir"


@pytest.mark.parametrize("php_fpm", [2], indirect=True)
def test_connection_closed_by_php_fpm_is_not_an_error(bulwark, php_fpm):
    # Each php-fpm child exits after two requests, closing the connection bulwark keeps pooled:
    # the next request goes out again on a fresh connection instead of failing.
    counter = TcpCounter(php_fpm.port)
    try:
        b = start(bulwark, php_fpm, endpoint=f"127.0.0.1:{counter.port}")
        with httpx.Client() as client:
            for i in range(8):
                r = client.get(f"{b.url}/info.php?i={i}")
                assert r.status_code == 200, r.text
                assert r.json()["get"] == {"i": str(i)}
        assert counter.accepted >= 4  # the children did close their connections
    finally:
        counter.stop()


def test_http2_client(bulwark, php_fpm, pki):
    port = find_free_port()
    listener = {"name": "public", "listen": f"127.0.0.1:{port}",
                "tls": {"certificates": [{"cert": str(pki.a.cert), "key": str(pki.a.key)}]},
                "virtual_hosts": [{"domains": ["*"],
                                   "routes": [{"match": {"prefix": "/"},
                                               "proxy": {"cluster": "backend"}}]}]}
    bulwark(clusters=[fastcgi_cluster(f"127.0.0.1:{php_fpm.port}", php_fpm.root)],
            listeners=[listener], port=port)

    def curl(*args):
        return subprocess.run(["curl", "-sS", "--http2", "--cacert", str(pki.ca_bundle),
                               "--resolve", f"a.test:{port}:127.0.0.1", *args],
                              capture_output=True, timeout=20, check=True).stdout

    # HTTP/2 sends no body for HEAD: bulwark still reads STDOUT to END_REQUEST before the
    # FastCGI connection is used again.
    for _ in range(3):
        out = curl("-I", "-w", "%{http_version}", f"https://a.test:{port}/info.php")
        assert out.startswith(b"HTTP/2 200") and out.endswith(b"2")
        assert curl(f"https://a.test:{port}/dir/") == b"index of dir"
    body = os.urandom(300_000)
    r = subprocess.run(["curl", "-sS", "--http2", "--cacert", str(pki.ca_bundle), "--resolve",
                        f"a.test:{port}:127.0.0.1", "-H", "Content-Type: application/octet-stream",
                        "--data-binary", "@-", f"https://a.test:{port}/hash.php"],
                       input=body, capture_output=True, timeout=20, check=True)
    assert json.loads(r.stdout) == {"len": len(body), "md5": hashlib.md5(body).hexdigest()}
