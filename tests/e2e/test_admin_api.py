"""The admin API over HTTP: a bearer token off loopback (and a configuration without one
refused), draining an endpoint stops new requests to it, reload as SIGHUP does it, build,
config (secrets redacted), health, 404 and 405, and `bulwark proxy --admin`."""

import subprocess

import origins as O
from admin_client import call, scrape, wait_admin
from conftest import yaml_dump
from http_client import RawClient, poll, request

TOKEN = "t0ken-for-the-admin-api"


def cluster_config(port, admin, endpoints, routes=None):
    return {
        "workers": 2,
        "admin": admin,
        "clusters": [{"name": "backend", "endpoints": endpoints}],
        "listeners": [{"name": "public", "listen": f"127.0.0.1:{port}",
                       "virtual_hosts": [{"domains": ["*"], "routes": [
                           *(routes or []), {"match": {"prefix": "/"}, "proxy": {"cluster": "backend"}}]}]}],
    }


def test_off_loopback_every_request_needs_the_token(bulwark, origin, free_port_factory):
    o = origin(O.fixed(200, b"ok"))
    port, admin_port = free_port_factory(), free_port_factory()
    bulwark(config=cluster_config(port, {"listen": f"127.0.0.2:{admin_port}", "token": TOKEN},
                                  [o.hostport]), port=port)
    wait_admin(admin_port, host="127.0.0.2", token=TOKEN)
    for path, method in (("/metrics", "GET"), ("/api/config", "GET"), ("/api/reload", "POST"),
                         ("/api/endpoints/backend/" + o.hostport + "/drain", "POST"), ("/nothing", "GET")):
        r = call(admin_port, path, method, host="127.0.0.2")
        assert r.status == 401, (path, r.body)
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert call(admin_port, path, method, host="127.0.0.2", token="wrong").status == 401
        assert call(admin_port, path, method, host="127.0.0.2",
                    headers={"Authorization": "Basic " + TOKEN}).status == 401
    m = scrape(admin_port, host="127.0.0.2", token=TOKEN)
    assert m.value("bulwark_reloads_total", result="ok") == 0  # the 401 reload did not run
    assert request(port, "GET", "/").status == 200  # nor did the 401 drain
    config = call(admin_port, "/api/config", host="127.0.0.2", token=TOKEN)
    assert config.status == 200
    assert TOKEN not in config.text
    assert config.json()["admin"] == {"listen": f"127.0.0.2:{admin_port}", "token": "<redacted>"}


def test_off_loopback_without_a_token_is_refused(bulwark_exe, tmp_path, free_port):
    path = tmp_path / "admin.yaml"
    path.write_text(yaml_dump(cluster_config(free_port, {"listen": "0.0.0.0:9901"}, ["127.0.0.1:1"])))
    r = subprocess.run([bulwark_exe, "validate", "-c", str(path)], capture_output=True, text=True,
                       timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith(f"{path}:")]
    assert len(lines) == 1, r.stderr
    assert "admin.listen: '0.0.0.0:9901' is not a loopback address, so a token is required" in lines[0]
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "0.0.0.0:9901" in text)
    assert lines[0].startswith(f"{path}:{line}:")


def test_draining_an_endpoint_stops_new_requests_to_it(bulwark, origin, free_port_factory):
    a, b = origin(O.fixed(200, b"a")), origin(O.fixed(200, b"b"))
    port, admin_port = free_port_factory(), free_port_factory()
    bulwark(config=cluster_config(port, {"listen": f"127.0.0.1:{admin_port}"}, [a.hostport, b.hostport]),
            port=port)
    wait_admin(admin_port)
    for _ in range(10):
        assert request(port, "GET", "/").status == 200
    assert len(a.requests) > 0 and len(b.requests) > 0

    r = call(admin_port, f"/api/endpoints/backend/{a.hostport}/drain", "POST")
    assert r.status == 200, r.body
    assert r.json()["result"] == "ok"
    health = call(admin_port, "/api/health").json()
    states = {e["endpoint"]: e["state"] for e in health["clusters"][0]["endpoints"]}
    assert states == {a.hostport: "draining", b.hostport: "active"}
    seen_by_a = len(a.requests)
    with RawClient(port) as c:
        for _ in range(20):
            assert c.request("GET", "/").body == b"b"
    for _ in range(10):
        assert request(port, "GET", "/").body == b"b"
    assert len(a.requests) == seen_by_a

    assert call(admin_port, f"/api/endpoints/backend/{a.hostport}/enable", "POST").status == 200
    assert poll(lambda: request(port, "GET", "/").body == b"a", timeout=5)

    unknown = call(admin_port, "/api/endpoints/backend/127.0.0.1:1/drain", "POST")
    assert unknown.status == 404
    assert "has no endpoint '127.0.0.1:1'" in unknown.json()["error"]
    assert call(admin_port, "/api/endpoints/nope/127.0.0.1:1/drain", "POST").status == 404


