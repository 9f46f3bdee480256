"""A threaded, configurable HTTP/1.1 origin server on raw sockets.

It records what a backend sees: every accepted connection, the raw bytes received on each,
and every request that arrived complete (method, target, version, header fields in order,
body, trailers). Behaviours are small handler objects (see the factory functions at the end):
echo, fixed, chunked with trailers, slow, never answer, garbage, close mid-body, a huge
streamed download, an upload sink, a backend that identifies itself (software headers, its own
address in Location, Refresh and Set-Cookie), and a path router to combine them.

The request parser is deliberately lenient (it must record whatever bulwark sends, even if it
is wrong) but exact about framing, so that a test can check what reached the backend.
"""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field

from http_client import Headers, to_bytes

CRLF = b"\r\n"
SERVER_NAME = "secret-origin/1.0"  # what a proxy hiding its backends must not reveal in its own errors
RAW_RECORD_LIMIT = 4 << 20  # bytes of raw input kept per connection (counts are always exact)


class PeerClosed(Exception):
    pass


class BadRequest(Exception):
    pass


@dataclass
class OriginRequest:
    method: str
    target: str
    version: str
    headers: Headers
    raw_head: bytes
    conn_id: int
    index_on_conn: int
    peer: tuple
    body: bytes | None = None        # set once the body was read (None: not read/streamed)
    body_len: int = 0
    trailers: Headers = field(default_factory=Headers)
    chunked: bool = False
    complete: bool = False           # the whole request, body included, arrived
    received_at: float = 0.0

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def to_json(self) -> dict:
        body = self.body or b""
        return {
            "method": self.method,
            "target": self.target,
            "version": self.version,
            "headers": [[k, v] for k, v in self.headers.items],
            "trailers": [[k, v] for k, v in self.trailers.items],
            "chunked": self.chunked,
            "body_len": self.body_len,
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "body": body.decode("latin-1") if len(body) <= 65536 else None,
            "conn_id": self.conn_id,
            "index_on_conn": self.index_on_conn,
        }


