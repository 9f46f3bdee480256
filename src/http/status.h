#pragma once
#include <cstdint>
#include <string_view>

namespace bulwark::http {

// The reason phrase bulwark writes for a status code ("" for codes it does not know; RFC 9112
// allows an empty reason).
std::string_view reason_phrase(std::uint16_t status) noexcept;

}  // namespace bulwark::http
