#pragma once
// One fetch of a key from the origin in progress, shared by the request that leads it and the
// requests that collapsed onto it (issue: concurrent misses send one request upstream). The
// leader publishes the response as soon as its head is known, then streams the body into it;
// followers wait for that decision and stream the body as it grows. When the response is not
// storable (or the leader fails), followers are released to fetch on their own.

#include <mutex>
#include <string>

#include "cache/stored_object.h"
#include "cache/wakeup_list.h"

namespace bulwark::cache {

class Fill {
 public:
  enum class Outcome : std::uint8_t {
    kPending,    // no response head yet
    kPublished,  // object() holds the response (its body may still be streaming)
    kReleased,   // nothing to share: followers go upstream themselves
  };

  // `secondary_key`: the leader's Vary key when the key's Vary fields were known, else empty.
  explicit Fill(std::string secondary_key) : secondary_key_(std::move(secondary_key)) {}

  void publish(ObjectPtr object);
  void release();

  // Waits until the fill is no longer pending or `deadline` passes; returns the outcome then.
  core::Task<Outcome> wait(core::Clock::time_point deadline);
  [[nodiscard]] ObjectPtr object() const;
  [[nodiscard]] const std::string& secondary_key() const noexcept { return secondary_key_; }

 private:
  void settle(Outcome outcome, ObjectPtr object);

  const std::string secondary_key_;
  mutable std::mutex mutex_;
  Outcome outcome_ = Outcome::kPending;
  ObjectPtr object_;
  WakeupList waiters_;
};

}  // namespace bulwark::cache
