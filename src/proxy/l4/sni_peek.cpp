#include "proxy/l4/sni_peek.h"

#include <cstdint>

namespace bulwark::proxy {
namespace {

constexpr std::uint8_t kHandshakeRecord = 22;
constexpr std::uint8_t kClientHello = 1;
constexpr std::uint16_t kServerNameExtension = 0;
constexpr std::uint8_t kHostName = 0;
constexpr std::size_t kRecordHeader = 5;
constexpr std::size_t kMaxRecord = 1 << 14;  // TLSPlaintext.length (RFC 8446 §5.1)
constexpr std::size_t kMaxServerName = 255;

SniPeek failure(std::string_view why) {
  return SniPeek{.status = SniPeek::Status::kError, .error = why};
}

// A bounds-checked cursor over one handshake message.
class Cursor {
 public:
  explicit Cursor(std::string_view bytes) noexcept : rest_(bytes) {}

  bool skip(std::size_t n) noexcept {
    if (rest_.size() < n) return false;
    rest_.remove_prefix(n);
    return true;
  }
  bool number(std::size_t width, std::size_t& out) noexcept {
    if (rest_.size() < width) return false;
    out = 0;
    for (std::size_t i = 0; i < width; ++i)
      out = (out << 8) | static_cast<unsigned char>(rest_[i]);
    rest_.remove_prefix(width);
    return true;
  }
  // A vector with a `width`-byte length prefix, as a cursor of its own.
  bool vector(std::size_t width, Cursor& out) noexcept {
    std::size_t length = 0;
    if (!number(width, length) || rest_.size() < length) return false;
    out = Cursor(rest_.substr(0, length));
    rest_.remove_prefix(length);
    return true;
  }
  [[nodiscard]] bool empty() const noexcept { return rest_.empty(); }
  [[nodiscard]] std::string_view rest() const noexcept { return rest_; }

 private:
  std::string_view rest_;
};

bool is_host_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxServerName || name.front() == '.') return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

SniPeek parse_server_name(Cursor extension) {
  Cursor list(std::string_view{});
  if (!extension.vector(2, list) || !extension.empty()) {
    return failure("the ClientHello's server_name extension is malformed");
  }
  while (!list.empty()) {
    std::size_t type = 0;
    Cursor name(std::string_view{});
    if (!list.number(1, type) || !list.vector(2, name)) {
      return failure("the ClientHello's server_name extension is malformed");
    }
    if (type != kHostName) continue;
    if (!is_host_name(name.rest())) return failure("the ClientHello's server name is invalid");
    SniPeek done{.status = SniPeek::Status::kDone, .server_name = std::string(name.rest())};
    for (char& c : done.server_name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    // A trailing dot names the same host (RFC 6066 says it is not sent; some clients do).
    if (done.server_name.back() == '.') done.server_name.pop_back();
    return done;
  }
  return SniPeek{.status = SniPeek::Status::kDone};
}

SniPeek parse_client_hello(std::string_view body) {
  Cursor hello(body);
  Cursor session(std::string_view{});
  Cursor ciphers(std::string_view{});
  Cursor compression(std::string_view{});
  if (!hello.skip(2 + 32) || !hello.vector(1, session) || !hello.vector(2, ciphers) ||
      !hello.vector(1, compression)) {
    return failure("the ClientHello is malformed");
  }
  // Without extensions there is no server name (TLS 1.2 allows a ClientHello to end here).
  if (hello.empty()) return SniPeek{.status = SniPeek::Status::kDone};
  Cursor extensions(std::string_view{});
  if (!hello.vector(2, extensions) || !hello.empty()) {
    return failure("the ClientHello's extensions are malformed");
  }
  while (!extensions.empty()) {
    std::size_t type = 0;
    Cursor data(std::string_view{});
    if (!extensions.number(2, type) || !extensions.vector(2, data)) {
      return failure("the ClientHello's extensions are malformed");
    }
    if (type == kServerNameExtension) return parse_server_name(data);
  }
  return SniPeek{.status = SniPeek::Status::kDone};
}

}  // namespace

SniPeek peek_server_name(std::span<const char> bytes) {
  const std::string_view input(bytes.data(), bytes.size());
  std::string handshake;  // the handshake message, gathered from its records
  std::size_t position = 0;
  for (;;) {
    const std::string_view record = input.substr(position);
    // Refused from the first bytes that show it is not TLS (a plain HTTP request, say).
    if (!record.empty() && static_cast<std::uint8_t>(record[0]) != kHandshakeRecord) {
      return failure("not a TLS handshake");
    }
    if (record.size() >= 2 && record[1] != 3) return failure("not a TLS handshake");
    if (record.size() < kRecordHeader) return SniPeek{};
    const std::size_t length =
        (static_cast<std::size_t>(static_cast<unsigned char>(record[3])) << 8) |
        static_cast<unsigned char>(record[4]);
    if (length == 0 || length > kMaxRecord) return failure("a TLS record has an invalid length");
    if (record.size() < kRecordHeader + length) return SniPeek{};
    handshake.append(record.substr(kRecordHeader, length));
    position += kRecordHeader + length;
    if (handshake.size() < 4) continue;
    if (static_cast<std::uint8_t>(handshake[0]) != kClientHello) {
      return failure("the first handshake message is not a ClientHello");
    }
    std::size_t message = 0;
    for (std::size_t i = 1; i < 4; ++i)
      message = (message << 8) | static_cast<unsigned char>(handshake[i]);
    if (message > kMaxClientHelloBytes) return failure("the ClientHello is too large");
    if (handshake.size() >= 4 + message) {
      return parse_client_hello(std::string_view(handshake).substr(4, message));
    }
  }
}

}  // namespace bulwark::proxy
