#include "config/config.h"

#include <thread>

namespace bulwark::config {

unsigned Config::effective_workers() const noexcept {
  if (workers != 0) return workers;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

}  // namespace bulwark::config
