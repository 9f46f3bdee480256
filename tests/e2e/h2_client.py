"""A small HTTP/2 client on python3-h2, for the tests that need frame-level control: several
streams at once, and the abusive patterns (rapid reset, floods, HPACK bombs, stalls) that real
clients do not produce."""

from __future__ import annotations

import socket
import ssl
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings


class H2Client:
    def __init__(self, port: int, *, tls_ctx: ssl.SSLContext | None = None, server_name="a.test",
                 authority=None, timeout=10.0, settings: dict | None = None):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls_ctx is not None:
            tls_ctx.set_alpn_protocols(["h2"])
            self.sock = tls_ctx.wrap_socket(raw, server_hostname=server_name)
            assert self.sock.selected_alpn_protocol() == "h2", self.sock.selected_alpn_protocol()
        else:
            self.sock = raw
        self.authority = authority or server_name
        self.scheme = "https" if tls_ctx is not None else "http"
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8",
                                           validate_outbound_headers=False,
                                           normalize_outbound_headers=False)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.flush()
        self.responses: dict[int, dict] = {}
        self.goaway: h2.events.ConnectionTerminated | None = None
        self.resets: dict[int, int] = {}
        self.closed = False
        self.error: Exception | None = None  # why the client gave up on the connection

    # -- sending ----------------------------------------------------------------------
    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def send_raw(self, data: bytes):
        self.sock.sendall(data)

    def request(self, path="/", method="GET", headers=None, body: bytes | None = None,
                end_stream=True) -> int:
        stream_id = self.conn.get_next_available_stream_id()
        fields = [(":method", method), (":scheme", self.scheme), (":authority", self.authority),
                  (":path", path)]
        fields += list(headers or [])
        self.conn.send_headers(stream_id, fields, end_stream=end_stream and body is None)
        self.responses[stream_id] = {"headers": None, "body": b"", "trailers": None, "ended": False,
                                     "informational": []}
        if body is not None:
            self.send_body(stream_id, body, end_stream=end_stream)
        self.flush()
        return stream_id

    def send_body(self, stream_id: int, body: bytes, end_stream=True):
        view = memoryview(body)
        while view:
            window = self.conn.local_flow_control_window(stream_id)
            size = min(len(view), window, self.conn.max_outbound_frame_size)
            if size == 0:
                self.flush()
                self.read_events()
                continue
            self.conn.send_data(stream_id, bytes(view[:size]))
            view = view[size:]
            self.flush()
        if end_stream:
            self.conn.end_stream(stream_id)
            self.flush()

    # -- receiving --------------------------------------------------------------------
    def read_events(self, timeout=None) -> bool:
        """Reads once and handles the events; False when the connection closed."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.closed = True
            return False
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as error:
            self.error = error
            self.closed = True
            return False
        for event in events:
            sid = getattr(event, "stream_id", None)
            if isinstance(event, h2.events.ResponseReceived):
                self.responses[sid]["headers"] = dict(event.headers)
            elif isinstance(event, h2.events.InformationalResponseReceived):
                self.responses[sid]["informational"].append(dict(event.headers))
            elif isinstance(event, h2.events.DataReceived):
                self.responses[sid]["body"] += event.data
                self.conn.acknowledge_received_data(event.flow_controlled_length, sid)
            elif isinstance(event, h2.events.TrailersReceived):
                self.responses[sid]["trailers"] = dict(event.headers)
            elif isinstance(event, h2.events.StreamEnded):
                self.responses[sid]["ended"] = True
            elif isinstance(event, h2.events.StreamReset):
                self.resets[sid] = event.error_code
            elif isinstance(event, h2.events.ConnectionTerminated):
                self.goaway = event
        try:
            self.flush()
        except OSError:
            pass
        return True

    def wait_for(self, stream_id: int, timeout=10.0) -> dict:
        deadline = time.monotonic() + timeout
        while not self.responses[stream_id]["ended"] and stream_id not in self.resets:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"stream {stream_id} did not end")
            if not self.read_events(timeout=left):
                break
        return self.responses[stream_id]

    def get(self, path="/", headers=None, timeout=10.0) -> dict:
        return self.wait_for(self.request(path, headers=headers), timeout)

    def wait_closed(self, timeout=10.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.closed and time.monotonic() < deadline:
            try:
                self.read_events(timeout=max(0.05, deadline - time.monotonic()))
            except socket.timeout:
                break
        return self.closed

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def status(response: dict) -> int:
    return int(response["headers"][":status"])
