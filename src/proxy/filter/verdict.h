#pragma once
#include <cstdint>

namespace bulwark::proxy {

// What a filter hook tells the chain (DESIGN.md §3a). Never a bare bool.
enum class Verdict : std::uint8_t {
  kContinue,  // hand the event to the next filter
  kPause,     // stop here; the filter calls Context::resume() later, on the same worker
  kBuffer,    // stop and accumulate the body (within the stream's limit), then deliver it whole
  kRespond,   // only Context::respond() returns this: a local reply replaces the upstream one
};

}  // namespace bulwark::proxy
