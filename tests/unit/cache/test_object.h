#pragma once
// Complete stored objects for the cache's tests.

#include <gtest/gtest.h>

#include <memory>
#include <string_view>
#include <vector>

#include "cache/stored_object.h"

namespace bulwark::cache {

inline ObjectPtr make_test_object(std::string_view body_bytes, std::string_view tag = "none",
                                  policy::FetchTimes times = {}) {
  auto body = std::make_shared<StoredBody>(body_bytes.size(), body_bytes.size());
  EXPECT_TRUE(body->append(body_bytes));
  body->finish(BodyState::kComplete);
  const std::vector<http::HeaderField> fields{{"content-type", "text/plain"}, {"x-tag", tag}};
  return std::make_shared<StoredObject>(200, fields, times, std::move(body));
}

}  // namespace bulwark::cache
