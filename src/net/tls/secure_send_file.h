#pragma once
// send_file (net/send_file.h) for a connection that speaks TLS. With kernel TLS the kernel
// encrypts and SSL_sendfile keeps the page-cache path; without it (the usual case: OpenSSL
// encrypts in user space) the file is read in record-sized batches and written through the
// transport, which is what nginx does too.

#include <cstdint>
#include <functional>
#include <span>

#include "net/send_file.h"
#include "net/tls/transport.h"

namespace bulwark::net {

// Same contract as send_file: `prefix` and then `length` bytes of `fd` from `offset`;
// `before_wait` re-arms a write deadline before each write that may wait.
core::Task<SendFileResult> send_file_secure(Transport& transport,
                                            std::span<const asio::const_buffer> prefix, int fd,
                                            std::uint64_t offset, std::uint64_t length,
                                            std::function<void()> before_wait = {});

}  // namespace bulwark::net
