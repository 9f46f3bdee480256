#include "net/tls/client_context.h"

#include <arpa/inet.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstddef>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "net/tls/certificate.h"
#include "net/tls/tls_policy.h"

namespace bulwark::net::tls {
namespace {

// The protocols offered to backends, in ALPN wire format (length-prefixed).
constexpr std::string_view kAlpnHttp11{"\x08http/1.1", 9};
constexpr std::string_view kAlpnH2{"\x02h2", 3};
constexpr std::string_view kAlpnH2OrHttp11{"\x02h2\x08http/1.1", 12};

std::string_view alpn_wire(AlpnOffer offer) noexcept {
  switch (offer) {
    case AlpnOffer::kH2:
      return kAlpnH2;
    case AlpnOffer::kH2OrHttp11:
      return kAlpnH2OrHttp11;
    case AlpnOffer::kHttp11:
      break;
  }
  return kAlpnHttp11;
}

// Endpoints come and go with DNS; past this many, an arbitrary one's session is forgotten.
constexpr std::size_t kMaxSessions = 4096;

// The newest resumable session of each endpoint (and server name), shared by every worker.
class SessionStore {
 public:
  // A new reference to the session kept for `key`, or null.
  SslSessionPtr find(const std::string& key) const {
    const std::lock_guard lock(mutex_);
    const auto it = sessions_.find(key);
    if (it == sessions_.end() || SSL_SESSION_up_ref(it->second.get()) != 1) return nullptr;
    return SslSessionPtr(it->second.get());
  }

  // Keeps `session` for `key` in place of the one before.
  void keep(const std::string& key, SslSessionPtr session) {
    SslSessionPtr dropped;  // freed after the lock is released
    const std::lock_guard lock(mutex_);
    if (const auto it = sessions_.find(key); it != sessions_.end()) {
      dropped = std::exchange(it->second, std::move(session));
      return;
    }
    if (sessions_.size() >= kMaxSessions) {
      dropped = std::move(sessions_.begin()->second);
      sessions_.erase(sessions_.begin());
    }
    sessions_.emplace(key, std::move(session));
  }

  // Forgets the session of `key` when it is still `session` (it failed to resume).
  void forget(const std::string& key, const SSL_SESSION* session) {
    SslSessionPtr dropped;
    const std::lock_guard lock(mutex_);
    if (const auto it = sessions_.find(key); it != sessions_.end() && it->second.get() == session) {
      dropped = std::move(it->second);
      sessions_.erase(it);
    }
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, SslSessionPtr> sessions_;
};

// What an SSL carries for resumption (in its ex_data): where its sessions go and under which key.
// It holds the store, so that a session arriving after a reload dropped the ClientContext (TLS
// 1.3 tickets come after the handshake) still has somewhere to go.
struct Resumption {
  std::shared_ptr<SessionStore> store;
  std::string key;
  SslSessionPtr offered;  // the stored session this SSL tried to resume, until its handshake ends
};

void free_resumption(void* /*parent*/, void* data, CRYPTO_EX_DATA* /*ad*/, int /*index*/,
                     long /*argl*/, void* /*argp*/) {
  delete static_cast<Resumption*>(data);
}

int resumption_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_resumption);
  return index;
}

Resumption* resumption_of(const SSL* ssl) {
  return static_cast<Resumption*>(SSL_get_ex_data(ssl, resumption_index()));
}

// The store and the connections never share an SSL_SESSION object: OpenSSL marks a connection's
// session not resumable when it is freed without a close_notify (SSL_free calls
// SSL_CTX_remove_session), as backends closing idle connections often are, and that mark would
// otherwise end reuse for the whole endpoint. TLS 1.1 and later allow resuming such a session.
SslSessionPtr copy_of(SSL_SESSION* session) {
  return SslSessionPtr(SSL_SESSION_dup(session));
}

// SSL_CTX_sess_set_new_cb; 0: the caller keeps its reference to `session`.
int keep_new_session(SSL* ssl, SSL_SESSION* session) {
  Resumption* resumption = resumption_of(ssl);
  if (resumption == nullptr || SSL_SESSION_is_resumable(session) != 1) return 0;
  if (SslSessionPtr copy = copy_of(session))
    resumption->store->keep(resumption->key, std::move(copy));
  return 0;
}

// A session the server declined is dropped at once, rather than offered again by every new
// connection until a new one arrives (a server without tickets or cache never sends one).
void on_handshake_event(const SSL* ssl, int where, int /*ret*/) {
  if ((where & SSL_CB_HANDSHAKE_DONE) == 0) return;
  Resumption* resumption = resumption_of(ssl);
  if (resumption == nullptr || !resumption->offered) return;
  if (SSL_session_reused(ssl) != 1)
    resumption->store->forget(resumption->key, resumption->offered.get());
  resumption->offered.reset();
}

bool is_ip_literal(const std::string& name) {
  std::array<unsigned char, sizeof(in6_addr)> address{};
  return inet_pton(AF_INET, name.c_str(), address.data()) == 1 ||
         inet_pton(AF_INET6, name.c_str(), address.data()) == 1;
}

// The CAs backends' certificates must chain to: the configured bundle, or the system's.
bool trust(SSL_CTX* context, const std::string& ca_file, std::string& error) {
  if (ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(context) == 1) return true;
    error = "cannot load the system's trusted CAs: " + take_openssl_errors();
    return false;
  }
  X509_STORE* store = load_ca_store(ca_file, "", error);
  if (store == nullptr) return false;
  SSL_CTX_set_cert_store(context, store);  // takes it over
  return true;
}