class OriginConnection:
    """Server side of one accepted connection: buffered reading and writing."""

    def __init__(self, origin: "Origin", sock: socket.socket, conn_id: int, peer):
        self.origin, self.sock, self.conn_id, self.peer = origin, sock, conn_id, peer
        self.buf = bytearray()
        self.raw = bytearray()
        self.bytes_received = 0
        self.bytes_sent = 0
        self.closed = False
        self.requests_seen = 0
        self.peer_cert = None      # TLS origins: the client certificate bulwark presented
        self.tls_resumed = False   # TLS origins: whether bulwark resumed a session

    # -- reading ---------------------------------------------------------------------
    def _account(self, data):
        n = len(data)
        self.bytes_received += n
        with self.origin.lock:
            self.origin.total_bytes_received += n
        if len(self.raw) < RAW_RECORD_LIMIT:
            self.raw += data[:RAW_RECORD_LIMIT - len(self.raw)]

    def recv_more(self, timeout=None) -> bool:
        self.sock.settimeout(timeout if timeout is not None else self.origin.io_timeout)
        while True:
            if self.origin.stopping.is_set():
                raise PeerClosed("origin stopping")
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                if timeout is not None:
                    raise
                continue
            except (ConnectionResetError, BrokenPipeError, OSError):
                data = b""
            break
        if not data:
            return False
        self._account(data)
        self.buf += data
        return True

    def read_line(self, limit=1 << 20) -> bytes:
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line[:-2] if line.endswith(CRLF) else line[:-1]
            if len(self.buf) > limit:
                raise BadRequest("line too long")
            if not self.recv_more():
                raise PeerClosed("closed while reading a line")

    def read_exact(self, n) -> bytes:
        while len(self.buf) < n:
            if not self.recv_more():
                raise PeerClosed(f"closed with {len(self.buf)} of {n} bytes")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def discard_exact(self, n, scratch: bytearray) -> int:
        """Consume n bytes without keeping them (large bodies). Returns bytes consumed."""
        done = min(n, len(self.buf))
        del self.buf[:done]
        view = memoryview(scratch)
        self.sock.settimeout(self.origin.io_timeout)
        while done < n:
            if self.origin.stopping.is_set():
                raise PeerClosed("origin stopping")
            try:
                got = self.sock.recv_into(view, min(len(scratch), n - done))
            except socket.timeout:
                continue
            except (ConnectionResetError, OSError):
                got = 0
            if got == 0:
                raise PeerClosed(f"closed after {done} of {n} body bytes")
            done += got
            self.bytes_received += got
            with self.origin.lock:
                self.origin.total_bytes_received += got
        return done

    # -- writing ---------------------------------------------------------------------
    def send(self, data):
        data = to_bytes(data)
        self.sock.sendall(data)
        self.bytes_sent += len(data)
        with self.origin.lock:
            self.origin.total_bytes_sent += len(data)

    def send_counted(self, view: memoryview):
        """Send a large block with send() so the origin's sent counter is exact as it goes."""
        self.sock.settimeout(self.origin.io_timeout)
        while len(view):
            if self.origin.stopping.is_set():
                raise PeerClosed("origin stopping")
            try:
                n = self.sock.send(view)
            except socket.timeout:
                continue
            view = view[n:]
            self.bytes_sent += n
            with self.origin.lock:
                self.origin.total_bytes_sent += n

    def respond(self, status=200, headers=None, body=b"", reason=None, keep_alive=True, head_only=False):
        body = to_bytes(body)
        items = list(headers.items() if isinstance(headers, dict) else (headers or []))
        names = {k.lower() for k, _ in items}
        if "content-length" not in names and "transfer-encoding" not in names and status not in (204, 304) \
                and not (100 <= status < 200):
            items.append(("Content-Length", str(len(body))))
        if not keep_alive and "connection" not in names:
            items.append(("Connection", "close"))
        reason = reason if reason is not None else REASONS.get(status, "Unknown")
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in items) + "\r\n"
        self.send(head.encode("latin-1") + (b"" if head_only else body))

    def wait_until_closed(self):
        """Block until the peer closes the connection (or the origin stops)."""
        while True:
            try:
                if not self.recv_more(timeout=0.2):
                    return
            except socket.timeout:
                continue
            except PeerClosed:
                return

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()


