#pragma once
// A configuration around a list of clusters, for the tests of cluster settings: their YAML
// (indented for the list) starts on line 2; one listener's catch-all route proxies to cluster `a`.

#include <string>
#include <string_view>

#include "config/loader.h"

namespace bulwark::config {

inline LoadResult load_clusters(std::string_view clusters) {
  const std::string yaml = "clusters:\n" + std::string(clusters) + R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
          - proxy: { cluster: a }
)";
  return load_config_string(yaml, "t.yaml");
}

}  // namespace bulwark::config
