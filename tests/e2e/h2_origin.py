"""An HTTP/2 origin (python3-h2) whose answers each test controls: prior knowledge (h2c) or TLS
with ALPN. It records every connection and request, sends bodies as the client's flow-control
windows allow, and misbehaves on demand (reset streams, refuse them, GOAWAY, drop connections).
One thread per connection, each an event loop over its socket."""

import socket
import ssl
import threading
import time
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions


@dataclass
class H2Request:
    headers: list              # (name, value) in order, pseudo-headers included
    body: bytes = b""
    trailers: list = field(default_factory=list)
    connection: int = 0        # which accepted connection (1, 2, ...) carried it

    def header(self, name):
        return next((v for n, v in self.headers if n == name), None)

    def all(self, name):
        return [v for n, v in self.headers if n == name]


@dataclass
class H2Response:
    status: int = 200
    headers: list = field(default_factory=list)
    body: bytes = b""
    trailers: list | None = None
    # Body pieces sent at these delays (seconds after the request ended) instead of `body`.
    chunks: list | None = None
    delay: float = 0.0         # before anything is sent
    reset: int | None = None   # RST_STREAM with this code after the head and body (or instead)
    reset_before_head: bool = False
    interim: list = field(default_factory=list)  # 1xx heads sent first, each a list of fields


class _Outgoing:
    def __init__(self, stream_id, response, start):
        self.stream_id = stream_id
        self.response = response
        self.start = start
        self.head_sent = False
        self.pieces = list(response.chunks or [(0.0, response.body)])
        self.buffer = b""
        self.done = False


class H2Origin:
    def __init__(self, handler, ssl_context=None):
        self.handler = handler
        self.ssl_context = ssl_context
        self.requests = []
        self.connections = 0
        self.command = None  # "goaway" or "drop": applied by every connection loop
        self._lock = threading.Lock()
        self._stop = False
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(128)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.hostport = f"127.0.0.1:{self.port}"
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def close(self):
        self._stop = True
        self._sock.close()

    def _accept(self):
        while not self._stop:
            try:
                sock, _ = self._sock.accept()
            except OSError:
                continue
            with self._lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._serve, args=(sock, number), daemon=True).start()

    def _serve(self, sock, number):
        try:
            if self.ssl_context is not None:
                sock = self.ssl_context.wrap_socket(sock, server_side=True)
            self._loop(sock, number)
        except (OSError, ssl.SSLError, h2.exceptions.ProtocolError):
            pass
        finally:
            sock.close()

    def _loop(self, sock, number):
        conn = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=False, header_encoding="utf-8", validate_inbound_headers=False))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        sock.settimeout(0.02)
        streams = {}
        outgoing = []
        seen_command = None
        while not self._stop:
            if self.command != seen_command:
                seen_command = self.command
                if seen_command == "drop":
                    return
                if seen_command == "goaway":
                    conn.close_connection()
                    sock.sendall(conn.data_to_send())
            try:
                data = sock.recv(65536)
                if not data:
                    return
            except (socket.timeout, ssl.SSLWantReadError):
                data = b""
            for event in conn.receive_data(data) if data else []:
                if isinstance(event, h2.events.RequestReceived):
                    streams[event.stream_id] = H2Request(headers=list(event.headers), connection=number)
                elif isinstance(event, h2.events.DataReceived):
                    streams[event.stream_id].body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.TrailersReceived):
                    streams[event.stream_id].trailers = list(event.headers)
                elif isinstance(event, h2.events.StreamEnded):
                    request = streams.pop(event.stream_id)
                    with self._lock:
                        self.requests.append(request)
                    outgoing.append(_Outgoing(event.stream_id, self.handler(request), time.monotonic()))
                elif isinstance(event, h2.events.StreamReset):
                    streams.pop(event.stream_id, None)
                    outgoing = [o for o in outgoing if o.stream_id != event.stream_id]
                elif isinstance(event, h2.events.ConnectionTerminated):
                    sock.sendall(conn.data_to_send())
                    return
            for item in outgoing:
                self._advance(conn, item)
            outgoing = [o for o in outgoing if not o.done]
            pending = conn.data_to_send()
            if pending:
                sock.sendall(pending)

    @staticmethod
    def _advance(conn, item):
        response = item.response
        elapsed = time.monotonic() - item.start
        if elapsed < response.delay:
            return
        sid = item.stream_id
        try:
            if response.reset_before_head:
                conn.reset_stream(sid, response.reset)
                item.done = True
                return
            if not item.head_sent:
                for head in response.interim:
                    conn.send_headers(sid, head)
                # No body, trailers or reset to follow: the head ends the stream.
                head_only = (not response.body and response.chunks is None
                             and response.trailers is None and response.reset is None)
                conn.send_headers(sid, [(":status", str(response.status))] + list(response.headers),
                                  end_stream=head_only)
                item.head_sent = True
                if head_only:
                    item.done = True
                    return
            while item.pieces and elapsed - response.delay >= item.pieces[0][0]:
                item.buffer += item.pieces.pop(0)[1]
            while item.buffer:
                n = min(conn.local_flow_control_window(sid), conn.max_outbound_frame_size, len(item.buffer))
                if n <= 0:
                    return
                conn.send_data(sid, item.buffer[:n])
                item.buffer = item.buffer[n:]
            if item.pieces:
                return
            if response.reset is not None:
                conn.reset_stream(sid, response.reset)
            elif response.trailers is not None:
                conn.send_headers(sid, list(response.trailers), end_stream=True)
            else:
                conn.end_stream(sid)
            item.done = True
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
            item.done = True


def echo(request):
    """The request's body back, and what arrived in headers that tell what the request was."""
    return H2Response(headers=[("content-type", "application/octet-stream"),
                               ("x-method", request.header(":method")),
                               ("x-path", request.header(":path"))],
                      body=request.body)


def alpn_context(cert, key, protocols=("h2",)):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(list(protocols))
    return context