bool use_client_certificate(SSL_CTX* context, const config::UpstreamTls& tls, std::string& error) {
  const std::optional<CertificateChain> chain =
      load_certificate_chain(tls.cert, tls.key, tls.passphrase, error);
  if (!chain) return false;
  const auto free_stack = [](STACK_OF(X509) * stack) { sk_X509_free(stack); };  // a macro
  const std::unique_ptr<STACK_OF(X509), decltype(free_stack)> intermediates(sk_X509_new_null(),
                                                                            free_stack);
  bool ok = intermediates != nullptr;
  for (const X509Ptr& certificate : chain->intermediates)
    ok = ok && sk_X509_push(intermediates.get(), certificate.get()) > 0;
  // SSL_CTX_use_cert_and_key takes its own references to the certificates and the key.
  ok = ok && SSL_CTX_use_cert_and_key(context, chain->leaf.get(), chain->key.get(),
                                      intermediates.get(), 1) == 1;
  if (!ok) error = tls.cert + ": " + take_openssl_errors("cannot use the certificate");
  return ok;
}

}  // namespace

struct ClientContext::State {
  SslCtxPtr context;
  std::string server_name;
  bool verify = true;
  std::shared_ptr<SessionStore> sessions;  // null when session reuse is off
};

ClientContext::ClientContext(std::unique_ptr<State> state) : state_(std::move(state)) {}
ClientContext::~ClientContext() = default;

bool ClientContext::negotiated_h2(const SSL* ssl) noexcept {
  const unsigned char* chosen = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl, &chosen, &length);
  return length == 2 && chosen[0] == 'h' && chosen[1] == '2';
}

