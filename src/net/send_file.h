#pragma once
// Sends part of an open file to a socket with sendfile(2): the bytes go from the page cache to the
// socket without passing through user space. Tries first and waits for the socket only when its
// buffer is full, so a response that fits costs two system calls: one for the bytes that precede
// the file (a response head), sent with MSG_MORE so that they share TCP segments with the file's
// first bytes, and one sendfile.

#include <cstdint>
#include <functional>
#include <span>
#include <system_error>

#include "core/io.h"

namespace bulwark::net {

struct SendFileResult {
  std::uint64_t sent = 0;  // bytes of the file (not of the prefix) that went out
  // Empty when everything went out. Otherwise the socket's error (the peer went away,
  // operation_aborted when a deadline cancelled the wait), or std::errc::io_error when the file
  // ended before `length` bytes (it was truncated meanwhile) or could not be read.
  std::error_code error;
};

// At most this many buffers before the file.
inline constexpr std::size_t kMaxPrefixBuffers = 4;

// Sends `prefix` and then `length` bytes of `fd` from `offset`. `before_wait` runs each time the
// socket is full and the coroutine is about to wait until it drains: the place to (re)arm a write
// deadline, so that it bounds the time between two successful writes, not the whole transfer.
// After a couple of MiB sent without waiting (a fast reader of a big file), it yields to the
// other connections of the worker before going on.
core::Task<SendFileResult> send_file(core::TcpSocket& socket,
                                     std::span<const asio::const_buffer> prefix, int fd,
                                     std::uint64_t offset, std::uint64_t length,
                                     std::function<void()> before_wait = {});

}  // namespace bulwark::net
