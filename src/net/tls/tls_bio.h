#pragma once
// The BIO OpenSSL reads and writes a transport's TLS records through (transport.h says why it is
// not OpenSSL's socket BIO). Writes go to the socket at once (send with MSG_DONTWAIT; a full
// socket is a retry). Reads come from a buffer of ciphertext the transport fills from the socket
// with Asio, so that a read never makes a syscall of its own: an empty buffer is a retry, and the
// transport reads more.

#include <openssl/bio.h>

#include <cstddef>
#include <memory>
#include <span>

namespace bulwark::net::tls {

// Received ciphertext not yet read by OpenSSL. Its memory is taken when a read needs it and
// given back while the connection is idle, so an idle connection does not keep it; the blocks
// are kept per thread for the next connection to wake up (malloc would return them to the kernel
// and fault them in again, a keep-alive connection going idle between every two requests).
class CipherBuffer {
 public:
  CipherBuffer() = default;
  CipherBuffer(const CipherBuffer&) = delete;
  CipherBuffer& operator=(const CipherBuffer&) = delete;
  ~CipherBuffer();

  // A whole TLS record fits: 16 KiB of plaintext, up to 256 bytes of expansion, the header.
  static constexpr std::size_t kCapacity = 16 * 1024 + 256 + 5;

  // Room behind the bytes held (allocating, or moving them to the front, as needed).
  std::span<char> free_space();
  void commit(std::size_t received) noexcept { end_ += received; }
  // Copies out up to `out.size()` bytes; returns how many.
  std::size_t take(std::span<char> out) noexcept;
  [[nodiscard]] bool empty() const noexcept { return begin_ == end_; }
  // Gives the memory back when nothing is held.
  void release() noexcept;

 private:
  std::unique_ptr<char[]> bytes_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

// A new BIO on the socket `descriptor`; give it to an SSL with SSL_set_bio (which then owns it).
BIO* make_transport_bio(int descriptor);
// The ciphertext buffer of a BIO make_transport_bio made; nullptr for any other BIO.
CipherBuffer* cipher_buffer(BIO* bio) noexcept;

}  // namespace bulwark::net::tls