def test_reload_through_the_api(bulwark, origin, free_port_factory):
    o = origin(O.fixed(200, b"proxied"))
    port, admin_port = free_port_factory(), free_port_factory()
    admin = {"listen": f"127.0.0.1:{admin_port}"}
    b = bulwark(config=cluster_config(port, admin, [o.hostport]), port=port)
    wait_admin(admin_port)
    assert request(port, "GET", "/new").body == b"proxied"

    b.config_path.write_text(yaml_dump(cluster_config(port, admin, [o.hostport], routes=[
        {"name": "new", "match": {"exact": "/new"}, "direct_response": {"status": 200, "body": "fresh"}}])))
    r = call(admin_port, "/api/reload", "POST")
    assert r.status == 200, r.body
    assert poll(lambda: request(port, "GET", "/new").body == b"fresh", timeout=5)

    b.config_path.write_text("listeners: [\n")
    r = call(admin_port, "/api/reload", "POST")
    assert r.status == 500
    assert "unchanged" in r.json()["error"]
    assert request(port, "GET", "/new").body == b"fresh"
    m = scrape(admin_port)
    assert m.value("bulwark_reloads_total", result="ok") == 1
    assert m.value("bulwark_reloads_total", result="failed") == 1
    assert m.value("bulwark_requests_total", listener="public", route="new", cluster="",
                   status_class="2xx") >= 1


def test_build_config_health_and_errors(bulwark, origin, free_port_factory):
    o = origin(O.fixed(200, b"ok"))
    port, admin_port = free_port_factory(), free_port_factory()
    bulwark(config=cluster_config(port, {"listen": f"127.0.0.1:{admin_port}"}, [o.hostport]), port=port)
    build = wait_admin(admin_port)
    assert build.status == 200
    info = build.json()
    assert info["version"] and info["compiler"] and info["build_type"]

    config = call(admin_port, "/api/config").json()
    assert config["listeners"][0]["name"] == "public"
    assert config["listeners"][0]["listen"] == f"127.0.0.1:{port}"
    assert config["clusters"][0]["endpoints"] == [{"address": o.hostport, "weight": 1}]
    assert config["admin"]["token"] is None

    health = call(admin_port, "/api/health").json()
    assert health == {"clusters": [{"name": "backend", "endpoints": [
        {"endpoint": o.hostport, "state": "active", "healthy": True, "ejected": False, "ejections": 0}]}]}

    missing = call(admin_port, "/nothing")
    assert missing.status == 404
    assert missing.headers["content-type"] == "application/json"
    assert missing.json() == {"error": "no such admin path '/nothing'"}
    for path, method, allow in (("/metrics", "POST", "GET"), ("/api/health", "DELETE", "GET"),
                                ("/api/reload", "GET", "POST"),
                                (f"/api/endpoints/backend/{o.hostport}/drain", "GET", "POST")):
        r = call(admin_port, path, method)
        assert r.status == 405, (path, method)
        assert r.headers["allow"] == allow
        assert "error" in r.json()
    bad = call(admin_port, "/api/endpoints/backend/%zz/drain", "POST")
    assert bad.status == 400
    # Not HTTP at all: a 400, and the listener goes on serving.
    with RawClient(admin_port) as c:
        c.send(b"NOT A REQUEST\r\n\r\n")
        assert c.read_response().status == 400
    assert call(admin_port, "/api/build").status == 200


def test_quick_mode_admin(bulwark, origin, free_port):
    o = origin(O.fixed(200, b"ok"))
    b = bulwark.quick("--to", o.url, "--admin", f"127.0.0.1:{free_port}", "--workers", "2")
    wait_admin(free_port)
    for _ in range(3):
        assert request(b.port, "GET", "/x").status == 200
    assert poll(lambda: scrape(free_port).value("bulwark_requests_total", listener="quick", route="",
                                                cluster="quick", status_class="2xx") == 3, timeout=5)
    assert call(free_port, "/api/health").json()["clusters"][0]["name"] == "quick"


def test_quick_mode_admin_off_loopback_is_refused(bulwark_exe, free_port):
    r = subprocess.run([bulwark_exe, "proxy", "--listen", f"127.0.0.1:{free_port}", "--to",
                        "http://127.0.0.1:1", "--admin", "0.0.0.0:9901"], capture_output=True,
                       text=True, timeout=10, stdin=subprocess.DEVNULL)
    assert r.returncode != 0
    assert "--admin '0.0.0.0:9901' is not a loopback address" in r.stderr
