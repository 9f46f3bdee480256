#pragma once
// A request sent upstream for the cache alone, after the client already has its answer: RFC
// 5861's stale-while-revalidate serves a stale response at once and refreshes it behind the
// client's back. The refresh runs as a stream of its own on the same worker, through the same
// route and filters (StreamInfo::background tells the cache filter what it is), with a client
// side that discards the response body: the cache filter stores it as it passes.

#include <memory>

#include "config/config.h"
#include "proxy/client_side.h"
#include "proxy/proxy_snapshot.h"
#include "proxy/stream.h"

namespace bulwark::proxy {

// Starts the refresh of `request` (copied) through a proxy route of `client`'s snapshot; nothing
// happens when the worker has moved to another snapshot since (the route may be gone).
void start_background_refresh(ClientSide& client, const http::RequestHead& request,
                              const config::ProxyAction& action, const config::Route& route,
                              const RouteRuntime& runtime);

}  // namespace bulwark::proxy
