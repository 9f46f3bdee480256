// filters: the filters a virtual host or route runs, inline or by name.

#include <fmt/format.h>

#include "config/schema.h"

namespace bulwark::config::schema {

void read_filter_list(YamlReader& reader, const Value& value, const Config& /*config*/,
                      std::vector<FilterSpec>& /*filters*/) {
  reader.error(value.mark, "filters: not available yet");
}

void read_filter_definitions(YamlReader& reader, const Value& value, Config& /*config*/) {
  reader.error(value.mark, "filters: not available yet");
}

}  // namespace bulwark::config::schema
