#pragma once
// What the config tests ask of the loader: a file that loads, or the exact diagnostics of one
// that does not (each as "t.yaml:LINE:COLUMN: message", with its hint).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"

namespace bulwark::config::test_support {

// The diagnostics of a file that must not load.
inline std::vector<std::string> errors_of(const std::string& yaml) {
  const LoadResult result = load_config_string(yaml, "t.yaml");
  EXPECT_EQ(result.config, nullptr);
  std::vector<std::string> lines;
  lines.reserve(result.errors.size());
  for (const Diagnostic& d : result.errors)
    lines.push_back(d.format());
  return lines;
}

// A file that must load; each diagnostic is a test failure.
inline ConfigPtr load_ok(const std::string& yaml) {
  LoadResult result = load_config_string(yaml, "t.yaml");
  for (const Diagnostic& d : result.errors)
    ADD_FAILURE() << d.format();
  return result.config;
}

}  // namespace bulwark::config::test_support
