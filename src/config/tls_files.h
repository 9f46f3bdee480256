#pragma once
// Opens every certificate, key, CA bundle, CRL and OCSP response a configuration names, and
// builds its TLS contexts as the server will, so that a bad file is a load error pointing at the
// `tls:` block that names it ("expired", "key does not match", ...) instead of a failed start or
// a failed handshake later.

#include "config/config.h"
#include "config/yaml_reader.h"

namespace bulwark::config {

void check_tls_files(YamlReader& reader, const Config& config);

}  // namespace bulwark::config
