"""nginx as a real-world origin, run from a private prefix directory on a free port.

    nginx -p DIR -c DIR/nginx.conf -e DIR/error.log -g 'daemon off;'

It serves a fixed body on every path, stub_status on /__stub_status (its `accepts` counter
is how many TCP connections nginx accepted), and, when access logging is on, one line per
request starting with `$connection $connection_requests` so connections can be counted.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

NGINX = os.environ.get("NGINX_BINARY", "/usr/sbin/nginx")

CONF_TEMPLATE = """\
{user_line}
worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
worker_rlimit_nofile 16384;
events {{ worker_connections 8192; }}
http {{
    log_format conns '$connection $connection_requests $remote_addr:$remote_port "$request" $status';
    access_log {access_log};
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        location = /__stub_status {{
            stub_status;
            access_log off;
        }}
        location / {{
            default_type text/plain;
            return 200 "{body}";
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class NginxOrigin:
    def __init__(self, workdir: Path, body_size: int = 1024, workers: int = 1, access_log: bool = True):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "tmp").mkdir(exist_ok=True)
        self.body = ("x" * (body_size - 1)) + "\n" if body_size > 0 else ""
        self.workers = workers
        self.access_log_enabled = access_log
        self.port = None
        self.proc: subprocess.Popen | None = None
        self.stderr_path = self.dir / "stderr.log"

    @property
    def hostport(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def access_log_path(self) -> Path:
        return self.dir / "access.log"

    @property
    def error_log_path(self) -> Path:
        return self.dir / "error.log"

    def _write_conf(self):
        user_line = "user root;" if os.geteuid() == 0 else ""
        access = f"{self.access_log_path} conns" if self.access_log_enabled else "off"
        conf = CONF_TEMPLATE.format(user_line=user_line, workers=self.workers, dir=self.dir, port=self.port,
                                    access_log=access, body=self.body)
        (self.dir / "nginx.conf").write_text(conf)

    def start(self, attempts: int = 3) -> "NginxOrigin":
        last = ""
        for _ in range(attempts):  # a free port can be taken by someone else in between
            self.port = free_port()
            self._write_conf()
            with open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(
                    [NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-e", str(self.error_log_path),
                     "-g", "daemon off;"],
                    stdin=subprocess.DEVNULL, stdout=err, stderr=subprocess.STDOUT)
            if wait_port(self.port, 10, self.proc):
                return self
            last = self.diagnostics()
            self.stop()
        raise RuntimeError(f"nginx did not start:\n{last}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # fast shutdown; the master stops its workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def stub_status(self) -> dict:
        """nginx's counters. Reading them costs one connection (counted in accepts)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"GET /__stub_status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        text = data.decode("latin-1")
        m = re.search(r"Active connections:\s*(\d+).*?\n\s*(\d+)\s+(\d+)\s+(\d+)", text, re.S)
        if not m:
            raise RuntimeError(f"unexpected stub_status answer: {text!r}")
        return {"active": int(m.group(1)), "accepts": int(m.group(2)), "handled": int(m.group(3)),
                "requests": int(m.group(4))}

    def access_log_lines(self) -> list[str]:
        try:
            return self.access_log_path.read_text().splitlines()
        except FileNotFoundError:
            return []

    def connections_in_log(self) -> set[str]:
        """Distinct nginx connection serial numbers of the logged requests."""
        return {line.split(" ", 1)[0] for line in self.access_log_lines() if line.strip()}

    def diagnostics(self) -> str:
        out = [f"nginx on port {self.port}, dir {self.dir}"]
        for p in (self.stderr_path, self.error_log_path):
            try:
                out.append(f"--- {p.name}:\n" + p.read_text()[-4000:])
            except FileNotFoundError:
                pass
        return "\n".join(out)
