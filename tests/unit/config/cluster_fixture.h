#pragma once
// A configuration around a list of clusters, for the tests of cluster settings: their YAML
// (indented for the list) starts on line 2; one listener's catch-all route proxies to cluster `a`.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"
#include "match_fixture.h"

namespace bulwark::config {

// `file` names the configuration in messages; relative paths in it start at its directory.
inline LoadResult load_clusters(std::string_view clusters, const std::string& file = "t.yaml") {
  const std::string yaml = "clusters:\n" + std::string(clusters) + R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: a }
)";
  return load_config_string(yaml, file);
}

// The errors of `clusters`, formatted; a failure when they load.
inline std::vector<std::string> cluster_errors(std::string_view clusters) {
  const LoadResult result = load_clusters(clusters);
  EXPECT_EQ(result.config, nullptr);
  return formatted(result);
}

// The configuration of `clusters`; a failure for each error.
inline ConfigPtr load_clusters_ok(std::string_view clusters, const std::string& file = "t.yaml") {
  const LoadResult result = load_clusters(clusters, file);
  for (const std::string& error : formatted(result))
    ADD_FAILURE() << error;
  return result.config;
}

}  // namespace bulwark::config
