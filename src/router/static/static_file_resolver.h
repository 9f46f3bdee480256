#pragma once
// The static file server's decisions, apart from any socket: given the request (method, path,
// header fields) and the route's static action, which file, which status, which header fields and
// which bytes. The data path (proxy/static_response.cpp) only writes what this returns.
//
// Order, as nginx's static module and RFC 9110 §13.2.2 have it: method (GET and HEAD; others 405
// with Allow), path (static_path.h: 400 or 404), the file below the root (root_directory.h: 404
// when missing or outside, 403 when unreadable), a directory (301 to the slash form, then its
// index, else 404: there is no listing), preconditions (304, 412), then Range (206, 416, or the
// whole file: 200).
//
// Validators: ETag is "<mtime seconds hex>-<size hex>" as nginx writes it, so caches that learned
// a file from nginx keep their copies. It is strong, except for a file changed within the current
// second: another change in the same second with the same size would keep the tag, so it is weak
// ("W/") until that second has passed (Apache's rule), and its Last-Modified does not serve
// If-Range.
//
// The file system calls (open, fstat) run on the caller's thread and may block on a slow disk,
// as they do in nginx without aio.

#include <cstdint>
#include <string_view>

#include "config/config.h"
#include "http/header_map.h"
#include "http/message.h"
#include "router/static/root_directory.h"
#include "router/static/static_reply.h"

namespace bulwark::router {

struct StaticRequest {
  http::Method method = http::Method::kGet;
  std::string_view target;  // path and query as received
  const http::HeaderMap* headers = nullptr;
  std::int64_t now = 0;  // seconds since the epoch; also when the root is looked up again
  Confinement confinement = Confinement::kAuto;
};

// Fills `reply` (empty, built on the memory resource the caller wants its strings in).
void resolve_static(const StaticRequest& request, const config::StaticAction& action,
                    const config::RouteMatch& match, StaticReply& reply);

}  // namespace bulwark::router
