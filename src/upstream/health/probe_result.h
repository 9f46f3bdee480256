#pragma once
// The outcome of one health check of one endpoint.

#include <string>
#include <utility>

namespace bulwark::upstream::health {

struct ProbeResult {
  bool passed = false;
  std::string detail;  // why it failed, for the log ("connection refused", "status 503")

  static ProbeResult pass() { return {true, {}}; }
  static ProbeResult fail(std::string why) { return {false, std::move(why)}; }
};

}  // namespace bulwark::upstream::health
