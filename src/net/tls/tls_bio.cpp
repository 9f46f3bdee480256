#include "net/tls/tls_bio.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace bulwark::net::tls {
namespace {

// A thread's spare buffer blocks, up to a bound (what is beyond it goes back to malloc).
class BlockCache {
 public:
  static constexpr std::size_t kMaxBlocks = 256;  // 4.2 MiB per worker at most

  BlockCache() { blocks_.reserve(kMaxBlocks); }  // give() never allocates
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  ~BlockCache() = default;

  std::unique_ptr<char[]> take() {
    if (blocks_.empty()) return std::make_unique_for_overwrite<char[]>(CipherBuffer::kCapacity);
    std::unique_ptr<char[]> block = std::move(blocks_.back());
    blocks_.pop_back();
    return block;
  }
  void give(std::unique_ptr<char[]> block) noexcept {
    if (blocks_.size() < kMaxBlocks) blocks_.push_back(std::move(block));
  }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
};

BlockCache& block_cache() {
  thread_local BlockCache cache;
  return cache;
}

struct TransportBio {
  int descriptor;
  CipherBuffer input;
};

TransportBio* state_of(BIO* bio) noexcept {
  return static_cast<TransportBio*>(BIO_get_data(bio));
}

int write_to_socket(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  BIO_clear_retry_flags(bio);
  for (;;) {
    const ssize_t sent = ::send(state_of(bio)->descriptor, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent >= 0) {
      *written = static_cast<std::size_t>(sent);
      return 1;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) BIO_set_retry_write(bio);
    return 0;  // otherwise errno says why (SSL_ERROR_SYSCALL)
  }
}

int read_from_buffer(BIO* bio, char* out, std::size_t size, std::size_t* read) {
  BIO_clear_retry_flags(bio);
  const std::size_t taken = state_of(bio)->input.take({out, size});
  if (taken == 0) {
    BIO_set_retry_read(bio);
    return 0;
  }
  *read = taken;
  return 1;
}

long control(BIO* /*bio*/, int command, long /*number*/, void* /*pointer*/) {
  // OpenSSL flushes after a record it wrote; the writes are not buffered here.
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int destroy(BIO* bio) {
  delete state_of(bio);
  BIO_set_data(bio, nullptr);
  return 1;
}

struct TransportMethod {
  int type;
  BIO_METHOD* method;
};

// Made once per process (a BIO type index is never given back).
const TransportMethod& transport_method() {
  static const TransportMethod made = [] {
    const int type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK;
    BIO_METHOD* method = BIO_meth_new(type, "bulwark transport");
    BIO_meth_set_write_ex(method, write_to_socket);
    BIO_meth_set_read_ex(method, read_from_buffer);
    BIO_meth_set_ctrl(method, control);
    BIO_meth_set_destroy(method, destroy);
    return TransportMethod{type, method};
  }();
  return made;
}

}  // namespace

CipherBuffer::~CipherBuffer() {
  if (bytes_) block_cache().give(std::move(bytes_));
}

std::span<char> CipherBuffer::free_space() {
  if (!bytes_) bytes_ = block_cache().take();
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (end_ == kCapacity) {
    std::memmove(bytes_.get(), bytes_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  return {bytes_.get() + end_, kCapacity - end_};
}

std::size_t CipherBuffer::take(std::span<char> out) noexcept {
  const std::size_t count = std::min(out.size(), end_ - begin_);
  if (count > 0) std::memcpy(out.data(), bytes_.get() + begin_, count);
  begin_ += count;
  return count;
}

void CipherBuffer::release() noexcept {
  if (!empty() || !bytes_) return;
  block_cache().give(std::move(bytes_));
  begin_ = end_ = 0;
}

BIO* make_transport_bio(int descriptor) {
  BIO* bio = BIO_new(transport_method().method);
  if (bio == nullptr) return nullptr;
  BIO_set_data(bio, new TransportBio{descriptor, {}});
  BIO_set_init(bio, 1);
  return bio;
}

CipherBuffer* cipher_buffer(BIO* bio) noexcept {
  if (bio == nullptr || BIO_method_type(bio) != transport_method().type) return nullptr;
  return &state_of(bio)->input;
}

}  // namespace bulwark::net::tls
