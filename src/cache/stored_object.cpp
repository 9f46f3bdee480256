#include "cache/stored_object.h"

#include "cache/policy/vary.h"

namespace bulwark::cache {

StoredObject::StoredObject(std::uint16_t status, std::span<const http::HeaderField> fields,
                           policy::FetchTimes times, std::shared_ptr<StoredBody> body)
    : status_(status), times_(times), body_(std::move(body)) {
  std::size_t total = 0;
  for (const http::HeaderField& field : fields)
    total += field.name.size() + field.value.size();
  bytes_.reserve(total);  // never grows below: the views stay put
  headers_.reserve(fields.size());
  for (const http::HeaderField& field : fields) {
    const std::size_t name_at = bytes_.size();
    bytes_.append(field.name);
    const std::size_t value_at = bytes_.size();
    bytes_.append(field.value);
    headers_.add({bytes_.data() + name_at, field.name.size()},
                 {bytes_.data() + value_at, field.value.size()});
  }
  cc_ = policy::parse_cache_control(headers_);
  vary_ = policy::vary_fields(headers_);
}

std::uint64_t StoredObject::charge() const noexcept {
  return sizeof(*this) + bytes_.capacity() + headers_.size() * sizeof(http::HeaderField) +
         vary_.capacity() + (body_ ? body_->charge() : 0);
}

}  // namespace bulwark::cache