class Exchange:
    """What a handler gets: the request head, body access and the connection."""

    def __init__(self, conn: OriginConnection, req: OriginRequest):
        self.conn, self.req = conn, req
        self.keep_alive = wants_keep_alive(req)
        self.body_state = "unread"  # unread | read | streaming | drained
        self._scratch = None

    @property
    def origin(self) -> "Origin":
        return self.conn.origin

    def read_body(self) -> bytes:
        """Read and store the whole body (and trailers)."""
        if self.body_state == "read":
            return self.req.body
        out = bytearray()
        for piece in self.iter_body(store=True):
            out += piece
        self.req.body = bytes(out)
        self.body_state = "read"
        return self.req.body

    def iter_body(self, store=False, bufsize=1 << 20):
        """Yield the body in pieces without keeping it (unless store)."""
        req, conn = self.req, self.conn
        self.body_state = "streaming"
        if req.chunked:
            while True:
                line = conn.read_line()
                size_s = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_s, 16)
                except ValueError:
                    raise BadRequest(f"bad chunk size {line!r}") from None
                if size == 0:
                    break
                left = size
                while left:
                    if not conn.buf and not conn.recv_more():
                        raise PeerClosed("closed inside a chunk")
                    take = min(left, len(conn.buf))
                    piece = bytes(conn.buf[:take])
                    del conn.buf[:take]
                    left -= take
                    req.body_len += take
                    yield piece
                if conn.read_exact(2) != CRLF:
                    raise BadRequest("chunk not followed by CRLF")
            lines = []
            while True:
                line = conn.read_line()
                if line == b"":
                    break
                lines.append(line)
            req.trailers = parse_fields(lines)
        else:
            n = content_length(req)
            if store or n <= 4 * bufsize:
                if n:
                    data = conn.read_exact(n)
                    req.body_len += n
                    yield data
            else:
                # Big Content-Length bodies: count without keeping.
                if self._scratch is None:
                    self._scratch = bytearray(bufsize)
                while req.body_len < n:
                    step = min(n - req.body_len, 64 * bufsize)
                    got = conn.discard_exact(step, self._scratch)
                    req.body_len += got
                    yield b""
        self.body_state = "drained" if not store else "read"

    def discard_body(self) -> int:
        for _ in self.iter_body():
            pass
        self.body_state = "drained"
        return self.req.body_len

    def finish_request(self):
        """Make sure the body was consumed, mark complete and record the request."""
        if self.body_state in ("unread",):
            self.read_body()
        elif self.body_state == "streaming":
            for _ in self.iter_body():
                pass
        if not self.req.complete:
            self.req.complete = True
            self.origin._record(self.req)

    def respond(self, status=200, headers=None, body=b"", **kw):
        hdrs = list(headers.items() if isinstance(headers, dict) else (headers or []))
        hdrs.append(("X-Origin", self.origin.name))
        hdrs.append(("Server", SERVER_NAME))
        self.conn.respond(status, hdrs, body, keep_alive=self.keep_alive,
                          head_only=self.req.method == "HEAD", **kw)


REASONS = {100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 204: "No Content",
           206: "Partial Content", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
           400: "Bad Request", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}


def parse_fields(lines) -> Headers:
    items = []
    for line in lines:
        name, sep, value = line.partition(b":")
        if not sep:
            raise BadRequest(f"field without colon {line!r}")
        items.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    return Headers(items)


def content_length(req: OriginRequest) -> int:
    v = req.headers.get_all("content-length")
    if not v:
        return 0
    vals = {x.strip() for x in v}
    if len(vals) != 1 or not next(iter(vals)).isdigit():
        raise BadRequest(f"bad content-length {v}")
    return int(next(iter(vals)))


def wants_keep_alive(req: OriginRequest) -> bool:
    tokens = req.headers.tokens("connection")
    if "close" in tokens:
        return False
    if req.version == "HTTP/1.0":
        return "keep-alive" in tokens
    return True