std::shared_ptr<const ClientContext> ClientContext::build(const config::UpstreamTls& tls,
                                                          AlpnOffer alpn, std::string& error) {
  auto state = std::make_unique<State>();
  state->context.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* context = state->context.get();
  if (context == nullptr) {
    error = "cannot create a TLS client context: " + take_openssl_errors();
    return nullptr;
  }
  if (!apply_policy(context, tls.policy, error)) return nullptr;
  state->verify = tls.verify;
  if (tls.verify) {
    if (!trust(context, tls.ca, error)) return nullptr;
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
  }
  if (!tls.cert.empty() && !use_client_certificate(context, tls, error)) return nullptr;
  // Unlike the rest of OpenSSL, 0 is success here.
  const std::string_view wire = alpn_wire(alpn);
  if (SSL_CTX_set_alpn_protos(context, reinterpret_cast<const unsigned char*>(wire.data()),
                              static_cast<unsigned>(wire.size())) != 0) {
    error = "cannot set ALPN: " + take_openssl_errors();
    return nullptr;
  }
  if (tls.session_reuse) {
    // OpenSSL's internal cache is keyed by session id, useless to a client: the store keeps them.
    SSL_CTX_set_session_cache_mode(context,
                                   SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(context, keep_new_session);
    SSL_CTX_set_info_callback(context, on_handshake_event);
    state->sessions = std::make_shared<SessionStore>();
  } else {
    SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
  }
  state->server_name = tls.server_name;
  return std::shared_ptr<const ClientContext>(new ClientContext(std::move(state)));
}

SslPtr ClientContext::new_ssl(std::string_view server_name, std::string_view endpoint_key) const {
  // "[::1]" as a host is the address ::1.
  if (server_name.size() > 2 && server_name.front() == '[' && server_name.back() == ']')
    server_name = server_name.substr(1, server_name.size() - 2);
  const std::string name(server_name);
  // OpenSSL takes C strings: a name with a NUL in it would be checked and sent cut short.
  if (name.find('\0') != std::string::npos) return nullptr;
  SslPtr ssl(SSL_new(state_->context.get()));
  if (!ssl) return nullptr;
  SSL_set_connect_state(ssl.get());
  const bool ip = is_ip_literal(name);
  // RFC 6066 §3: SNI carries host names only, never an address.
  if (!name.empty() && !ip && SSL_set_tlsext_host_name(ssl.get(), name.c_str()) != 1)
    return nullptr;
  if (state_->verify && !name.empty()) {
    SSL_set_hostflags(ssl.get(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), name.c_str())
                      : SSL_set1_host(ssl.get(), name.c_str());
    if (ok != 1) return nullptr;
  }
  if (state_->sessions) {
    // Keyed by name too: a session verified for one name must not resume for another.
    auto resumption =
        std::make_unique<Resumption>(Resumption{.store = state_->sessions,
                                                .key = std::string(endpoint_key) + ' ' + name,
                                                .offered = nullptr});
    if (SslSessionPtr kept = state_->sessions->find(resumption->key)) {
      const SslSessionPtr copy = copy_of(kept.get());
      if (copy && SSL_set_session(ssl.get(), copy.get()) == 1)
        resumption->offered = std::move(kept);
    }
    if (SSL_set_ex_data(ssl.get(), resumption_index(), resumption.get()) != 1) return nullptr;
    std::ignore = resumption.release();  // free_resumption deletes it with the SSL
  }
  return ssl;
}

const std::string& ClientContext::server_name() const noexcept {
  return state_->server_name;
}

std::string ClientContext::verify_failure(SSL* ssl) {
  const long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return {};
  std::string text = "certificate verify failed: ";
  text += X509_verify_cert_error_string(result);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (result == X509_V_ERR_HOSTNAME_MISMATCH) {
    if (const char* host = X509_VERIFY_PARAM_get0_host(param, 0); host != nullptr)
      text += std::string(" (expected ") + host + ")";
  } else if (result == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    if (char* ip = X509_VERIFY_PARAM_get1_ip_asc(param); ip != nullptr) {
      text += std::string(" (expected ") + ip + ")";
      OPENSSL_free(ip);
    }
  }
  return text;
}

std::string ClientContext::handshake_failure(SSL* ssl, std::error_code ec) {
  if (ec != std::errc::protocol_error) return ec.message();
  std::string reason = verify_failure(ssl);
  return reason.empty() ? take_openssl_errors("the handshake failed") : reason;
}

}  // namespace bulwark::net::tls
