"""php-fpm as a FastCGI backend for the e2e tests, and a TCP relay that counts connections.

PhpFpm runs `php-fpm8.2 -R -F -y CONF` (foreground, so its PID is the master) with one static
pool on a free loopback port; the pool has no `user=`, as running as root with -R requires.
Scripts are written by the tests into `root`."""

import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

PHP_FPM = shutil.which("php-fpm8.2") or "/usr/sbin/php-fpm8.2"


class PhpFpm:
    def __init__(self, workdir: Path, port: int, children: int = 2, max_requests: int = 0):
        self.workdir, self.port, self.children = workdir, port, children
        self.max_requests = max_requests  # a child exits after this many requests (0: never)
        self.root = workdir / "www"
        self.log_path = workdir / "fpm.log"
        self.proc: subprocess.Popen | None = None

    def write_script(self, name: str, source: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        return path

    def start(self) -> "PhpFpm":
        self.root.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "fpm.conf"
        conf.write_text(f"""[global]
pid = {self.workdir}/fpm.pid
error_log = {self.log_path}
daemonize = no
[app]
listen = 127.0.0.1:{self.port}
listen.allowed_clients = 127.0.0.1
pm = static
pm.max_children = {self.children}
pm.max_requests = {self.max_requests}
catch_workers_output = yes
clear_env = no
php_admin_value[output_buffering] = 0
php_admin_value[post_max_size] = 16M
php_admin_value[max_execution_time] = 30
""")
        self.proc = subprocess.Popen([PHP_FPM, "-R", "-F", "-y", str(conf)], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     cwd=self.workdir)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"php-fpm exited with {self.proc.returncode}:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.03)
        raise RuntimeError(f"php-fpm did not listen on {self.port}:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: the master waits for its children
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


class TcpCounter:
    """Relays 127.0.0.1:port to a target port and counts the connections it accepted."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def stop(self):
        self.stopped = True
        self.listener.close()
