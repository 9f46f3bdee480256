#pragma once
// The HTTP cache as a filter (docs/config.md "cache"): an RFC 9111 shared cache over the server's
// storage (cache::HttpCache). On a request it answers from storage when a stored response may be
// reused (with 304s for the client's own conditional requests, ranges, HEAD), collapses
// concurrent misses for one key onto one origin request, or sends the origin a conditional
// request for a stale response; on the response it stores what may be stored while it streams to
// the client, freshens stored responses from 304s, serves stale ones when the origin fails and
// the rules allow it, and invalidates after unsafe methods. PURGE requests from the configured
// networks remove stored responses (one URL, a prefix, a regular expression or tags).
//
// Listed before a filter that transforms responses (compression), the cache stores what that
// filter produced: response hooks run in reverse order.

#include <memory>
#include <memory_resource>
#include <optional>
#include <string>

#include "cache/http_cache.h"
#include "cache/policy/cache_control.h"
#include "cache/policy/cache_status.h"
#include "config/config.h"
#include "filters/cache/stored_reply.h"
#include "proxy/filter/filter.h"

namespace bulwark::filters {

class CacheFilter final : public proxy::Filter {
 public:
  CacheFilter(const config::CacheSettings& settings, cache::HttpCache& cache,
              core::Arena& arena) noexcept
      : settings_(settings),
        cache_(cache),
        primary_key_(arena.resource()),
        client_conditions_(arena.resource()) {}

  proxy::Verdict on_request_headers(http::RequestHead& head, bool end_stream,
                                    proxy::Context& ctx) override;
  proxy::Verdict on_response_headers(http::ResponseHead& head, bool end_stream,
                                     proxy::Context& ctx) override;
  proxy::Verdict on_response_body(proxy::BodyChunk& chunk, bool end_stream,
                                  proxy::Context& ctx) override;
  proxy::Verdict on_upstream_failure(std::uint16_t status, proxy::Context& ctx) override;
  void on_stream_done(const proxy::StreamSummary& summary) noexcept override;

 private:
  enum class Role : std::uint8_t {
    kPass,        // the cache has nothing to do with this request
    kFetch,       // a miss that stores what comes back (without leading a fill)
    kLead,        // a miss that others collapsed onto
    kRevalidate,  // a stale stored response, validated by a conditional request
  };

  // hit_reply.cpp: answers from `object`, as a hit or after revalidation.
  proxy::Verdict answer_from(const cache::ObjectPtr& object, proxy::Context& ctx);
  // purge.cpp: a PURGE request.
  proxy::Verdict purge(const http::RequestHead& head, proxy::Context& ctx);

  // Looks the request up; returns a verdict when it is answered from storage.
  std::optional<proxy::Verdict> look_up(http::RequestHead& head, proxy::Context& ctx);
  // A miss: joins the fill in progress for the key (and pauses until its head is known) or leads
  // a new one.
  proxy::Verdict collapse_or_lead(proxy::Context& ctx);
  static core::Task<void> wait_for_leader(CacheFilter& filter, proxy::Context& ctx);
  // Replaces the client's preconditions with the stored response's validators.
  void ask_to_validate(http::RequestHead& head, const cache::StoredObject& stored,
                       proxy::Context& ctx);
  // The response may be stored: starts its object (and publishes it to the followers).
  void start_storing(const http::ResponseHead& head, proxy::Context& ctx);
  void finish_storing(bool complete);
  void invalidate_after(const http::ResponseHead& head, proxy::Context& ctx);
  void add_status_fields(http::HeaderMap& headers, proxy::Context& ctx);
  [[nodiscard]] std::int64_t lifetime_of(const cache::StoredObject& object) const;
  void end_fill() noexcept;

  const config::CacheSettings& settings_;
  cache::HttpCache& cache_;
  Role role_ = Role::kPass;
  const http::RequestHead* request_ = nullptr;
  cache::policy::CacheControl request_cc_;
  std::pmr::string primary_key_;
  std::optional<std::string> secondary_key_;  // nullopt: the key's Vary fields are not known
  cache::ObjectPtr stale_;  // a stored response being revalidated, kept for stale-if-error
  std::shared_ptr<cache::Fill> fill_;
  std::shared_ptr<cache::StoredBody> body_;  // the body being stored
  cache::ObjectPtr storing_;
  std::int64_t request_time_ = 0;
  bool unsafe_method_ = false;
  // The client's own preconditions, set aside while bulwark's validate the stored response.
  http::HeaderMap client_conditions_;
  cache::policy::CacheStatus status_;
  // What the hit header says: HIT, MISS, STALE (served stale), REVALIDATED, BYPASS.
  std::string_view label_ = "MISS";
  bool refreshing_ = false;  // this stream is the key's background refresh
  std::optional<StoredReply> reply_;
};

class CacheFilterFactory final : public proxy::FilterFactory {
 public:
  CacheFilterFactory(config::CacheSettings settings, std::shared_ptr<cache::HttpCache> cache)
      : settings_(std::move(settings)), cache_(std::move(cache)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "cache"; }
  [[nodiscard]] proxy::Filter* create(core::Arena& arena) const override {
    return arena.make<CacheFilter>(settings_, *cache_, arena);
  }

 private:
  config::CacheSettings settings_;
  std::shared_ptr<cache::HttpCache> cache_;
};

}  // namespace bulwark::filters
