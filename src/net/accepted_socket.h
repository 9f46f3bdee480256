#pragma once
// Tells Asio what it cannot know about a socket that accept() just returned.
//
// Asio treats every descriptor it did not open itself as possibly dup()ed, and removes it from
// epoll with an explicit epoll_ctl(EPOLL_CTL_DEL) before closing it: one syscall per connection
// that close() would have done for free. A descriptor fresh from accept() has no duplicates.

#include "core/io.h"

namespace bulwark::net {

void mark_freshly_accepted(core::TcpSocket& socket) noexcept;

}  // namespace bulwark::net