class Origin:
    """A backend on 127.0.0.1:<ephemeral> (or host:port). handler(exchange) answers each request."""

    def __init__(self, handler=None, name="origin", send_continue=True, io_timeout=60.0, idle_timeout=None,
                 host="127.0.0.1", port=0, tls=None):
        self.handler = handler or echo()
        self.tls = tls  # an ssl.SSLContext: the origin speaks TLS (conn.peer_cert has the client's)
        self.idle_timeout = idle_timeout  # close a keep-alive connection idle this long (like nginx does)
        self.name = name
        self.send_continue = send_continue
        self.io_timeout = io_timeout
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.requests: list[OriginRequest] = []
        self.heads: list[OriginRequest] = []   # every request head, complete or not
        self.connections: list[OriginConnection] = []
        self.errors: list[str] = []
        self.total_bytes_received = 0
        self.total_bytes_sent = 0
        self._threads: list[threading.Thread] = []
        self._cond = threading.Condition(self.lock)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.host = host
        self.listener.bind((host, port))
        self.port = self.listener.getsockname()[1]

    # -- public ----------------------------------------------------------------------
    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def connections_accepted(self) -> int:
        with self.lock:
            return len(self.connections)

    def raw_bytes(self) -> bytes:
        with self.lock:
            return b"".join(bytes(c.raw) for c in self.connections)

    def start(self) -> "Origin":
        self.listener.listen(1024)
        self.listener.settimeout(0.2)
        t = threading.Thread(target=self._accept_loop, name=f"origin-{self.name}-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        self.stopping.set()
        try:
            self.listener.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self.connections)
        for c in conns:
            c.close()
        for t in list(self._threads):
            t.join(timeout=5)

    def wait_for_requests(self, n, timeout=5.0, heads=False) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.heads if heads else self.requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def summary(self) -> str:
        with self.lock:
            lines = [f"origin {self.name} on {self.hostport}: {len(self.connections)} connections, "
                     f"{len(self.requests)} complete requests, {self.total_bytes_received} bytes in, "
                     f"{self.total_bytes_sent} bytes out"]
            for r in self.heads[-20:]:
                lines.append(f"  conn {r.conn_id}: {r.method} {r.target} {r.version} complete={r.complete}")
            for e in self.errors[-10:]:
                lines.append(f"  error: {e}")
            for c in self.connections[-5:]:
                lines.append(f"  raw conn {c.conn_id}: {bytes(c.raw[:600])!r}")
        return "\n".join(lines)

    # -- internals -------------------------------------------------------------------
    def _record(self, req):
        with self._cond:
            self.requests.append(req)
            self._cond.notify_all()

    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                sock, peer = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                conn = OriginConnection(self, sock, len(self.connections), peer)
                self.connections.append(conn)
            t = threading.Thread(target=self._serve, args=(conn,), name=f"origin-{self.name}-{conn.conn_id}",
                                 daemon=True)
            t.start()
            self._threads.append(t)

    def _read_head(self, conn: OriginConnection) -> OriginRequest | None:
        # Wait for the first byte (a pooled connection may stay idle a long time).
        idle_since = time.monotonic()
        while not conn.buf:
            try:
                if not conn.recv_more(timeout=0.05 if self.idle_timeout else 0.5):
                    return None
            except socket.timeout:
                if self.idle_timeout and time.monotonic() - idle_since >= self.idle_timeout:
                    return None
                continue
        line = conn.read_line()
        raw = bytearray(line + CRLF)
        parts = line.split(b" ")
        if len(parts) != 3:
            raise BadRequest(f"bad request line {line!r}")
        lines = []
        while True:
            l2 = conn.read_line()
            raw += l2 + CRLF
            if l2 == b"":
                break
            lines.append(l2)
        headers = parse_fields(lines)
        conn.requests_seen += 1
        req = OriginRequest(method=parts[0].decode("latin-1"), target=parts[1].decode("latin-1"),
                            version=parts[2].decode("latin-1"), headers=headers, raw_head=bytes(raw),
                            conn_id=conn.conn_id, index_on_conn=conn.requests_seen - 1, peer=conn.peer,
                            received_at=time.monotonic())
        te = headers.tokens("transfer-encoding")
        req.chunked = bool(te) and te[-1] == "chunked"
        with self._cond:
            self.heads.append(req)
            self._cond.notify_all()
        return req

    def _serve(self, conn: OriginConnection):
        if self.tls is not None:
            try:
                conn.sock.settimeout(self.io_timeout)
                conn.sock = self.tls.wrap_socket(conn.sock, server_side=True)
                conn.peer_cert = conn.sock.getpeercert()
                conn.tls_resumed = conn.sock.session_reused
            except (ssl.SSLError, OSError) as e:
                with self.lock:
                    self.errors.append(f"conn {conn.conn_id}: TLS handshake failed: {e}")
                conn.close()
                return
        try:
            while not self.stopping.is_set():
                req = self._read_head(conn)
                if req is None:
                    break
                ex = Exchange(conn, req)
                if self.send_continue and "100-continue" in req.headers.tokens("expect"):
                    conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.handler(ex)
                if conn.closed:
                    break
                ex.finish_request()
                if not ex.keep_alive:
                    break
        except (PeerClosed, BrokenPipeError, ConnectionResetError):
            pass
        except BadRequest as e:
            with self.lock:
                self.errors.append(f"conn {conn.conn_id}: {e}")
            try:
                conn.respond(400, [("Content-Type", "text/plain")], b"origin: bad request\n", keep_alive=False)
            except OSError:
                pass
        except OSError as e:
            if not self.stopping.is_set():
                with self.lock:
                    self.errors.append(f"conn {conn.conn_id}: {e!r}")
        except Exception as e:  # a handler bug must show up in the test output
            with self.lock:
                self.errors.append(f"conn {conn.conn_id}: handler error {e!r}")
        finally:
            conn.close()


