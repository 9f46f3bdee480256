#pragma once
// Turns the configuration of a filter (config::FilterSpec) into its factory. The one place that
// knows every configurable filter; filters themselves never know each other.

#include <memory>

#include "config/config.h"
#include "proxy/filter/filter.h"

namespace bulwark::proxy {

std::unique_ptr<FilterFactory> make_filter_factory(const config::FilterSpec& spec,
                                                   const config::Config& config);

}  // namespace bulwark::proxy
