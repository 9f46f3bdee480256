"""static: routes: files from a directory as nginx serves them: index, 301 to the slash form,
ETag/Last-Modified with 304 and 412, Range (206, multipart, 416), MIME types, and nothing from
outside the root (traversal, symlinks) or hidden (dotfiles); GET and HEAD only."""

import email.parser
import email.policy
import hashlib
import os
import subprocess
import time

import pytest

from http_client import RawClient, build_request, request
from test_access_log import wait_for_line

OLD = 1_000_000_000  # Sun, 09 Sep 2001 01:46:40 GMT: validators of files this old are strong
OLD_DATE = "Sun, 09 Sep 2001 01:46:40 GMT"
BIG_SIZE = 6 * 1024 * 1024 + 123


def write(path, data: bytes, mtime=OLD):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


@pytest.fixture
def site(tmp_path):
    """A document root with the kinds of files a site has, and a secret next to it."""
    www = tmp_path / "www"
    write(www / "index.html", b"<h1>home</h1>\n")
    write(www / "hello.txt", b"hello world\n")
    write(www / "big.bin", os.urandom(BIG_SIZE))
    write(www / "digits.txt", b"0123456789" * 10)
    for name in ("style.css", "app.js", "data.json", "logo.svg", "photo.jpg", "image.png",
                 "font.woff2", "doc.pdf", "app.wasm", "README", "archive.tar.gz"):
        write(www / "types" / name, b"x")
    write(www / "docs" / "index.html", b"<h1>docs</h1>\n")
    write(www / "docs" / "guide.html", b"<h1>guide</h1>\n")
    (www / "bare").mkdir()
    write(www / ".env", b"SECRET_TOKEN=dotenv\n")
    write(www / ".git" / "config", b"[core] secret-git\n")
    write(tmp_path / "secret.txt", b"TOP-SECRET-OUTSIDE\n")
    os.symlink("../secret.txt", www / "escape.txt")
    os.symlink(str(tmp_path / "secret.txt"), www / "absolute.txt")
    os.symlink("/etc", www / "etc")
    os.symlink("hello.txt", www / "alias.txt")
    return www


def static_routes(root, **extra):
    return [{"match": {"prefix": "/assets/"},
             "static": {"root": str(root / "docs"), "prefix_rewrite": "/"}},
            {"static": {"root": str(root), **extra}}]


@pytest.fixture
def server(bulwark, site):
    return bulwark(routes=static_routes(site), workers=1)


def get(port, target, headers=None, method="GET"):
    return request(port, method, target, headers)


