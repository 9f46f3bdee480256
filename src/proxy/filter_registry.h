#pragma once
// Turns the configuration of a filter (config::FilterSpec) into its factory. The one place that
// knows every configurable filter; filters themselves never know each other.

#include <memory>
#include <string>

#include "cache/http_cache.h"
#include "config/config.h"
#include "proxy/filter/filter.h"

namespace bulwark::proxy {

// nullptr with `error` set when the settings do not make a filter. The loader refuses such
// settings, so only a configuration built in code gets here with them.
// `cache` is the storage of `cache` filters.
std::unique_ptr<FilterFactory> make_filter_factory(const config::FilterSpec& spec,
                                                   const config::Config& config,
                                                   const std::shared_ptr<cache::HttpCache>& cache,
                                                   std::string& error);

// The built-in obfuscation filter (config.obfuscation), which knows every backend by the
// addresses of all clusters and the Host values routes send upstream.
std::unique_ptr<FilterFactory> make_obfuscation_factory(const config::Config& config);

}  // namespace bulwark::proxy
