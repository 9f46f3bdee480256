#pragma once
// Completion tokens of the data path: errors come back as values (no exceptions on the data
// path, DESIGN.md §3a).

#include <asio/buffer.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <string_view>

#include "core/buffer.h"

namespace bulwark::proxy {

inline constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

inline asio::mutable_buffer to_asio(std::span<char> bytes) noexcept {
  return {bytes.data(), bytes.size()};
}

inline std::string_view view(std::span<char> bytes) noexcept {
  return {bytes.data(), bytes.size()};
}

}  // namespace bulwark::proxy
