#pragma once
// The two values of a WebSocket opening handshake (RFC 6455 §4): the client's Sec-WebSocket-Key
// and the Sec-WebSocket-Accept a server derives from it. bulwark makes the key itself when it
// turns an HTTP/2 extended CONNECT (RFC 8441) into an HTTP/1.1 Upgrade, and then checks the
// backend's answer as a client would.

#include <string>
#include <string_view>

namespace bulwark::http {

// 16 random bytes, base64: a fresh Sec-WebSocket-Key.
std::string make_websocket_key();
// base64(SHA-1(key + the RFC 6455 GUID)).
std::string websocket_accept(std::string_view key);

}  // namespace bulwark::http
