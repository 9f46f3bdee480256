#include "proxy/tls_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

namespace bulwark::proxy {
namespace {

net::tls::AlpnOffer alpn_offer(config::UpstreamProtocol protocol) noexcept {
  switch (protocol) {
    case config::UpstreamProtocol::kH2:
      return net::tls::AlpnOffer::kH2;
    case config::UpstreamProtocol::kAuto:
      return net::tls::AlpnOffer::kH2OrHttp11;
    default:
      return net::tls::AlpnOffer::kHttp11;
  }
}

}  // namespace

const std::vector<std::string>& TlsStore::alpn_protocols(const config::Listener& listener) {
  static const std::vector<std::string> with_h2{"h2", "http/1.1"};
  static const std::vector<std::string> http1_only{"http/1.1"};
  return listener.http2.enabled ? with_h2 : http1_only;
}

TlsStore::FileStamp TlsStore::stamp(const std::string& path) {
  std::error_code ec;
  FileStamp result{.path = path};
  result.modified = std::filesystem::last_write_time(path, ec);
  if (!ec) result.size = std::filesystem::file_size(path, ec);
  return result;
}

std::shared_ptr<net::tls::TicketKeys> TlsStore::ticket_keys_for(const config::Listener& listener) {
  if (!listener.tls || !listener.tls->resumption.tickets) return nullptr;
  const config::TlsResumption& resumption = listener.tls->resumption;
  auto& keys = ticket_keys_[{listener.name, resumption.ticket_key_rotation}];
  if (!keys) keys = std::make_shared<net::tls::TicketKeys>(resumption.ticket_key_rotation);
  return keys;
}

std::shared_ptr<const TlsContexts> TlsStore::contexts_for(const config::ConfigPtr& config,
                                                          std::string& error) {
  const bool same_config = config == built_for_ && built_;
  // Looked at before the files are read: a file written while they are read counts as a change
  // still to come.
  std::vector<FileStamp> seen;
  if (same_config) {
    seen = current_stamps();
    if (seen == stamps_) return built_;
  }
  // A file that changed into something unusable is reported once, not at every look: the
  // running contexts stay, and the next change to a file is tried again (certbot writes the key
  // and then the certificate: the first look may see a key that matches nothing yet).
  const auto give_up_on_change = [&] {
    if (same_config) stamps_ = std::move(seen);
  };
  auto contexts = std::make_shared<TlsContexts>();
  std::vector<FileStamp> stamps;
  for (const config::Listener& listener : config->listeners) {
    auto& context = contexts->listeners.emplace_back();
    if (!listener.tls) continue;
    std::string reason;
    context = net::tls::ServerContext::build(*listener.tls, alpn_protocols(listener),
                                             ticket_keys_for(listener), reason);
    if (!context) {
      error = fmt::format("listener '{}': {}", listener.name, reason);
      give_up_on_change();
      return nullptr;
    }
    // OCSP responses change daily: refresh_ocsp swaps them in without a rebuild.
    const auto is_staple = [&listener](const std::string& file) {
      return std::any_of(
          listener.tls->certificates.begin(), listener.tls->certificates.end(),
          [&file](const config::TlsCertificate& c) { return c.ocsp_response == file; });
    };
    for (const std::string& file : context->files()) {
      if (!is_staple(file)) stamps.push_back(stamp(file));
    }
  }
  for (const config::Cluster& cluster : config->clusters) {
    auto& context = contexts->clusters.emplace_back();
    if (!cluster.tls) continue;
    std::string reason;
    context = net::tls::ClientContext::build(*cluster.tls, alpn_offer(cluster.protocol), reason);
    if (!context) {
      error = fmt::format("cluster '{}': {}", cluster.name, reason);
      give_up_on_change();
      return nullptr;
    }
    for (const std::string* file :
         {&cluster.tls->ca, &cluster.tls->cert, &cluster.tls->key, &cluster.tls->passphrase.file}) {
      if (!file->empty()) stamps.push_back(stamp(*file));
    }
  }
  built_for_ = config;
  built_ = std::move(contexts);
  stamps_ = std::move(stamps);
  return built_;
}

std::vector<TlsStore::FileStamp> TlsStore::current_stamps() const {
  std::vector<FileStamp> now;
  now.reserve(stamps_.size());
  for (const FileStamp& old : stamps_)
    now.push_back(stamp(old.path));
  return now;
}

bool TlsStore::files_changed() const {
  return current_stamps() != stamps_;
}

void TlsStore::refresh_ocsp() const {
  if (!built_) return;
  for (const auto& context : built_->listeners) {
    if (context) context->refresh_ocsp();
  }
}

}  // namespace bulwark::proxy