# ---------------------------------------------------------------------------------------
# Behaviours. Each returns a handler: a callable taking an Exchange.
# ---------------------------------------------------------------------------------------

def echo(status=200, extra_headers=None):
    """Answer with the request as JSON (method, target, version, headers, body, trailers)."""

    def handler(ex: Exchange):
        ex.read_body()
        ex.finish_request()
        payload = ex.req.to_json()
        payload["origin"] = ex.origin.name
        body = json.dumps(payload).encode()
        hdrs = [("Content-Type", "application/json")] + list(extra_headers or [])
        ex.respond(status, hdrs, body)
    return handler


def fixed(status=200, body=b"ok", headers=None, reason=None):
    def handler(ex: Exchange):
        ex.finish_request()
        hdrs = list(headers.items() if isinstance(headers, dict) else (headers or []))
        if not any(k.lower() == "content-type" for k, _ in hdrs):
            hdrs.append(("Content-Type", "text/plain"))
        if reason is not None:
            ex.respond(status, hdrs, body, reason=reason)
        else:
            ex.respond(status, hdrs, body)
    return handler


def raw_response(data: bytes, close=False):
    """Send these exact bytes as the response (the test owns the framing)."""

    def handler(ex: Exchange):
        ex.finish_request()
        ex.conn.send(data)
        if close:
            ex.conn.close()
    return handler


def chunked(chunks=(b"hello, ", b"chunked ", b"world"), trailers=None, status=200, headers=None):
    """A chunked response, optionally with trailer fields."""

    def handler(ex: Exchange):
        ex.finish_request()
        hdrs = [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain"), ("X-Origin", ex.origin.name)]
        hdrs += list(headers or [])
        trailer_items = list(trailers.items() if isinstance(trailers, dict) else (trailers or []))
        if trailer_items:
            hdrs.append(("Trailer", ", ".join(k for k, _ in trailer_items)))
        if not ex.keep_alive:
            hdrs.append(("Connection", "close"))
        head = f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs) + "\r\n"
        ex.conn.send(head.encode())
        if ex.req.method == "HEAD":
            return
        for c in chunks:
            c = to_bytes(c)
            ex.conn.send(f"{len(c):x}\r\n".encode() + c + CRLF)
            time.sleep(0.01)
        tail = b"0\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in trailer_items) + CRLF
        ex.conn.send(tail)
    return handler


def slow(delay: float, then=None):
    """Wait `delay` seconds after the request arrived, then answer with `then` (echo)."""
    then = then or echo()

    def handler(ex: Exchange):
        ex.read_body()
        end = time.monotonic() + delay
        while time.monotonic() < end:
            if ex.origin.stopping.is_set():
                raise PeerClosed("stopping")
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))
        then(ex)
    return handler


def never_answer():
    """Read the request, then say nothing until the peer goes away."""

    def handler(ex: Exchange):
        ex.read_body()
        ex.finish_request()
        ex.conn.wait_until_closed()
        ex.conn.close()
    return handler


def garbage(data=b"THIS IS NOT HTTP\x00\x01\x02 at all\r\n\r\n", close=True):
    def handler(ex: Exchange):
        ex.finish_request()
        ex.conn.send(data)
        if close:
            time.sleep(0.05)
            ex.conn.close()
    return handler


