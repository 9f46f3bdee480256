#pragma once
// Builds FastCGI records byte by byte for the codec tests, including malformed ones.

#include <cstdint>
#include <string>
#include <string_view>

namespace bulwark::http::fastcgi::test {

inline std::string record(std::uint8_t type, std::string_view content, std::uint8_t padding = 0,
                          std::uint16_t request_id = 1, std::uint8_t version = 1) {
  std::string out;
  out.push_back(static_cast<char>(version));
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(request_id >> 8U));
  out.push_back(static_cast<char>(request_id & 0xFFU));
  out.push_back(static_cast<char>(content.size() >> 8U));
  out.push_back(static_cast<char>(content.size() & 0xFFU));
  out.push_back(static_cast<char>(padding));
  out.push_back('\0');
  out.append(content);
  out.append(padding, '\0');
  return out;
}

inline std::string stdout_record(std::string_view content, std::uint8_t padding = 0) {
  return record(6, content, padding);
}
inline std::string stderr_record(std::string_view content) {
  return record(7, content);
}
inline std::string end_request(std::uint32_t app_status = 0, std::uint8_t protocol_status = 0,
                               std::uint8_t padding = 0) {
  std::string body(8, '\0');
  body[0] = static_cast<char>(app_status >> 24U);
  body[1] = static_cast<char>((app_status >> 16U) & 0xFFU);
  body[2] = static_cast<char>((app_status >> 8U) & 0xFFU);
  body[3] = static_cast<char>(app_status & 0xFFU);
  body[4] = static_cast<char>(protocol_status);
  return record(3, body, padding);
}

}  // namespace bulwark::http::fastcgi::test
