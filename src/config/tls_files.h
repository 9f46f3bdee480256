#pragma once
// Opens every certificate, key, CA bundle, CRL and OCSP response a configuration names, and
// builds its TLS contexts as the server will, so that a bad file is a load error pointing at the
// `tls:` block that names it ("expired", "key does not match", ...) instead of a failed start or
// a failed handshake later. Part of loading a file (run, validate, reload), not of reading YAML:
// the schema's own tests name files that need not exist.

#include <vector>

#include "config/config.h"
#include "config/diagnostic.h"

namespace bulwark::config {

std::vector<Diagnostic> check_tls_files(const Config& config);

}  // namespace bulwark::config
