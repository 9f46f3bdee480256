#pragma once
// A configuration around a list of routes, for the tests of routes (match, actions): their YAML
// (indented for the list) starts on line 7, under one listener and one "*" virtual host.

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.h"

namespace bulwark::config {

inline LoadResult load_routes(std::string_view routes) {
  const std::string yaml = std::string(R"(listeners:
  - name: public
    listen: 127.0.0.1:8080
    virtual_hosts:
      - domains: ["*"]
        routes:
)") + std::string(routes) +
                           R"(clusters:
  - name: demo
    endpoints: [127.0.0.1:8081]
)";
  return load_config_string(yaml, "t.yaml");
}

// Each diagnostic as `bulwark validate` prints it (hint included).
inline std::vector<std::string> formatted(const LoadResult& result) {
  std::vector<std::string> lines;
  lines.reserve(result.errors.size());
  for (const Diagnostic& d : result.errors)
    lines.push_back(d.format());
  return lines;
}

}  // namespace bulwark::config
