#include "net/tls/server_context.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "net/tls/certificate.h"
#include "net/tls/ticket_keys.h"
#include "net/tls/tls_policy.h"

namespace bulwark::net::tls {
namespace {

using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>>;
struct NamesFree {
  void operator()(STACK_OF(X509_NAME) * names) const noexcept {
    sk_X509_NAME_pop_free(names, X509_NAME_free);
  }
};
using X509NamesPtr = std::unique_ptr<STACK_OF(X509_NAME), NamesFree>;

using FileStat = struct stat;

// One certificate's OCSP response. Workers read `der` at handshakes; the main loop replaces it.
struct Staple {
  std::string file;
  std::atomic<std::shared_ptr<const std::string>> der;
  // What the file looked like when last read (main loop only).
  FileStat seen{};
};

// What the ALPN and OCSP callbacks read, on whichever context SNI chose. Every context holds a
// reference (ex_data), so that a connection that outlives its ServerContext can still finish.
struct Handshake {
  std::string alpn;  // wire format: length-prefixed names, ours in preference order
  std::unordered_map<const X509*, std::shared_ptr<Staple>> staples;  // by leaf
};

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};
using ContextsByName = std::unordered_map<std::string, SSL_CTX*, StringHash, std::equal_to<>>;

// The name to context maps of the SNI callback, which runs on the default context; that context
// holds it (ex_data), and it holds the others, so whichever outlives the ServerContext keeps them.
struct Names {
  std::vector<SslCtxPtr> others;  // references to every context but the default
  ContextsByName exact;           // "www.example.com"
  ContextsByName wildcard;        // "example.com" for "*.example.com"
};

template <class T>
void free_ex_data(void* /*parent*/, void* pointer, CRYPTO_EX_DATA* /*data*/, int /*index*/,
                  long /*argl*/, void* /*argp*/) {
  delete static_cast<T*>(pointer);
}

int handshake_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr,
                                                    &free_ex_data<std::shared_ptr<Handshake>>);
  return index;
}

int names_index() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_ex_data<Names>);
  return index;
}

const Handshake* handshake_of(SSL* ssl) {
  const auto* shared = static_cast<const std::shared_ptr<Handshake>*>(
      SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), handshake_index()));
  return shared == nullptr ? nullptr : shared->get();
}

int servername_callback(SSL* ssl, int* /*alert*/, void* /*arg*/) {
  const char* requested = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const auto* names =
      static_cast<const Names*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), names_index()));
  if (requested == nullptr || names == nullptr) return SSL_TLSEXT_ERR_OK;  // the default
  std::array<char, 256> buffer{};
  std::size_t length = std::strlen(requested);
  if (length > 0 && requested[length - 1] == '.') --length;  // a fully qualified name
  if (length >= buffer.size()) return SSL_TLSEXT_ERR_OK;
  std::transform(requested, requested + length, buffer.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  const std::string_view name(buffer.data(), length);
  SSL_CTX* chosen = nullptr;
  if (const auto exact = names->exact.find(name); exact != names->exact.end()) {
    chosen = exact->second;
  } else if (const std::size_t dot = name.find('.'); dot != 0 && dot != std::string_view::npos) {
    // A wildcard covers exactly one label: "*.example.com" serves "a.example.com" only.
    if (const auto wild = names->wildcard.find(name.substr(dot + 1));
        wild != names->wildcard.end()) {
      chosen = wild->second;
    }
  }
  if (chosen != nullptr && chosen != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, chosen);
  return SSL_TLSEXT_ERR_OK;
}