def close_mid_body(declared=100_000, sent=5_000, use_chunked=False, pause=0.3):
    """Send the head and part of the body, pause (so the proxy forwards it), then close."""

    def handler(ex: Exchange):
        ex.finish_request()
        if use_chunked:
            head = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n"
                    + f"{sent:x}\r\n".encode() + b"x" * sent + CRLF)
        else:
            head = (f"HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\nContent-Type: application/octet-stream\r\n\r\n"
                    .encode() + b"x" * sent)
        ex.conn.send(head)
        time.sleep(pause)
        ex.conn.close()
    return handler


def huge_download(size: int, block: int = 4 << 20, use_chunked=False):
    """Stream `size` bytes as fast as the socket takes them, never holding more than one
    block. The origin's total_bytes_sent shows how far it got."""
    pattern = bytes(range(256)) * (block // 256)
    view_all = memoryview(pattern)

    def handler(ex: Exchange):
        ex.finish_request()
        conn = ex.conn
        hdrs = f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nX-Origin: {ex.origin.name}\r\n"
        if use_chunked:
            hdrs += "Transfer-Encoding: chunked\r\n\r\n"
        else:
            hdrs += f"Content-Length: {size}\r\n\r\n"
        conn.send(hdrs.encode())
        if ex.req.method == "HEAD":
            return
        left = size
        while left > 0:
            n = min(left, len(pattern))
            if use_chunked:
                conn.send(f"{n:x}\r\n".encode())
            conn.send_counted(view_all[:n])
            if use_chunked:
                conn.send(CRLF)
            left -= n
        if use_chunked:
            conn.send(b"0\r\n\r\n")
    return handler


def upload_sink():
    """Consume the request body without keeping it; answer {"received": n}."""

    def handler(ex: Exchange):
        n = ex.discard_body()
        ex.finish_request()
        ex.respond(200, [("Content-Type", "application/json")], json.dumps({"received": n}).encode())
    return handler


def upgrade_aware():
    """A backend that would switch protocols if asked: 101 when it sees Upgrade, else echo."""
    inner = echo()

    def handler(ex: Exchange):
        if ex.req.headers.get("upgrade") is not None:
            ex.finish_request()
            ex.conn.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
            ex.conn.send(b"\x81\x05hello")
            ex.conn.wait_until_closed()
            ex.conn.close()
            return
        inner(ex)
    return handler


def identifying(status=302, extra_headers=None):
    """A backend that gives itself away, as real ones do: software and version headers, and a
    Location, Content-Location, Refresh and Set-Cookie naming its own address. The body echoes the
    request as JSON (like echo), so a test sees both what reached the origin and what came back."""

    def handler(ex: Exchange):
        ex.read_body()
        ex.finish_request()
        own = ex.origin.url
        payload = ex.req.to_json()
        payload["origin"] = ex.origin.name
        hdrs = [("Content-Type", "application/json"),
                ("X-Powered-By", "PHP/5.6.40"),
                ("X-AspNet-Version", "4.0.30319"),
                ("X-AspNetMvc-Version", "5.2"),
                ("X-Runtime", "0.012"),
                ("X-Backend-Server", f"app01.internal ({ex.origin.hostport})"),
                ("Location", f"{own}/next?from=origin"),
                ("Content-Location", f"{own}/doc"),
                ("Refresh", f"5; url={own}/later"),
                ("Set-Cookie", "sid=abc; Domain=127.0.0.1; Path=/; HttpOnly"),
                ("Set-Cookie", "pref=1; Domain=example.org; Path=/")]
        ex.respond(status, hdrs + list(extra_headers or []), json.dumps(payload).encode())
    return handler


def route(mapping: dict, default=None):
    """Dispatch on the path prefix (the longest matching prefix wins)."""
    default = default or echo()
    keys = sorted(mapping, key=len, reverse=True)

    def handler(ex: Exchange):
        path = ex.req.target
        for k in keys:
            if path.startswith(k):
                return mapping[k](ex)
        return default(ex)
    return handler
