// obfuscation: what keeps responses from revealing the backends; error_pages: our own pages.

#include "config/schema.h"

namespace bulwark::config::schema {

void read_obfuscation(YamlReader& reader, const Value& value, Obfuscation& /*obfuscation*/) {
  reader.error(value.mark, "obfuscation: not available yet");
}

void read_error_pages(YamlReader& reader, const Value& value, Config& /*config*/) {
  reader.error(value.mark, "error_pages: not available yet");
}

}  // namespace bulwark::config::schema
