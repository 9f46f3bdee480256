#include "filters/cache/cache_filter.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <chrono>

#include "cache/cache_key.h"
#include "cache/policy/freshness.h"
#include "cache/policy/header_update.h"
#include "cache/policy/invalidation.h"
#include "cache/policy/reuse.h"
#include "cache/policy/storability.h"
#include "cache/policy/vary.h"

namespace bulwark::filters {
namespace {

namespace policy = cache::policy;
using proxy::Verdict;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::array<std::string_view, 5> kPreconditions{
    "if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range"};

bool safe_method(http::Method method) noexcept {
  return method == http::Method::kGet || method == http::Method::kHead ||
         method == http::Method::kOptions || method == http::Method::kTrace;
}

bool has_cookie(const http::HeaderMap& headers, std::string_view name) {
  for (const http::HeaderField& field : headers) {
    if (!http::iequals(field.name, "cookie")) continue;
    std::string_view rest = field.value;
    while (!rest.empty()) {
      const std::size_t semi = rest.find(';');
      const std::string_view pair = http::trim_ows(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      if (pair.substr(0, pair.find('=')) == name) return true;
    }
  }
  return false;
}

bool bypassed(const config::CacheSettings& settings, const http::HeaderMap& headers) {
  for (const std::string& name : settings.bypass_headers) {
    if (headers.has(name)) return true;
  }
  for (const std::string& name : settings.bypass_cookies) {
    if (has_cookie(headers, name)) return true;
  }
  return false;
}

}  // namespace

Verdict CacheFilter::on_request_headers(http::RequestHead& head, bool /*end_stream*/,
                                        proxy::Context& ctx) {
  request_ = &head;
  if (head.method_token == "PURGE") return purge(head, ctx);
  if (head.method != http::Method::kGet && head.method != http::Method::kHead) {
    unsafe_method_ = !safe_method(head.method);
    status_.forward = policy::Forward::kMethod;
    return Verdict::kContinue;
  }
  if (bypassed(settings_, head.headers)) {
    status_.forward = policy::Forward::kBypass;
    status_.detail = "bypass";
    label_ = "BYPASS";
    return Verdict::kContinue;
  }
  request_cc_ = policy::parse_cache_control(head.headers, true);
  request_time_ = now_seconds();
  const std::string key =
      cache::primary_key(ctx.info().scheme, head.host(), head.path, head.headers, settings_.key);
  primary_key_.assign(key);
  refreshing_ = ctx.info().background;
  if (std::optional<Verdict> answered = look_up(head, ctx)) return *answered;
  if (request_cc_.only_if_cached) {
    return ctx.respond({.status = 504, .detail = "only-if-cached and nothing usable is stored"});
  }
  // HEAD responses have no body to store; HEAD is answered from stored GET responses only.
  if (head.method == http::Method::kHead) {
    role_ = Role::kPass;
    return Verdict::kContinue;
  }
  if (role_ == Role::kRevalidate) return Verdict::kContinue;
  if (refreshing_) {
    role_ = Role::kFetch;
    return Verdict::kContinue;
  }
  return collapse_or_lead(ctx);
}

std::optional<Verdict> CacheFilter::look_up(http::RequestHead& head, proxy::Context& ctx) {
  cache::HttpCache::Lookup found = cache_.lookup(primary_key_, head.headers);
  if (!found.secondary_key.empty() || found.vary_miss) {
    secondary_key_ = std::move(found.secondary_key);
  }
  if (found.object == nullptr) {
    status_.forward = found.vary_miss ? policy::Forward::kVaryMiss : policy::Forward::kUriMiss;
    return std::nullopt;
  }
  const cache::StoredObject& object = *found.object;
  const policy::StoredState state{
      .age = policy::current_age(object.headers(), object.times(), now_seconds()),
      .lifetime = lifetime_of(object),
      .response_cc = &object.cache_control()};
  const policy::ReuseDecision decision = policy::decide_reuse(request_cc_, state);
  // A stream that is the key's background refresh goes to the origin whatever is stored.
  if (!refreshing_ && decision.reuse == policy::Reuse::kFresh) {
    status_.forward = policy::Forward::kNone;
    label_ = "HIT";
    return answer_from(found.object, ctx);
  }
  if (!refreshing_ && decision.reuse == policy::Reuse::kStaleWhileRevalidate) {
    // RFC 5861 §3: the stale response now, and one refresh per key behind the client's back.
    status_.forward = policy::Forward::kNone;
    status_.detail = "stale-while-revalidate";
    label_ = "STALE";
    if (cache_.begin_refresh(primary_key_)) ctx.refresh_after_reply();
    return answer_from(found.object, ctx);
  }
  // Stale (or the request asks for a fresher one): validate it when it has validators, else
  // fetch anew; keep it either way, for stale-if-error.
  stale_ = found.object;
  status_.forward =
      decision.reason.starts_with("request") ? policy::Forward::kRequest : policy::Forward::kStale;
  status_.detail = decision.reason;
  const http::HeaderMap& stored = object.headers();
  if (head.method == http::Method::kGet && (stored.has("etag") || stored.has("last-modified"))) {
    role_ = Role::kRevalidate;
    ask_to_validate(head, object, ctx);
  }
  return std::nullopt;
}

std::int64_t CacheFilter::lifetime_of(const cache::StoredObject& object) const {
  for (const auto& [status, seconds] : settings_.ttl) {
    if (status == object.status()) return seconds;
  }
  std::int64_t lifetime =
      policy::freshness_lifetime(object.status(), object.headers(), object.cache_control(),
                                 object.times(), policy::HeuristicOptions{});
  for (const auto& [status, seconds] : settings_.min_ttl) {
    if (status == object.status()) lifetime = std::max(lifetime, seconds);
  }
  return lifetime;
}

void CacheFilter::ask_to_validate(http::RequestHead& head, const cache::StoredObject& stored,
                                  proxy::Context& ctx) {
  for (const std::string_view name : kPreconditions) {
    for (const http::HeaderField& field : head.headers) {
      if (http::iequals(field.name, name)) client_conditions_.add(field.name, field.value);
    }
    head.headers.remove(name);
  }
  const http::HeaderMap& fields = stored.headers();
  // The stored object outlives the stream's use of these views (stale_ holds it).
  if (const std::string_view etag = fields.get("etag"); !etag.empty()) {
    head.headers.add("if-none-match", etag);
  }
  if (const std::string_view modified = fields.get("last-modified"); !modified.empty()) {
    head.headers.add("if-modified-since", modified);
  }
  (void)ctx;
}

Verdict CacheFilter::collapse_or_lead(proxy::Context& ctx) {
  const std::string_view secondary = secondary_key_ ? std::string_view(*secondary_key_) : "";
  cache::HttpCache::Joined joined = cache_.join_fill(primary_key_, secondary);
  fill_ = std::move(joined.fill);
  if (joined.leader) {
    role_ = Role::kLead;
    return Verdict::kContinue;
  }
  // Another request for the key is at the origin: wait for its head. Started from the event loop,
  // not from inside the filter chain (a coroutine must not start inside another's step).
  asio::post(ctx.executor(), [this, &ctx] {
    asio::co_spawn(ctx.executor(), wait_for_leader(*this, ctx), asio::detached);
  });
  return Verdict::kPause;
}

core::Task<void> CacheFilter::wait_for_leader(CacheFilter& filter, proxy::Context& ctx) {
  const auto deadline = core::Clock::now() + filter.settings_.collapse_timeout;
  const cache::Fill::Outcome outcome = co_await filter.fill_->wait(deadline);
  const std::shared_ptr<cache::Fill> fill = std::move(filter.fill_);
  if (outcome == cache::Fill::Outcome::kPublished) {
    const cache::ObjectPtr object = fill->object();
    // The leader's response varies on fields this request may have other values for.
    const std::optional<std::string> secondary =
        object->vary().empty() ? std::optional<std::string>("")
                               : policy::secondary_key(object->vary(), filter.request_->headers);
    if (secondary && *secondary == fill->secondary_key()) {
      filter.status_.collapsed = true;
      filter.label_ = "HIT";
      filter.status_.forward = policy::Forward::kUriMiss;
      (void)filter.answer_from(object, ctx);
      ctx.resume();
      co_return;
    }
  }
  // Nothing to share (not storable, the leader failed or is slow): fetch without storing.
  filter.role_ = Role::kPass;
  filter.status_.detail = "not collapsed";
  ctx.resume();
}

Verdict CacheFilter::on_response_headers(http::ResponseHead& head, bool end_stream,
                                         proxy::Context& ctx) {
  if (unsafe_method_) {
    invalidate_after(head, ctx);
    return Verdict::kContinue;
  }
  if (ctx.info().local_response || request_ == nullptr) return Verdict::kContinue;
  status_.forward_status = stale_ != nullptr || role_ != Role::kPass ? head.status : 0;
  if (role_ == Role::kRevalidate && head.status == 304 && stale_ != nullptr) {
    // RFC 9111 §4.3.4: the stored response, freshened with the 304's fields.
    const std::vector<http::HeaderField> fields =
        policy::updated_fields(stale_->headers(), head.headers);
    auto fresh = std::make_shared<const cache::StoredObject>(
        stale_->status(), fields, policy::FetchTimes{request_time_, now_seconds()}, stale_->body());
    cache_.store(primary_key_, secondary_key_ ? secondary_key_ : std::optional<std::string>(""),
                 fresh);
    status_.stored = true;
    label_ = "REVALIDATED";
    return answer_from(fresh, ctx);
  }
  if (stale_ != nullptr && head.status >= 500 &&
      policy::may_serve_stale_on_error(
          request_cc_,
          {.age = policy::current_age(stale_->headers(), stale_->times(), now_seconds()),
           .lifetime = lifetime_of(*stale_),
           .response_cc = &stale_->cache_control()},
          settings_.serve_stale_on_error)) {
    status_.detail = "stale-if-error";
    label_ = "STALE";
    return answer_from(stale_, ctx);
  }
  if (role_ == Role::kFetch || role_ == Role::kLead || role_ == Role::kRevalidate) {
    start_storing(head, ctx);
    if (end_stream) finish_storing(true);
  }
  if (!storing_) end_fill();
  add_status_fields(head.headers, ctx);
  return Verdict::kContinue;
}

void CacheFilter::start_storing(const http::ResponseHead& head, proxy::Context& ctx) {
  const policy::CacheControl response_cc = policy::parse_cache_control(head.headers);
  const policy::StoreDecision decision = policy::decide_storable(
      *request_, request_cc_, head, response_cc, {.store_set_cookie = settings_.store_set_cookie});
  if (decision != policy::StoreDecision::kStore) {
    status_.detail = policy::describe(decision);
    return;
  }
  const bool sized = head.framing == http::BodyFraming::kContentLength;
  if (sized && head.content_length > settings_.max_object) {
    status_.detail = "too large";
    return;
  }
  std::optional<std::string> secondary("");
  if (const std::string vary = policy::vary_fields(head.headers); !vary.empty()) {
    secondary = policy::secondary_key(vary, request_->headers);
    if (!secondary) {
      status_.detail = "vary *";
      return;
    }
  }
  std::vector<http::HeaderField> fields;
  fields.reserve(head.headers.size());
  for (const http::HeaderField& field : head.headers) {
    if (policy::stored_field(field.name, head.headers, response_cc)) fields.push_back(field);
  }
  body_ =
      std::make_shared<cache::StoredBody>(sized ? head.content_length : 0, settings_.max_object);
  storing_ = std::make_shared<const cache::StoredObject>(
      head.status, fields, policy::FetchTimes{request_time_, now_seconds()}, body_);
  secondary_key_ = std::move(secondary);
  status_.stored = true;
  // Followers whose Vary values differ from this request's fetch on their own (wait_for_leader).
  if (fill_) fill_->publish(storing_);
  // Others may be streaming from it: this client's departure must not cut it short.
  ctx.want_whole_response();
}

Verdict CacheFilter::on_response_body(proxy::BodyChunk& chunk, bool end_stream,
                                      proxy::Context& /*ctx*/) {
  if (body_ == nullptr) return Verdict::kContinue;
  if (!chunk.data().empty() && !body_->append(chunk.data())) {
    // Past max_object: the object is dropped; the client still gets every byte.
    status_.stored = false;
    finish_storing(false);
    return Verdict::kContinue;
  }
  if (end_stream) finish_storing(true);
  return Verdict::kContinue;
}

void CacheFilter::finish_storing(bool complete) {
  if (body_ == nullptr) return;
  body_->finish(complete ? cache::BodyState::kComplete : cache::BodyState::kAborted);
  if (complete) cache_.store(primary_key_, secondary_key_, storing_);
  body_.reset();
  storing_.reset();
  end_fill();
}

void CacheFilter::end_fill() noexcept {
  if (!fill_ || role_ != Role::kLead) return;
  fill_->release();  // no-op once published
  cache_.end_fill(primary_key_, fill_->secondary_key(), fill_);
  fill_.reset();
}

Verdict CacheFilter::on_upstream_failure(std::uint16_t /*status*/, proxy::Context& ctx) {
  end_fill();
  if (stale_ == nullptr) return Verdict::kContinue;
  const policy::StoredState state{
      .age = policy::current_age(stale_->headers(), stale_->times(), now_seconds()),
      .lifetime = lifetime_of(*stale_),
      .response_cc = &stale_->cache_control()};
  if (!policy::may_serve_stale_on_error(request_cc_, state, settings_.serve_stale_on_error)) {
    return Verdict::kContinue;
  }
  status_.detail = "stale-if-error";
  label_ = "STALE";
  return answer_from(stale_, ctx);
}

void CacheFilter::invalidate_after(const http::ResponseHead& head, proxy::Context& ctx) {
  const policy::Invalidation invalidation =
      policy::invalidation_for(*request_, ctx.info().scheme, head);
  const std::string_view host = request_->host();
  const auto purge_path = [&](std::string_view path) {
    cache_.purge(
        cache::primary_key(ctx.info().scheme, host, path, request_->headers, settings_.key));
  };
  if (invalidation.target) purge_path(request_->path);
  if (!invalidation.location.empty()) purge_path(invalidation.location);
  if (!invalidation.content_location.empty()) purge_path(invalidation.content_location);
}

void CacheFilter::on_stream_done(const proxy::StreamSummary& /*summary*/) noexcept {
  finish_storing(false);
  end_fill();
  if (refreshing_) cache_.end_refresh(primary_key_);
}

}  // namespace bulwark::filters
