#include "http/websocket_handshake.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>

namespace bulwark::http {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char* bytes, int size) {
  std::string out(static_cast<std::size_t>(4 * ((size + 2) / 3)), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, size);
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace

std::string make_websocket_key() {
  std::array<unsigned char, 16> nonce{};
  RAND_bytes(nonce.data(), nonce.size());
  return base64(nonce.data(), nonce.size());
}

std::string websocket_accept(std::string_view key) {
  std::string input(key);
  input += kGuid;
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  return base64(digest.data(), digest.size());
}

}  // namespace bulwark::http
