#include "admin/metrics_exposition.h"

#include <fmt/format.h>

#include <array>
#include <iterator>
#include <string_view>
#include <utility>

namespace bulwark::admin {
namespace {

using core::ClusterCounters;
using core::HistogramTotals;
using core::LatencyHistogram;
using core::ListenerCounters;
using core::RequestCounters;

// A family of one field of a series' counters: what a new per-series counter needs to be listed.
template <class Counters, class Metric>
struct Family {
  std::string_view name;
  std::string_view help;
  const Metric& (*field)(const Counters&);
};
template <class Counters>
using CounterFamily = Family<Counters, core::Counter>;
template <class Counters>
using HistogramFamily = Family<Counters, LatencyHistogram>;

constexpr std::array<std::string_view, 3> kRequestLabels{"listener", "route", "cluster"};
constexpr std::array<std::string_view, 1> kClusterLabels{"cluster"};
constexpr std::array<std::string_view, 5> kStatusClasses{"1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr std::array<std::string_view, 1> kListenerLabels{"listener"};

constexpr std::array<CounterFamily<RequestCounters>, 1> kRequestCounters{{
    {"bulwark_response_body_bytes_total", "Response body bytes sent to clients.",
     [](const RequestCounters& c) -> const core::Counter& { return c.body_bytes; }},
}};
constexpr std::array<HistogramFamily<RequestCounters>, 1> kRequestHistograms{{
    {"bulwark_request_duration_seconds",
     "Time from a request's head received to its response sent, in seconds.",
     [](const RequestCounters& c) -> const LatencyHistogram& { return c.duration; }},
}};
constexpr std::array<CounterFamily<ClusterCounters>, 1> kClusterCounters{{
    {"bulwark_upstream_retries_total", "Requests sent again to an upstream after a failed try.",
     [](const ClusterCounters& c) -> const core::Counter& { return c.retries; }},
}};
constexpr std::array<HistogramFamily<ClusterCounters>, 1> kClusterHistograms{{
    {"bulwark_upstream_response_time_seconds",
     "Time from a request's forwarding to its upstream response head, retries included, in "
     "seconds.",
     [](const ClusterCounters& c) -> const LatencyHistogram& { return c.upstream_time; }},
}};

using Out = std::back_insert_iterator<std::string>;

void header(Out out, std::string_view name, std::string_view help, std::string_view type) {
  fmt::format_to(out, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// `{a="x",b="y"` without the closing brace, so that callers can add one more label.
template <std::size_t kLabels>
std::string open_labels(const std::array<std::string_view, kLabels>& names,
                        const std::array<std::string, kLabels>& values) {
  std::string text = "{";
  for (std::size_t i = 0; i < kLabels; ++i) {
    if (i != 0) text += ',';
    fmt::format_to(std::back_inserter(text), "{}=\"{}\"", names[i], escape_label_value(values[i]));
  }
  return text;
}

std::string close_labels(std::string open) {
  open += '}';
  return open;
}

// Calls `write(id, labels)` for each series of `table` to list.
template <class Table, class Write>
void for_each_series(const Table& table, Write write) {
  for (std::uint32_t id = table.first_listed(); id < table.size(); ++id)
    write(id, table.labels(id));
}

template <class Table, class Read>
std::uint64_t sum_workers(const Table& table, std::uint32_t id, Read read) {
  std::uint64_t total = 0;
  for (std::size_t w = 0; w < table.workers(); ++w)
    total += read(table.at(w, id));
  return total;
}

template <class Table, class Families, std::size_t kLabels>
void write_counters(Out out, const Table& table, const Families& families,
                    const std::array<std::string_view, kLabels>& names) {
  for (const auto& family : families) {
    header(out, family.name, family.help, "counter");
    for_each_series(table, [&](std::uint32_t id, const auto& labels) {
      const std::uint64_t value =
          sum_workers(table, id, [&](const auto& c) { return family.field(c).value(); });
      fmt::format_to(out, "{}{} {}\n", family.name, close_labels(open_labels(names, labels)),
                     value);
    });
  }
}

template <class Table, class Families, std::size_t kLabels>
void write_histograms(Out out, const Table& table, const Families& families,
                      const std::array<std::string_view, kLabels>& names) {
  for (const auto& family : families) {
    header(out, family.name, family.help, "histogram");
    for_each_series(table, [&](std::uint32_t id, const auto& labels) {
      HistogramTotals totals;
      for (std::size_t w = 0; w < table.workers(); ++w)
        totals.add(family.field(table.at(w, id)));
      const std::string open = open_labels(names, labels);
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < LatencyHistogram::kBoundsMicros.size(); ++i) {
        cumulative += totals.buckets[i];
        fmt::format_to(out, "{}_bucket{},le=\"{}\"}} {}\n", family.name, open,
                       static_cast<double>(LatencyHistogram::kBoundsMicros[i]) / 1e6, cumulative);
      }
      const std::uint64_t count = totals.count();
      fmt::format_to(out, "{}_bucket{},le=\"+Inf\"}} {}\n", family.name, open, count);
      const std::string labels_text = close_labels(open);
      fmt::format_to(out, "{}_sum{} {}\n", family.name, labels_text,
                     static_cast<double>(totals.sum_nanos) / 1e9);
      fmt::format_to(out, "{}_count{} {}\n", family.name, labels_text, count);
    });
  }
}

void write_requests(Out out, const core::Metrics::RequestTable& table) {
  header(out, "bulwark_requests_total",
         "Requests answered, by listener, route, upstream cluster and status class.", "counter");
  for_each_series(table, [&](std::uint32_t id, const auto& labels) {
    const std::string open = open_labels(kRequestLabels, labels);
    for (std::size_t c = 0; c < kStatusClasses.size(); ++c) {
      const std::uint64_t value = sum_workers(
          table, id, [c](const RequestCounters& r) { return r.by_status_class[c].value(); });
      fmt::format_to(out, "bulwark_requests_total{},status_class=\"{}\"}} {}\n", open,
                     kStatusClasses[c], value);
    }
  });
}

void write_handshakes(Out out, const core::Metrics::ListenerTable& table) {
  header(out, "bulwark_tls_handshakes_total",
         "TLS handshakes with clients, by listener and result (full, resumed, failed).", "counter");
  using Read = std::uint64_t (*)(const ListenerCounters&);
  static constexpr std::array<std::pair<std::string_view, Read>, 3> kResults{{
      {"full", [](const ListenerCounters& c) { return c.tls_full.value(); }},
      {"resumed", [](const ListenerCounters& c) { return c.tls_resumed.value(); }},
      {"failed", [](const ListenerCounters& c) { return c.tls_failed.value(); }},
  }};
  for_each_series(table, [&](std::uint32_t id, const auto& labels) {
    const std::string open = open_labels(kListenerLabels, labels);
    for (const auto& [result, read] : kResults) {
      fmt::format_to(out, "bulwark_tls_handshakes_total{},result=\"{}\"}} {}\n", open, result,
                     sum_workers(table, id, read));
    }
  });
}

void write_endpoints(Out out, std::span<const EndpointStatus> endpoints) {
  header(out, "bulwark_endpoint_healthy",
         "1 when the endpoint passes its health checks, else 0 (operator state aside).", "gauge");
  for (const EndpointStatus& e : endpoints) {
    fmt::format_to(out, "bulwark_endpoint_healthy{{cluster=\"{}\",endpoint=\"{}\"}} {}\n",
                   escape_label_value(e.cluster), escape_label_value(e.identity),
                   e.healthy ? 1 : 0);
  }
  header(out, "bulwark_endpoint_ejections_total", "Times outlier detection ejected the endpoint.",
         "counter");
  for (const EndpointStatus& e : endpoints) {
    fmt::format_to(out, "bulwark_endpoint_ejections_total{{cluster=\"{}\",endpoint=\"{}\"}} {}\n",
                   escape_label_value(e.cluster), escape_label_value(e.identity), e.ejections);
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string format_metrics(const core::Metrics& metrics, const ScrapeState& state) {
  std::string text;
  const Out out(text);
  write_requests(out, metrics.requests());
  write_counters(out, metrics.requests(), kRequestCounters, kRequestLabels);
  write_histograms(out, metrics.requests(), kRequestHistograms, kRequestLabels);
  write_counters(out, metrics.clusters(), kClusterCounters, kClusterLabels);
  write_histograms(out, metrics.clusters(), kClusterHistograms, kClusterLabels);
  write_handshakes(out, metrics.listeners());
  header(out, "bulwark_downstream_connections_active", "Client connections open.", "gauge");
  fmt::format_to(out, "bulwark_downstream_connections_active {}\n", state.active_connections);
  write_endpoints(out, state.endpoints);
  header(out, "bulwark_reloads_total", "Configuration reloads, by result.", "counter");
  fmt::format_to(out, "bulwark_reloads_total{{result=\"ok\"}} {}\n", metrics.reloads_ok.value());
  fmt::format_to(out, "bulwark_reloads_total{{result=\"failed\"}} {}\n",
                 metrics.reloads_failed.value());
  return text;
}

}  // namespace bulwark::admin