def test_large_file_is_byte_identical(server, site, tmp_path):
    out = tmp_path / "download.bin"
    result = subprocess.run(["curl", "-sS", "-o", str(out), "-D", "-", "-w", "%{http_code} %{size_download}",
                             f"{server.url}/big.bin"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith(f"200 {BIG_SIZE}"), result.stdout
    assert f"content-length: {BIG_SIZE}" in result.stdout.lower()
    assert "content-type: application/octet-stream" in result.stdout.lower()
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256((site / "big.bin").read_bytes()).digest()


def test_large_file_to_a_slow_reader(server, site):
    # A small receive buffer and a reader that pauses: sendfile has to wait for the socket many
    # times, and every byte still arrives in order.
    expected = (site / "big.bin").read_bytes()
    with RawClient(server.port, rcvbuf=16 * 1024) as c:
        c.send(build_request("GET", "/big.bin"))
        r = c.read_head()
        assert r.status == 200
        assert int(r.header("content-length")) == BIG_SIZE
        time.sleep(0.5)
        got = bytearray()
        while len(got) < BIG_SIZE:
            got += c._read_exact(min(1 << 20, BIG_SIZE - len(got)))
        assert bytes(got) == expected
        # The connection stays usable.
        assert c.request("GET", "/hello.txt").body == b"hello world\n"


def test_get_headers(server):
    r = get(server.port, "/hello.txt")
    assert r.status == 200
    assert r.body == b"hello world\n"
    assert r.header("content-length") == "12"
    assert r.header("content-type") == "text/plain; charset=utf-8"
    assert r.header("last-modified") == OLD_DATE
    assert r.header("etag") == f'"{OLD:x}-c"'  # nginx's form: mtime and size in hex
    assert r.header("accept-ranges") == "bytes"
    assert r.header("x-request-id")


def test_head(server):
    with RawClient(server.port) as c:
        r = c.request("HEAD", "/big.bin")
        assert r.status == 200
        assert r.header("content-length") == str(BIG_SIZE)
        assert r.header("etag")
        assert r.body == b""
        # No body bytes followed the head: the next response starts right away.
        r2 = c.request("GET", "/hello.txt")
        assert r2.status == 200 and r2.body == b"hello world\n"


def test_not_modified_by_etag(server):
    etag = get(server.port, "/hello.txt").header("etag")
    with RawClient(server.port) as c:
        r = c.request("GET", "/hello.txt", {"If-None-Match": etag})
        assert r.status == 304
        assert r.body == b""
        assert r.header("etag") == etag
        assert r.header("last-modified") == OLD_DATE
        assert r.header("content-length") is None
        r = c.request("GET", "/hello.txt", {"If-None-Match": '"other", ' + etag})
        assert r.status == 304
        r = c.request("GET", "/hello.txt", {"If-None-Match": '"other"'})
        assert r.status == 200 and r.body == b"hello world\n"


def test_not_modified_by_date(server):
    assert get(server.port, "/hello.txt", {"If-Modified-Since": OLD_DATE}).status == 304
    assert get(server.port, "/hello.txt", {"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}).status == 304
    r = get(server.port, "/hello.txt", {"If-Modified-Since": "Sat, 08 Sep 2001 00:00:00 GMT"})
    assert r.status == 200 and r.body == b"hello world\n"
    # An invalid date is ignored.
    assert get(server.port, "/hello.txt", {"If-Modified-Since": "yesterday"}).status == 200
    # If-None-Match wins over If-Modified-Since.
    assert get(server.port, "/hello.txt", {"If-None-Match": '"nope"', "If-Modified-Since": OLD_DATE}).status == 200


def test_curl_revalidation(server, tmp_path):
    # curl's own conditional GET (-z FILE uses the file's mtime as If-Modified-Since).
    ref = tmp_path / "ref"
    ref.write_bytes(b"")
    os.utime(ref, (OLD + 10, OLD + 10))
    result = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-z", str(ref),
                             f"{server.url}/hello.txt"], capture_output=True, text=True, timeout=30)
    assert result.stdout == "304", result


def test_precondition_failed(server):
    etag = get(server.port, "/hello.txt").header("etag")
    r = get(server.port, "/hello.txt", {"If-Match": '"not-it"'})
    assert r.status == 412 and r.reason == "Precondition Failed"
    assert b"hello world" not in r.body
    assert get(server.port, "/hello.txt", {"If-Match": etag}).status == 200
    assert get(server.port, "/hello.txt", {"If-Match": "*"}).status == 200
    assert get(server.port, "/hello.txt", {"If-Unmodified-Since": "Sat, 08 Sep 2001 00:00:00 GMT"}).status == 412
    assert get(server.port, "/hello.txt", {"If-Unmodified-Since": OLD_DATE}).status == 200


def test_single_range(server, site):
    data = (site / "digits.txt").read_bytes()
    r = get(server.port, "/digits.txt", {"Range": "bytes=10-19"})
    assert r.status == 206 and r.reason == "Partial Content"
    assert r.header("content-range") == "bytes 10-19/100"
    assert r.header("content-length") == "10"
    assert r.header("content-type") == "text/plain; charset=utf-8"
    assert r.body == data[10:20]
    assert get(server.port, "/digits.txt", {"Range": "bytes=-5"}).body == data[-5:]
    assert get(server.port, "/digits.txt", {"Range": "bytes=95-"}).body == data[95:]
    r = get(server.port, "/digits.txt", {"Range": "bytes=90-1000"})
    assert r.header("content-range") == "bytes 90-99/100" and r.body == data[90:]


def test_range_of_a_large_file_with_curl(server, site, tmp_path):
    data = (site / "big.bin").read_bytes()
    out = tmp_path / "part"
    start, end = 3_000_000, 5_500_000
    result = subprocess.run(["curl", "-sS", "-r", f"{start}-{end}", "-o", str(out), "-w", "%{http_code}",
                             f"{server.url}/big.bin"], capture_output=True, text=True, timeout=30)
    assert result.stdout == "206", result
    assert out.read_bytes() == data[start:end + 1]


def test_multipart_ranges(server, site):
    data = (site / "digits.txt").read_bytes()
    r = get(server.port, "/digits.txt", {"Range": "bytes=0-4,50-54,-3"})
    assert r.status == 206
    ctype = r.header("content-type")
    assert ctype.startswith("multipart/byteranges; boundary="), ctype
    assert r.header("content-range") is None
    assert int(r.header("content-length")) == len(r.body)
    message = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + r.body)
    assert message.is_multipart() and not message.defects
    parts = message.get_payload()
    assert [p["Content-Range"] for p in parts] == ["bytes 0-4/100", "bytes 50-54/100", "bytes 97-99/100"]
    assert [p["Content-Type"] for p in parts] == ["text/plain; charset=utf-8"] * 3
    assert [p.get_payload(decode=True) for p in parts] == [data[0:5], data[50:55], data[97:100]]


def test_unsatisfiable_range(server):
    r = get(server.port, "/digits.txt", {"Range": "bytes=100-"})
    assert r.status == 416 and r.reason == "Range Not Satisfiable"
    assert r.header("content-range") == "bytes */100"
    assert b"0123456789" not in r.body


def test_ranges_that_are_ignored(server, site):
    data = (site / "digits.txt").read_bytes()
    for value in ("bytes=5-2", "lines=1-2", "bytes=0-,0-"):
        r = get(server.port, "/digits.txt", {"Range": value})
        assert r.status == 200 and r.body == data, value
    # If-Range with an old validator: the whole file.
    r = get(server.port, "/digits.txt", {"Range": "bytes=0-1", "If-Range": '"old"'})
    assert r.status == 200 and r.body == data
    etag = r.header("etag")
    assert get(server.port, "/digits.txt", {"Range": "bytes=0-1", "If-Range": etag}).status == 206
    assert get(server.port, "/digits.txt", {"Range": "bytes=0-1", "If-Range": OLD_DATE}).status == 206


def test_index_files(server):
    r = get(server.port, "/")
    assert r.status == 200 and r.body == b"<h1>home</h1>\n"
    assert r.header("content-type") == "text/html; charset=utf-8"
    r = get(server.port, "/docs/")
    assert r.status == 200 and r.body == b"<h1>docs</h1>\n"


def test_directory_without_slash_redirects(server):
    r = get(server.port, "/docs")
    assert r.status == 301
    assert r.header("location") == "/docs/"
    r = get(server.port, "/docs?page=2")
    assert r.status == 301 and r.header("location") == "/docs/?page=2"
    # Never to another site.
    r = get(server.port, "//docs")
    assert r.status == 301 and r.header("location") == "/docs/"


def test_directory_without_index_is_not_listed(server):
    r = get(server.port, "/bare/")
    assert r.status == 404
    assert b"index.html" not in r.body


def test_traversal_is_not_found(server):
    # Dot segments that climb above "/" are refused before routing (http/path_normalizer.h).
    for target in ("/../secret.txt", "/%2e%2e/secret.txt", "/docs/../../secret.txt", "/%2E%2E/%2E%2E/etc/passwd"):
        r = get(server.port, target)
        assert r.status == 400, (target, r)
        assert b"TOP-SECRET" not in r.body and b"root:" not in r.body, target
    for target in ("/..%2fsecret.txt", "/docs%2f..%2f..%2fsecret.txt", "/escape.txt", "/absolute.txt",
                   "/etc/passwd", "/etc/", "/hello.txt/"):
        r = get(server.port, target)
        assert r.status == 404, (target, r)
        assert b"TOP-SECRET" not in r.body and b"root:" not in r.body, target
    for target in ("/hello.txt%00.png", "/bad%zz"):
        assert get(server.port, target).status == 400, target
    # A symlink that stays inside the root is followed.
    assert get(server.port, "/alias.txt").body == b"hello world\n"
    # Dot segments inside the root are resolved, not refused.
    assert get(server.port, "/docs/../hello.txt").body == b"hello world\n"


def test_dotfiles_are_hidden(server):
    for target in ("/.env", "/.git/config", "/%2eenv", "/docs/../.env"):
        r = get(server.port, target)
        assert r.status == 404, target
        assert b"secret" not in r.body.lower() and b"SECRET_TOKEN" not in r.body


def test_dotfiles_when_allowed(bulwark, site):
    b = bulwark(routes=static_routes(site, dotfiles=True), workers=1)
    r = get(b.port, "/.env")
    assert r.status == 200 and r.body == b"SECRET_TOKEN=dotenv\n"


def test_only_get_and_head(server):
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        body = b"x" if method in ("POST", "PUT", "PATCH") else None
        r = request(server.port, method, "/hello.txt", body=body)
        assert r.status == 405, method
        assert r.header("allow") == "GET, HEAD"
        assert b"hello world" not in r.body


def test_mime_types(server):
    expected = {"style.css": "text/css; charset=utf-8", "app.js": "text/javascript; charset=utf-8",
                "data.json": "application/json; charset=utf-8", "logo.svg": "image/svg+xml; charset=utf-8",
                "photo.jpg": "image/jpeg", "image.png": "image/png", "font.woff2": "font/woff2",
                "doc.pdf": "application/pdf", "app.wasm": "application/wasm",
                "README": "application/octet-stream", "archive.tar.gz": "application/gzip"}
    with RawClient(server.port) as c:
        for name, ctype in expected.items():
            r = c.request("GET", f"/types/{name}")
            assert r.status == 200, name
            assert r.header("content-type") == ctype, name


def test_prefix_rewrite(server):
    r = get(server.port, "/assets/guide.html")
    assert r.status == 200 and r.body == b"<h1>guide</h1>\n"
    assert get(server.port, "/assets/").body == b"<h1>docs</h1>\n"
    # Dot segments are resolved before routing: this is /hello.txt, which the /assets/ route (root
    # docs/) never sees; it cannot reach docs/'s parent through that route.
    r = get(server.port, "/assets/../hello.txt")
    assert r.status == 200 and r.body == b"hello world\n"
    assert get(server.port, "/assets/%2e%2e%2fhello.txt").status == 404
    assert get(server.port, "/assets/../../secret.txt").status == 400


def test_keep_alive_across_kinds_of_replies(server, site):
    data = (site / "digits.txt").read_bytes()
    with RawClient(server.port) as c:
        etag = c.request("GET", "/digits.txt").header("etag")
        assert c.request("GET", "/digits.txt", {"If-None-Match": etag}).status == 304
        assert c.request("GET", "/digits.txt", {"Range": "bytes=1-2"}).body == data[1:3]
        assert c.request("GET", "/digits.txt", {"Range": "bytes=0-0,2-2"}).status == 206
        assert c.request("GET", "/digits.txt", {"Range": "bytes=500-"}).status == 416
        assert c.request("GET", "/docs").status == 301
        assert c.request("GET", "/missing").status == 404
        assert c.request("DELETE", "/digits.txt").status == 405
        r = c.request("GET", "/digits.txt")
        assert r.status == 200 and r.body == data
        assert "close" not in r.connection_tokens()


def test_pipelined_requests(server, site):
    data = (site / "digits.txt").read_bytes()
    with RawClient(server.port) as c:
        c.send(build_request("GET", "/digits.txt") + build_request("HEAD", "/big.bin")
               + build_request("GET", "/digits.txt", {"Range": "bytes=0-0,99-99"}) + build_request("GET", "/hello.txt"))
        first, second, third, fourth = c.read_responses(["GET", "HEAD", "GET", "GET"])
        assert first.body == data
        assert second.status == 200 and second.body == b""
        assert third.status == 206 and b"--" in third.body
        assert fourth.body == b"hello world\n"


def test_get_with_a_body_does_not_desync_the_connection(server):
    # The body of a GET is not read; what follows it must not be taken for a request.
    smuggled = build_request("GET", "/.env")
    with RawClient(server.port) as c:
        c.send(build_request("GET", "/hello.txt", body=smuggled) + build_request("GET", "/hello.txt"))
        r = c.read_response()
        assert r.status == 200 and r.body == b"hello world\n"
        assert "close" in r.connection_tokens()
        assert c.wait_closed(5), "the connection should close after a reply that left a body unread"
        assert b"SECRET" not in bytes(c.buf)


def test_access_log_counts_the_file(bulwark, site, tmp_path):
    log = tmp_path / "access.log"
    b = bulwark(routes=static_routes(site), workers=1, access_log={"path": str(log)})
    assert get(b.port, "/big.bin?logged").status == 200
    assert get(b.port, "/digits.txt?ranged", {"Range": "bytes=0-9"}).status == 206
    line = wait_for_line(log, "/big.bin?logged")[0]
    assert f'" 200 {BIG_SIZE} ' in line, line
    line = wait_for_line(log, "/digits.txt?ranged")[0]
    assert '" 206 10 ' in line, line


def test_file_that_changed_this_second_has_a_weak_etag(server, site):
    # A modification time not yet past (here: ahead of the clock) is what "changed this second" is.
    write(site / "fresh.txt", b"new", mtime=time.time() + 3600)
    r = get(server.port, "/fresh.txt")
    assert r.status == 200
    assert r.header("etag").startswith('W/"'), r.header("etag")
    # A weak tag still revalidates, but If-Match needs a strong one.
    assert get(server.port, "/fresh.txt", {"If-None-Match": r.header("etag")}).status == 304


def test_config_errors_name_the_root(bulwark_exe, tmp_path, site):
    missing = tmp_path / "nowhere"
    config = tmp_path / "bad.yaml"
    config.write_text(f"""listeners:
  - name: public
    listen: 127.0.0.1:1
    virtual_hosts:
      - domains: ["*"]
        routes:
          - match: {{ prefix: /a/ }}
            static: {{ root: {missing} }}
          - match: {{ prefix: /b/ }}
            static: {{ root: {site / 'hello.txt'} }}
          - static: {{ root: {site}, index: [a/b.html] }}
""")
    result = subprocess.run([bulwark_exe, "validate", "-c", str(config)], capture_output=True, text=True, timeout=10)
    assert result.returncode == 1, result
    assert f"bad.yaml:8:29: root: directory '{missing}' does not exist" in result.stderr, result.stderr
    assert f"bad.yaml:10:29: root: directory '{site / 'hello.txt'}' is not a directory" in result.stderr
    assert "index[0]: 'a/b.html' is not a plain file name" in result.stderr
