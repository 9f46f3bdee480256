#include "net/tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "net/tls/ssl_ptr.h"

namespace bulwark::net::tls {
namespace {

struct Key {
  std::array<unsigned char, 16> name{};
  std::array<unsigned char, 32> aes{};
  std::array<unsigned char, 32> hmac{};

  // nullopt when the random generator fails.
  static std::optional<Key> make() {
    Key key;
    if (RAND_bytes(key.name.data(), key.name.size()) != 1 ||
        RAND_bytes(key.aes.data(), key.aes.size()) != 1 ||
        RAND_bytes(key.hmac.data(), key.hmac.size()) != 1) {
      return std::nullopt;
    }
    return key;
  }
};

// The keys in use at one time. Never changed once published: a rotation publishes a new ring, so
// a worker reading one needs no lock.
struct Ring {
  Key current;
  std::optional<Key> previous;
  TicketKeys::Clock::time_point made;

  // The key named `name`: the current one, the previous one, or nullptr.
  [[nodiscard]] const Key* find(const unsigned char* name) const {
    if (std::memcmp(name, current.name.data(), current.name.size()) == 0) return &current;
    if (previous.has_value() &&
        std::memcmp(name, previous->name.data(), previous->name.size()) == 0) {
      return &previous.value();
    }
    return nullptr;
  }

  ~Ring() {
    OPENSSL_cleanse(&current, sizeof current);
    if (previous) OPENSSL_cleanse(&*previous, sizeof *previous);
  }
};

using CipherPtr = std::unique_ptr<EVP_CIPHER, OpenSslDeleter<EVP_CIPHER_free>>;

// Each context holds a shared_ptr to the state (ex_data), freed with the context.
template <class T>
void free_ex_data(void* /*parent*/, void* pointer, CRYPTO_EX_DATA* /*data*/, int /*index*/,
                  long /*argl*/, void* /*argp*/) {
  delete static_cast<T*>(pointer);
}

int ex_data_index() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr, &free_ex_data<std::shared_ptr<TicketKeys::State>>);
  return index;
}

}  // namespace

struct TicketKeys::State {
  std::chrono::milliseconds rotation{};
  std::function<Clock::time_point()> clock;
  CipherPtr cipher{EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr)};
  std::atomic<std::shared_ptr<const Ring>> ring;
  std::mutex rotating;  // one thread makes the next ring

  // The ring to use at `now`, rotated first when its period has passed.
  std::shared_ptr<const Ring> ring_at(Clock::time_point now) {
    std::shared_ptr<const Ring> snapshot = ring.load(std::memory_order_acquire);
    if (now - snapshot->made < rotation) return snapshot;
    const std::scoped_lock lock(rotating);
    snapshot = ring.load(std::memory_order_acquire);
    const auto periods = (now - snapshot->made) / rotation;
    if (periods < 1) return snapshot;  // another thread rotated meanwhile
    std::optional<Key> key = Key::make();
    if (!key) {
      take_openssl_errors();
      return snapshot;  // the old key serves until the generator works again
    }
    // After more than one idle period the old current key is too old even to be the previous.
    auto next = std::shared_ptr<const Ring>(
        new Ring{.current = *key,
                 .previous = periods == 1 ? std::optional<Key>(snapshot->current) : std::nullopt,
                 .made = snapshot->made + periods * rotation});
    ring.store(next, std::memory_order_release);
    return next;
  }

  static int callback(SSL* ssl, unsigned char* key_name, unsigned char* iv,
                      EVP_CIPHER_CTX* cipher_context, EVP_MAC_CTX* mac_context, int encrypt);
};

int TicketKeys::State::callback(SSL* ssl, unsigned char* key_name, unsigned char* iv,
                                EVP_CIPHER_CTX* cipher_context, EVP_MAC_CTX* mac_context,
                                int encrypt) {
  const auto* shared = static_cast<const std::shared_ptr<State>*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_data_index()));
  if (shared == nullptr) return -1;
  State* state = shared->get();
  const std::shared_ptr<const Ring> ring = state->ring_at(state->clock());
  const Key* key = &ring->current;
  int result = 1;
  if (encrypt == 1) {
    std::memcpy(key_name, key->name.data(), key->name.size());
    const int iv_length = EVP_CIPHER_get_iv_length(state->cipher.get());
    if (RAND_bytes(iv, iv_length) != 1) return -1;
  } else {
    key = ring->find(key_name);
    if (key == nullptr) return 0;           // unknown or retired key: a full handshake
    if (key != &ring->current) result = 2;  // good, but reseal it with the current key
  }
  std::array<char, 7> digest{"SHA256"};
  const std::array params{
      OSSL_PARAM_construct_octet_string(
          OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key->hmac.data()), key->hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(mac_context, params.data()) != 1) return -1;
  const int initialized =
      encrypt == 1
          ? EVP_EncryptInit_ex(cipher_context, state->cipher.get(), nullptr, key->aes.data(), iv)
          : EVP_DecryptInit_ex(cipher_context, state->cipher.get(), nullptr, key->aes.data(), iv);
  return initialized == 1 ? result : -1;
}

TicketKeys::TicketKeys(std::chrono::milliseconds rotation, std::function<Clock::time_point()> clock)
    : state_(std::make_shared<State>()) {
  state_->rotation = std::max(rotation, std::chrono::milliseconds{1});
  state_->clock = std::move(clock);
  if (state_->cipher == nullptr) {
    throw std::runtime_error("AES-256-CBC is not available: " + take_openssl_errors());
  }
  std::optional<Key> key = Key::make();
  if (!key) throw std::runtime_error("cannot make a ticket key: " + take_openssl_errors());
  state_->ring.store(std::shared_ptr<const Ring>(
      new Ring{.current = *key, .previous = std::nullopt, .made = state_->clock()}));
}

TicketKeys::~TicketKeys() = default;

void TicketKeys::install(SSL_CTX* context) {
  // A context installed in twice frees the first reference.
  delete static_cast<std::shared_ptr<State>*>(SSL_CTX_get_ex_data(context, ex_data_index()));
  SSL_CTX_set_ex_data(context, ex_data_index(), new std::shared_ptr<State>(state_));
  SSL_CTX_set_tlsext_ticket_key_evp_cb(context, &State::callback);
}

std::chrono::milliseconds TicketKeys::rotation() const noexcept {
  return state_->rotation;
}

}  // namespace bulwark::net::tls
