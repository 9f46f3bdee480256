#pragma once
// The TLS contexts of the running configuration: one server context per TLS listener, one client
// context per cluster that speaks TLS to its backends. They outlive snapshots: a DNS refresh
// builds a new snapshot with the same contexts (no certificate is read again, no upstream session
// is lost). A reload, or a change to any file a context was read from, builds new ones; session
// ticket keys stay across both, so resumption survives them. Lives on the server's main loop.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "net/tls/client_context.h"
#include "net/tls/server_context.h"
#include "net/tls/ticket_keys.h"

namespace bulwark::proxy {

struct TlsContexts {
  // By index of Config::listeners and Config::clusters; null where TLS is off.
  std::vector<std::shared_ptr<const net::tls::ServerContext>> listeners;
  std::vector<std::shared_ptr<const net::tls::ClientContext>> clusters;
};

class TlsStore {
 public:
  // The protocols a listener offers by ALPN, in preference order: h2 first where enabled.
  static const std::vector<std::string>& alpn_protocols(const config::Listener& listener);

  // The contexts for `config`: those built last time when it is the same configuration and
  // none of their files changed, else new ones. nullptr with `error` naming the listener or
  // cluster, the file and the reason.
  std::shared_ptr<const TlsContexts> contexts_for(const config::ConfigPtr& config,
                                                  std::string& error);
  // Whether a file the current contexts were read from changed since they were built (checked
  // by size and modification time): listeners' certificates, keys, CA bundles and CRLs, and
  // clusters' CA bundles, certificates, keys and passphrase files. OCSP responses aside.
  [[nodiscard]] bool files_changed() const;
  // Re-reads changed OCSP responses into the current contexts.
  void refresh_ocsp() const;

 private:
  struct FileStamp {
    std::string path;
    std::filesystem::file_time_type modified;
    std::uintmax_t size = 0;
    bool operator==(const FileStamp&) const = default;
  };
  static FileStamp stamp(const std::string& path);
  // The files of stamps_ as they are now.
  [[nodiscard]] std::vector<FileStamp> current_stamps() const;
  std::shared_ptr<net::tls::TicketKeys> ticket_keys_for(const config::Listener& listener);

  config::ConfigPtr built_for_;
  std::shared_ptr<const TlsContexts> built_;
  std::vector<FileStamp> stamps_;
  // By listener name and rotation period.
  std::map<std::pair<std::string, std::chrono::milliseconds>, std::shared_ptr<net::tls::TicketKeys>>
      ticket_keys_;
};

}  // namespace bulwark::proxy
