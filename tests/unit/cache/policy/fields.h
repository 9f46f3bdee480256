#pragma once
// Header maps and message heads written inline, for the cache policy tests.

#include <initializer_list>
#include <string_view>
#include <utility>

#include "http/header_map.h"
#include "http/message.h"

namespace bulwark::cache::policy::testing {

using FieldList = std::initializer_list<std::pair<std::string_view, std::string_view>>;

inline http::HeaderMap fields(FieldList list) {
  http::HeaderMap map;
  for (const auto& [name, value] : list)
    map.add(name, value);
  return map;
}

inline http::RequestHead request(http::Method method, FieldList list) {
  http::RequestHead head;
  head.method = method;
  for (const auto& [name, value] : list)
    head.headers.add(name, value);
  return head;
}

inline http::ResponseHead response(std::uint16_t status, FieldList list) {
  http::ResponseHead head;
  head.status = status;
  for (const auto& [name, value] : list)
    head.headers.add(name, value);
  return head;
}

}  // namespace bulwark::cache::policy::testing
