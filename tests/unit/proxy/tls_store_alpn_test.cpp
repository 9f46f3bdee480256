// Which protocols a TLS listener offers by ALPN.

#include <gtest/gtest.h>

#include "proxy/tls_store.h"

namespace bulwark::proxy {
namespace {

using Protocols = std::vector<std::string>;

TEST(TlsStoreAlpnTest, H2FirstWhenEnabled) {
  config::Listener listener;
  EXPECT_EQ(TlsStore::alpn_protocols(listener), (Protocols{"h2", "http/1.1"}));
  listener.http2.enabled = false;
  EXPECT_EQ(TlsStore::alpn_protocols(listener), (Protocols{"http/1.1"}));
}

}  // namespace
}  // namespace bulwark::proxy