// Server preference: the first of ours the client offers; none in common: no ALPN at all.
int alpn_callback(SSL* ssl, const unsigned char** out, unsigned char* out_length,
                  const unsigned char* in, unsigned int in_length, void* /*arg*/) {
  const Handshake* handshake = handshake_of(ssl);
  if (handshake == nullptr) return SSL_TLSEXT_ERR_NOACK;
  const std::string_view ours = handshake->alpn;
  const std::string_view theirs(reinterpret_cast<const char*>(in), in_length);
  for (std::size_t i = 0; i < ours.size(); i += 1 + static_cast<unsigned char>(ours[i])) {
    const std::string_view protocol = ours.substr(i, 1 + static_cast<unsigned char>(ours[i]));
    for (std::size_t j = 0; j < theirs.size(); j += 1 + static_cast<unsigned char>(theirs[j])) {
      if (theirs.substr(j, 1 + static_cast<unsigned char>(theirs[j])) == protocol) {
        *out = in + j + 1;
        *out_length = static_cast<unsigned char>(theirs[j]);
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

int status_callback(SSL* ssl, void* /*arg*/) {
  const Handshake* handshake = handshake_of(ssl);
  const X509* leaf = SSL_get_certificate(ssl);
  if (handshake == nullptr || leaf == nullptr) return SSL_TLSEXT_ERR_NOACK;
  const auto found = handshake->staples.find(leaf);
  if (found == handshake->staples.end()) return SSL_TLSEXT_ERR_NOACK;
  const std::shared_ptr<const std::string> der = found->second->der.load();
  if (der == nullptr || der->empty()) return SSL_TLSEXT_ERR_NOACK;
  // OpenSSL takes the copy and frees it with the connection.
  auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(der->size()));
  if (copy == nullptr) return SSL_TLSEXT_ERR_NOACK;
  std::ranges::copy(*der, copy);
  SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(der->size()));
  return SSL_TLSEXT_ERR_OK;
}

// Optional client certificates: a chain that does not verify still completes the handshake, and
// SSL_get_verify_result says why it did not.
int accept_any_verify_callback(int /*preverified*/, X509_STORE_CTX* /*context*/) {
  return 1;
}

// The staple in `file`, or nullptr with `error` = "FILE: reason".
std::shared_ptr<const std::string> read_staple(const std::string& file, FileStat& seen,
                                               std::string& error) {
  if (::stat(file.c_str(), &seen) != 0) {
    error = file + ": cannot be read (" + std::strerror(errno) + ")";
    return nullptr;
  }
  std::ifstream in(file, std::ios::binary);
  auto der = std::make_shared<std::string>(std::istreambuf_iterator<char>(in),
                                           std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    error = file + ": cannot be read (" + std::strerror(errno) + ")";
    return nullptr;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(der->data());
  OCSP_RESPONSE* response = d2i_OCSP_RESPONSE(nullptr, &bytes, static_cast<long>(der->size()));
  if (response == nullptr) {
    ERR_clear_error();
    error = file + ": holds no DER OCSP response";
    return nullptr;
  }
  OCSP_RESPONSE_free(response);
  return der;
}

bool same_file(const FileStat& a, const FileStat& b) {
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

bool alpn_wire(std::span<const std::string> protocols, std::string& wire, std::string& error) {
  for (const std::string& protocol : protocols) {
    if (protocol.empty() || protocol.size() > 255) {
      error = "ALPN protocol \"" + protocol + "\" must be 1 to 255 bytes long";
      return false;
    }
    wire += static_cast<char>(protocol.size());
    wire += protocol;
  }
  return true;
}

// Sessions and tickets are only resumed under the same settings: a listener with other
// certificates or client-certificate rules (sharing the ticket keys) does not accept them.
std::array<unsigned char, SSL_MAX_SID_CTX_LENGTH> session_id_context(
    const config::ListenerTls& tls) {
  std::ostringstream settings;
  for (const config::TlsCertificate& certificate : tls.certificates) {
    settings << certificate.cert << '\n' << certificate.key << '\n';
  }
  settings << static_cast<int>(tls.client_certificates.mode) << '\n'
           << tls.client_certificates.ca << '\n'
           << tls.client_certificates.crl << '\n'
           << tls.client_certificates.verify_depth;
  const std::string text = settings.str();
  std::array<unsigned char, SSL_MAX_SID_CTX_LENGTH> digest{};
  static_assert(SSL_MAX_SID_CTX_LENGTH == 32, "a SHA-256 fills the session id context");
  EVP_Digest(text.data(), text.size(), digest.data(), nullptr, EVP_sha256(), nullptr);
  return digest;
}

}  // namespace

struct ServerContext::State {
  std::vector<SslCtxPtr> contexts;  // one per set of names; [default_index] is the default
  std::size_t default_index = 0;
  std::shared_ptr<Handshake> handshake;
  std::shared_ptr<TicketKeys> ticket_keys;
  std::vector<std::string> files;
};

namespace {

// One context per set of names, with the certificates (RSA, ECDSA, ...) for them.
struct Group {
  std::vector<std::string> names;  // sorted
  SslCtxPtr context;
  std::vector<int> key_types;
};

bool add_certificate(Group& group, CertificateChain& chain, const config::TlsCertificate& config,
                     std::string& error) {
  const int key_type = EVP_PKEY_get_base_id(chain.key.get());
  if (std::ranges::find(group.key_types, key_type) != group.key_types.end()) {
    error = config.cert +
            ": another certificate for the same names has the same key type; one per type";
    return false;
  }
  group.key_types.push_back(key_type);
  STACK_OF(X509)* intermediates = sk_X509_new_null();
  for (const X509Ptr& intermediate : chain.intermediates) {
    sk_X509_push(intermediates, intermediate.get());
  }
  // OpenSSL keeps its own references to the chain; the stack is ours to free.
  const bool used = SSL_CTX_use_cert_and_key(group.context.get(), chain.leaf.get(), chain.key.get(),
                                             intermediates, 1) == 1;
  sk_X509_free(intermediates);
  if (!used) error = config.cert + ": " + take_openssl_errors("OpenSSL refused the certificate");
  return used;
}

bool configure_client_certificates(SSL_CTX* context, const config::ClientCertificates& clients,
                                   X509_STORE* store, const STACK_OF(X509_NAME) * ca_names,
                                   std::string& error) {
  using Mode = config::ClientCertificates::Mode;
  if (clients.mode == Mode::kOff) {
    SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nullptr);
    return true;
  }
  if (SSL_CTX_set1_verify_cert_store(context, store) != 1) {
    error = clients.ca + ": " + take_openssl_errors();
    return false;
  }
  SSL_CTX_set_client_CA_list(context, SSL_dup_CA_list(ca_names));
  SSL_CTX_set_verify_depth(context, clients.verify_depth);
  if (clients.mode == Mode::kRequired) {
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    SSL_CTX_set_verify(context, SSL_VERIFY_PEER, &accept_any_verify_callback);
  }
  return true;
}

}  // namespace

std::shared_ptr<const ServerContext> ServerContext::build(const config::ListenerTls& tls,
                                                          std::span<const std::string> alpn,
                                                          std::shared_ptr<TicketKeys> ticket_keys,
                                                          std::string& error) {
  if (tls.certificates.empty()) {
    error = "a TLS listener needs at least one certificate";
    return nullptr;
  }
  auto state = std::make_unique<State>();
  state->handshake = std::make_shared<Handshake>();
  if (!alpn_wire(alpn, state->handshake->alpn, error)) return nullptr;
  state->ticket_keys = std::move(ticket_keys);

  std::vector<Group> groups;
  std::optional<std::size_t> default_group;  // else the first
  for (const config::TlsCertificate& certificate : tls.certificates) {
    std::optional<CertificateChain> chain =
        load_certificate_chain(certificate.cert, certificate.key, certificate.passphrase, error);
    if (!chain) return nullptr;
    state->files.push_back(certificate.cert);
    state->files.push_back(certificate.key);
    if (!certificate.passphrase.file.empty()) state->files.push_back(certificate.passphrase.file);
    std::vector<std::string> names = chain->names;
    std::ranges::sort(names);
    auto group = std::ranges::find(groups, names, &Group::names);
    if (group == groups.end()) {
      SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
      if (context == nullptr) {
        error = take_openssl_errors("cannot make an SSL_CTX");
        return nullptr;
      }
      groups.push_back({.names = std::move(names), .context = std::move(context)});
      group = std::prev(groups.end());
    }
    if (certificate.default_certificate && !default_group) {
      default_group = static_cast<std::size_t>(group - groups.begin());
    }
    if (!add_certificate(*group, *chain, certificate, error)) return nullptr;
    if (!certificate.ocsp_response.empty()) {
      auto staple = std::make_shared<Staple>();
      staple->file = certificate.ocsp_response;
      std::shared_ptr<const std::string> der = read_staple(staple->file, staple->seen, error);
      if (der == nullptr) return nullptr;
      staple->der.store(std::move(der));
      state->handshake->staples.emplace(chain->leaf.get(), std::move(staple));
      state->files.push_back(certificate.ocsp_response);
    }
  }

  using Mode = config::ClientCertificates::Mode;
  const config::ClientCertificates& clients = tls.client_certificates;
  X509StorePtr store;
  X509NamesPtr ca_names;
  if (clients.mode != Mode::kOff) {
    store.reset(load_ca_store(clients.ca, clients.crl, error));
    if (store == nullptr) return nullptr;
    ca_names.reset(SSL_load_client_CA_file(clients.ca.c_str()));
    ERR_clear_error();
    if (ca_names == nullptr) {
      error = clients.ca + ": holds no PEM certificate";
      return nullptr;
    }
    state->files.push_back(clients.ca);
    if (!clients.crl.empty()) state->files.push_back(clients.crl);
  }

  const config::TlsResumption& resumption = tls.resumption;
  const auto sid_context = session_id_context(tls);
  for (Group& group : groups) {
    SSL_CTX* context = group.context.get();
    if (!apply_policy(context, tls.policy, error)) return nullptr;
    if (!configure_client_certificates(context, clients, store.get(), ca_names.get(), error)) {
      return nullptr;
    }
    SSL_CTX_set_session_id_context(context, sid_context.data(), sid_context.size());
    // The cache of the default context serves all: OpenSSL keeps sessions in the context a
    // connection started on, whichever certificate SNI chose.
    SSL_CTX_set_session_cache_mode(
        context, resumption.session_cache ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_OFF);
    SSL_CTX_sess_set_cache_size(context, static_cast<long>(resumption.session_cache_size));
    SSL_CTX_set_timeout(
        context, static_cast<long>(
                     std::chrono::ceil<std::chrono::seconds>(resumption.session_lifetime).count()));
    if (!resumption.tickets) {
      // TLS 1.3 then still sends tickets naming a cached session, unless the cache is off too.
      SSL_CTX_set_options(context, SSL_OP_NO_TICKET);
      if (!resumption.session_cache) SSL_CTX_set_num_tickets(context, 0);
    } else if (state->ticket_keys != nullptr) {
      state->ticket_keys->install(context);
    }
    if (!state->handshake->alpn.empty())
      SSL_CTX_set_alpn_select_cb(context, &alpn_callback, nullptr);
    if (!state->handshake->staples.empty()) {
      SSL_CTX_set_tlsext_status_cb(context, &status_callback);
    }
    SSL_CTX_set_tlsext_servername_callback(context, &servername_callback);
    SSL_CTX_set_ex_data(context, handshake_index(),
                        new std::shared_ptr<Handshake>(state->handshake));
  }

  auto names = std::make_unique<Names>();
  const std::size_t default_index = default_group.value_or(0);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    SSL_CTX* context = groups[i].context.get();
    if (i != default_index) {
      SSL_CTX_up_ref(context);
      names->others.emplace_back(context);
    }
    for (const std::string& name : groups[i].names) {
      if (name.starts_with("*.")) {
        names->wildcard.emplace(name.substr(2), context);
      } else {
        names->exact.emplace(name, context);
      }
    }
  }
  SSL_CTX_set_ex_data(groups[default_index].context.get(), names_index(), names.release());

  for (Group& group : groups)
    state->contexts.push_back(std::move(group.context));
  state->default_index = default_index;
  return std::shared_ptr<const ServerContext>(new ServerContext(std::move(state)));
}

ServerContext::ServerContext(std::unique_ptr<State> state) : state_(std::move(state)) {}
ServerContext::~ServerContext() = default;

SslPtr ServerContext::new_ssl() const {
  SslPtr ssl(SSL_new(state_->contexts[state_->default_index].get()));
  // SSL_do_handshake needs to know the side; the caller may not call SSL_accept.
  if (ssl != nullptr) SSL_set_accept_state(ssl.get());
  return ssl;
}

const std::vector<std::string>& ServerContext::files() const noexcept {
  return state_->files;
}

void ServerContext::refresh_ocsp() const {
  for (const auto& [leaf, staple] : state_->handshake->staples) {
    FileStat now{};
    if (::stat(staple->file.c_str(), &now) != 0 || same_file(now, staple->seen)) continue;
    std::string error;
    // A response that does not parse (a file being written, say) leaves the old one stapled.
    if (std::shared_ptr<const std::string> der = read_staple(staple->file, now, error)) {
      staple->der.store(std::move(der));
      staple->seen = now;
    }
  }
}

}  // namespace bulwark::net::tls
