"""Raw-socket HTTP/1.1 client helpers for the end-to-end tests.

The tests must see exactly what bulwark puts on the wire, so nothing here is forgiving
beyond what a strict client would be: responses are framed by the rules of RFC 9112
(HEAD, 1xx, 204 and 304 carry no body; chunked with trailers; Content-Length; read until
close), and an incomplete message raises IncompleteResponse with what did arrive.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field

CRLF = b"\r\n"


class ConnectionClosed(Exception):
    """The peer closed (or reset) the connection before a complete message arrived."""


class IncompleteResponse(ConnectionClosed):
    """The head arrived but the body did not complete; .response holds what arrived."""

    def __init__(self, message: str, response: "Response"):
        super().__init__(message)
        self.response = response


class ProtocolError(Exception):
    """The peer sent something that is not valid HTTP/1.1 framing."""


def to_bytes(data) -> bytes:
    if isinstance(data, str):
        return data.encode("latin-1")
    return bytes(data)


class Headers:
    """An ordered, case-insensitive multi-map of header fields."""

    def __init__(self, items=None):
        self.items: list[tuple[str, str]] = list(items or [])

    def get(self, name: str, default=None):
        lname = name.lower()
        for k, v in self.items:
            if k.lower() == lname:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.items if k.lower() == lname]

    def joined(self, name: str):
        """All field lines of one name joined with ', ' (None if absent)."""
        values = self.get_all(name)
        return ", ".join(values) if values else None

    def __contains__(self, name) -> bool:
        return self.get(name) is not None

    def __iter__(self):
        return iter(self.items)

    def __len__(self):
        return len(self.items)

    def names(self) -> list[str]:
        return [k.lower() for k, _ in self.items]

    def tokens(self, name: str) -> list[str]:
        """Comma-separated list values of a field, lower-cased and stripped."""
        out = []
        for v in self.get_all(name):
            out += [t.strip().lower() for t in v.split(",") if t.strip()]
        return out

    def __repr__(self):
        return f"Headers({self.items!r})"


def parse_header_lines(lines: list[bytes]) -> Headers:
    items = []
    for line in lines:
        if b":" not in line:
            raise ProtocolError(f"header line without colon: {line!r}")
        name, _, value = line.partition(b":")
        if not name or name != name.strip():
            raise ProtocolError(f"bad header name: {line!r}")
        items.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    return Headers(items)


@dataclass
class Response:
    version: str = ""
    status: int = 0
    reason: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    trailers: Headers = field(default_factory=Headers)
    raw_head: bytes = b""
    interim: list = field(default_factory=list)  # 1xx responses that came before this one
    chunked: bool = False
    complete: bool = False

    def header(self, name, default=None):
        return self.headers.get(name, default)

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def connection_tokens(self) -> list[str]:
        return self.headers.tokens("connection")

    def __repr__(self):
        body = self.body if len(self.body) < 300 else self.body[:300] + b"..."
        return (f"Response({self.version} {self.status} {self.reason!r}, headers={self.headers.items!r}, "
                f"body={body!r}, trailers={self.trailers.items!r}, complete={self.complete})")


def build_request(method="GET", target="/", headers=None, body=None, version="HTTP/1.1",
                  host="test.local") -> bytes:
    """Serialise a request. headers: dict or list of pairs (sent verbatim, in order).

    A Host field is added for HTTP/1.1 when none is given (host=None suppresses it), and a
    Content-Length when a body is given without Content-Length or Transfer-Encoding.
    """
    if headers is None:
        items = []
    elif isinstance(headers, dict):
        items = list(headers.items())
    else:
        items = list(headers)
    names = {k.lower() for k, _ in items}
    if host is not None and "host" not in names and version == "HTTP/1.1":
        items.insert(0, ("Host", host))
    body_b = to_bytes(body) if body is not None else None
    if body_b is not None and "content-length" not in names and "transfer-encoding" not in names:
        items.append(("Content-Length", str(len(body_b))))
    head = f"{method} {target} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in items) + "\r\n"
    return head.encode("latin-1") + (body_b or b"")


def chunked_body(chunks, trailers=None) -> bytes:
    """Encode chunks (bytes/str) in chunked coding, with optional trailer fields."""
    out = bytearray()
    for c in chunks:
        c = to_bytes(c)
        if not c:
            continue
        out += f"{len(c):x}\r\n".encode() + c + CRLF
    out += b"0\r\n"
    for k, v in (trailers.items() if isinstance(trailers, dict) else (trailers or [])):
        out += f"{k}: {v}\r\n".encode("latin-1")
    out += CRLF
    return bytes(out)


class RawClient:
    """One TCP connection to a server, with a receive buffer and HTTP/1.1 framing."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0, connect: bool = True,
                 rcvbuf: int | None = None):
        self.host, self.port, self.timeout = host, port, timeout
        self.buf = bytearray()
        self.eof = False
        self.sock = None
        if connect:
            self.connect(rcvbuf=rcvbuf)

    def connect(self, rcvbuf=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(self.timeout)
        s.connect((self.host, self.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = s
        return self

    # -- context manager -------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    @property
    def local_port(self) -> int:
        return self.sock.getsockname()[1]

    # -- sending ---------------------------------------------------------------------
    def send(self, data):
        self.sock.sendall(to_bytes(data))

    def send_slowly(self, data, delay: float, step: int = 1):
        data = to_bytes(data)
        for i in range(0, len(data), step):
            self.sock.sendall(data[i:i + step])
            time.sleep(delay)

    # -- receiving -------------------------------------------------------------------
    def _recv_more(self, timeout: float | None = None) -> bool:
        """Read more bytes into the buffer; False on EOF/reset. Raises socket.timeout."""
        if self.eof:
            return False
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            data = self.sock.recv(1 << 20)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _read_line(self, limit: int = 1 << 20) -> bytes:
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                if not line.endswith(CRLF):
                    raise ProtocolError(f"bare LF in response line: {line!r}")
                return line[:-2]
            if len(self.buf) > limit:
                raise ProtocolError("line too long")
            if not self._recv_more():
                raise ConnectionClosed(f"connection closed while reading a line (buffer {bytes(self.buf[:200])!r})")

    def _read_exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._recv_more():
                raise ConnectionClosed(f"connection closed with {len(self.buf)} of {n} bytes")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_head(self) -> Response:
        """Read one status line and header section (any status, including 1xx)."""
        # Skip nothing: a response must start right away (no leading CRLF tolerance).
        while not self.buf:
            if not self._recv_more():
                raise ConnectionClosed("connection closed before a response")
        status_line = self._read_line()
        lines = []
        raw = bytearray(status_line + CRLF)
        while True:
            line = self._read_line()
            raw += line + CRLF
            if line == b"":
                break
            lines.append(line)
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit() or len(parts[1]) != 3:
            raise ProtocolError(f"bad status line: {status_line!r}")
        r = Response(version=parts[0].decode(), status=int(parts[1]),
                     reason=parts[2].decode("latin-1") if len(parts) > 2 else "",
                     headers=parse_header_lines(lines), raw_head=bytes(raw))
        return r

    def read_response(self, method: str = "GET", skip_interim: bool = True) -> Response:
        """Read one complete response. 1xx responses are collected in .interim (skipped)
        unless skip_interim is False, in which case a 1xx is returned as it is."""
        interim = []
        while True:
            r = self.read_head()
            if 100 <= r.status < 200 and r.status != 101:
                if not skip_interim:
                    r.complete = True
                    return r
                interim.append(r)
                continue
            break
        r.interim = interim
        self.read_body(r, method)
        return r

    def read_body(self, r: Response, method: str = "GET") -> Response:
        if method.upper() == "HEAD" or r.status in (204, 304) or 100 <= r.status < 200:
            r.complete = True
            return r
        te = r.headers.tokens("transfer-encoding")
        try:
            if te:
                if te[-1] != "chunked":
                    raise ProtocolError(f"unsupported transfer-encoding {te}")
                r.chunked = True
                self._read_chunked(r)
            elif r.headers.get("content-length") is not None:
                cls = {v.strip() for v in r.headers.get_all("content-length")}
                if len(cls) != 1 or not next(iter(cls)).isdigit():
                    raise ProtocolError(f"bad content-length {cls}")
                n = int(next(iter(cls)))
                body = bytearray()
                while len(body) < n:
                    if not self.buf and not self._recv_more():
                        r.body = bytes(body)
                        raise IncompleteResponse(f"connection closed after {len(body)} of {n} body bytes", r)
                    take = min(n - len(body), len(self.buf))
                    body += self.buf[:take]
                    del self.buf[:take]
                r.body = bytes(body)
            else:
                # Delimited by close.
                while self._recv_more():
                    pass
                r.body = bytes(self.buf)
                self.buf.clear()
        except ConnectionClosed as e:
            if isinstance(e, IncompleteResponse):
                raise
            raise IncompleteResponse(str(e), r) from None
        r.complete = True
        return r

    def _read_chunked(self, r: Response):
        body = bytearray()
        try:
            while True:
                line = self._read_line()
                size_s = line.split(b";", 1)[0].strip()
                try:
                    size = int(size_s, 16)
                except ValueError:
                    raise ProtocolError(f"bad chunk size line {line!r}") from None
                if size == 0:
                    break
                body += self._read_exact(size)
                if self._read_exact(2) != CRLF:
                    raise ProtocolError("chunk data not followed by CRLF")
            r.trailers = self._read_trailers()
        finally:
            r.body = bytes(body)

    def _read_trailers(self):
        """The trailer section after the last chunk, up to its empty line."""
        lines = []
        while True:
            line = self._read_line()
            if line == b"":
                return parse_header_lines(lines)
            lines.append(line)

    def count_body(self, r: Response, method: str = "GET", bufsize: int = 4 << 20) -> int:
        """Like read_body, but counts the body bytes instead of keeping them (for huge bodies).
        Raises IncompleteResponse (with .response.body empty) if the body does not complete."""
        if method.upper() == "HEAD" or r.status in (204, 304) or 100 <= r.status < 200:
            r.complete = True
            return 0
        total = 0
        try:
            te = r.headers.tokens("transfer-encoding")
            if te:
                r.chunked = True
                while True:
                    line = self._read_line()
                    size = int(line.split(b";", 1)[0].strip(), 16)
                    if size == 0:
                        break
                    total += self._skip(size)
                    if self._read_exact(2) != CRLF:
                        raise ProtocolError("chunk data not followed by CRLF")
                r.trailers = self._read_trailers()
            elif r.headers.get("content-length") is not None:
                total = self._skip(int(r.headers.get("content-length")))
            else:
                total = len(self.buf)
                self.buf.clear()
                while self._recv_more():
                    total += len(self.buf)
                    self.buf.clear()
        except ConnectionClosed as e:
            raise IncompleteResponse(f"{e} (after {total} body bytes)", r) from None
        r.complete = True
        return total

    def _skip(self, n: int) -> int:
        """Consume exactly n bytes without keeping them."""
        take = min(n, len(self.buf))
        del self.buf[:take]
        done = take
        scratch = bytearray(min(n - done, 4 << 20) or 1)
        view = memoryview(scratch)
        self.sock.settimeout(self.timeout)
        while done < n:
            try:
                got = self.sock.recv_into(view, min(len(scratch), n - done))
            except (ConnectionResetError, BrokenPipeError):
                got = 0
            if got == 0:
                self.eof = True
                raise ConnectionClosed(f"connection closed after {done} of {n} bytes")
            done += got
        return done

    def read_responses(self, methods) -> list[Response]:
        return [self.read_response(m) for m in methods]

    # -- helpers ---------------------------------------------------------------------
    def request(self, method="GET", target="/", headers=None, body=None, version="HTTP/1.1",
                host="test.local") -> Response:
        self.send(build_request(method, target, headers, body, version, host))
        return self.read_response(method)

    def wait_closed(self, timeout: float) -> bool:
        """True if the peer closes (EOF or reset) within timeout; bytes that arrive meanwhile
        are kept in the buffer. False if the connection is still open after timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                if not self._recv_more(timeout=left):
                    return True
            except (socket.timeout, TimeoutError):
                return False

    def read_until_close(self, timeout: float = 10.0) -> bytes:
        """Everything until the peer closes (raises socket.timeout if it does not)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("peer did not close")
            if not self._recv_more(timeout=left):
                break
        out = bytes(self.buf)
        self.buf.clear()
        return out


def request(port: int, method="GET", target="/", headers=None, body=None, version="HTTP/1.1",
            host="test.local", timeout=10.0) -> Response:
    """One request on a fresh connection (closed afterwards)."""
    with RawClient(port, timeout=timeout) as c:
        return c.request(method, target, headers, body, version, host)


def try_request(port: int, data: bytes, timeout: float = 5.0):
    """Send raw bytes on a fresh connection; return (response or None, closed_after: bool, error).

    Used for hostile input: the server may answer and close, or close/reset right away.
    """
    c = RawClient(port, timeout=timeout)
    try:
        try:
            c.send(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            return None, True, e
        try:
            r = c.read_response()
        except (ConnectionClosed, ProtocolError, socket.timeout, TimeoutError) as e:
            return None, c.eof, e
        closed = c.wait_closed(timeout)
        return r, closed, None
    finally:
        c.close()


def poll(fn, timeout=3.0, interval=0.05):
    """Call fn until it returns something truthy or timeout passes; returns the last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(interval)
