#pragma once
// A response as the cache keeps it: its status and header fields (owned copies), when it was
// fetched, and its body (shared: a 304 that freshens the head makes a new StoredObject over the
// same body). Immutable once made, so any worker may read it without a lock.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cache/policy/cache_control.h"
#include "cache/policy/freshness.h"
#include "cache/stored_body.h"
#include "http/header_map.h"

namespace bulwark::cache {

class StoredObject {
 public:
  // Copies `fields`.
  StoredObject(std::uint16_t status, std::span<const http::HeaderField> fields,
               policy::FetchTimes times, std::shared_ptr<StoredBody> body);
  StoredObject(const StoredObject&) = delete;
  StoredObject& operator=(const StoredObject&) = delete;

  [[nodiscard]] std::uint16_t status() const noexcept { return status_; }
  // The fields as a map whose views point into this object.
  [[nodiscard]] const http::HeaderMap& headers() const noexcept { return headers_; }
  [[nodiscard]] const policy::FetchTimes& times() const noexcept { return times_; }
  [[nodiscard]] const policy::CacheControl& cache_control() const noexcept { return cc_; }
  [[nodiscard]] const std::shared_ptr<StoredBody>& body() const noexcept { return body_; }
  // The response's Vary fields (policy::vary_fields), empty without Vary.
  [[nodiscard]] std::string_view vary() const noexcept { return vary_; }

  // Memory held (head and body), for the store's byte budget.
  [[nodiscard]] std::uint64_t charge() const noexcept;

 private:
  std::uint16_t status_;
  std::string bytes_;  // the fields' names and values, back to back
  http::HeaderMap headers_;
  policy::FetchTimes times_;
  policy::CacheControl cc_;  // views into bytes_
  std::string vary_;
  std::shared_ptr<StoredBody> body_;
};

using ObjectPtr = std::shared_ptr<const StoredObject>;

}  // namespace bulwark::cache
