#include "observability/metrics.hpp"

#include <algorithm>
#include <charconv>

#include "observability/json.hpp"

namespace hello::observability {

struct alignas(64) Metrics::Shard {
  std::array<std::array<std::array<Counter, kStatusCount>, http::kMethodCount>, kMaxRoutes> requests{};
  std::array<std::array<Counter, kDurationBounds.size() + 1>, kMaxRoutes> duration_buckets{};
  std::array<Counter, kMaxRoutes> duration_sum_ns{};
  Counter client_errors;
  Counter server_errors;
  Counter started;
  Counter written;
  Counter exchanges;
  Counter opened;
  Counter closed;
  Counter rejected;
  // Bytes connection buffers grew and shrank by: their difference is what they hold.
  Counter buffer_grown;
  Counter buffer_released;
  LatencyHistogram latency;
};

namespace {

void append_label_value(std::string& out, std::string_view v) {
  // Prometheus label values escape backslash, quote and newline.
  for (const char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

Metrics::Metrics(Labels labels, std::size_t workers) : labels_(std::move(labels)) {
  if (labels_.routes.size() > kMaxRoutes) {
    labels_.routes.resize(kMaxRoutes);
  }
  for (std::size_t i = 0; i < std::max<std::size_t>(workers, 1); ++i) {
    shards_.push_back(std::make_unique<Shard>());
  }
}

Metrics::~Metrics() = default;

std::size_t Metrics::status_index(int status) noexcept { return http::status_index(status); }

void Metrics::record(std::size_t worker, const http::Exchange& e) noexcept {
  Shard& s = *shards_[worker];
  const std::size_t route = std::min(e.route, kMaxRoutes - 1);
  s.requests[route][static_cast<std::size_t>(e.method)][status_index(e.status)].add();
  const double seconds = std::chrono::duration<double>(e.duration).count();
  const auto bound = std::lower_bound(kDurationBounds.begin(), kDurationBounds.end(), seconds);
  s.duration_buckets[route][static_cast<std::size_t>(bound - kDurationBounds.begin())].add();
  s.duration_sum_ns[route].add(static_cast<std::uint64_t>(e.duration.count()));
  s.exchanges.add();
  if (e.status >= 500) {
    s.server_errors.add();
  } else if (e.status >= 400) {
    s.client_errors.add();
  }
  s.latency.record(e.duration);
}

void Metrics::request_started(std::size_t worker) noexcept { shards_[worker]->started.add(); }
void Metrics::responses_written(std::size_t worker, std::size_t count) noexcept { shards_[worker]->written.add(count); }
void Metrics::connection_opened(std::size_t worker) noexcept { shards_[worker]->opened.add(); }
void Metrics::connection_closed(std::size_t worker) noexcept { shards_[worker]->closed.add(); }
void Metrics::connection_rejected(std::size_t worker) noexcept { shards_[worker]->rejected.add(); }
void Metrics::buffers_resized(std::size_t worker, std::size_t before, std::size_t after) noexcept {
  Shard& s = *shards_[worker];
  if (after > before) {
    s.buffer_grown.add(after - before);
  } else {
    s.buffer_released.add(before - after);
  }
}

Metrics::Totals Metrics::totals() const {
  Totals t;
  for (const auto& s : shards_) {
    t.requests += s->exchanges.get();
    t.client_errors += s->client_errors.get();
    t.server_errors += s->server_errors.get();
    t.latency.add(s->latency);
  }
  return t;
}

std::string Metrics::render(std::string_view extra) const {
  std::string out;
  out.reserve(8192);
  const std::size_t routes = labels_.routes.size();

  header(out, "http_requests_total", "counter", "HTTP requests answered, by route template, method and status code.");
  for (std::size_t r = 0; r < routes; ++r) {
    for (std::size_t m = 0; m < http::kMethodCount; ++m) {
      for (std::size_t c = 0; c < kStatusCount; ++c) {
        std::uint64_t n = 0;
        for (const auto& s : shards_) {
          n += s->requests[r][m][c].get();
        }
        if (n == 0) {
          continue;
        }
        out.append("http_requests_total{route=\"");
        append_label_value(out, labels_.routes[r]);
        out.append("\",method=\"").append(http::method_name(static_cast<http::Method>(m))).append("\",code=\"");
        if (c < kStatuses.size()) {
          append_integer(out, static_cast<std::uint64_t>(kStatuses[c]));
        } else {
          out.append("other");
        }
        out.append("\"} ");
        append_integer(out, n);
        out.push_back('\n');
      }
    }
  }

  header(out, "http_request_duration_seconds", "histogram",
         "Time from the first byte of a request to its response being ready, by route template.");
  for (std::size_t r = 0; r < routes; ++r) {
    std::array<std::uint64_t, kDurationBounds.size() + 1> buckets{};
    std::uint64_t sum_ns = 0;
    for (const auto& s : shards_) {
      for (std::size_t b = 0; b < buckets.size(); ++b) {
        buckets[b] += s->duration_buckets[r][b].get();
      }
      sum_ns += s->duration_sum_ns[r].get();
    }
    std::uint64_t count = 0;
    for (const std::uint64_t b : buckets) {
      count += b;
    }
    if (count == 0) {
      continue;
    }
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < buckets.size(); ++b) {
      cumulative += buckets[b];
      out.append("http_request_duration_seconds_bucket{route=\"");
      append_label_value(out, labels_.routes[r]);
      out.append("\",le=\"");
      if (b < kDurationBounds.size()) {
        append_decimal(out, kDurationBounds[b], 6);
      } else {
        out.append("+Inf");
      }
      out.append("\"} ");
      append_integer(out, cumulative);
      out.push_back('\n');
    }
    out.append("http_request_duration_seconds_sum{route=\"");
    append_label_value(out, labels_.routes[r]);
    out.append("\"} ");
    append_decimal(out, static_cast<double>(sum_ns) / 1e9, 9);
    out.append("\nhttp_request_duration_seconds_count{route=\"");
    append_label_value(out, labels_.routes[r]);
    out.append("\"} ");
    append_integer(out, count);
    out.push_back('\n');
  }

  std::uint64_t started = 0;
  std::uint64_t written = 0;
  std::uint64_t opened = 0;
  std::uint64_t closed = 0;
  std::uint64_t rejected = 0;
  std::uint64_t buffer_grown = 0;
  std::uint64_t buffer_released = 0;
  for (const auto& s : shards_) {
    // Read the "end" counters first, so that a concurrent request can only make the
    // gauges below momentarily high, never negative.
    written += s->written.get();
    closed += s->closed.get();
    buffer_released += s->buffer_released.get();
  }
  for (const auto& s : shards_) {
    started += s->started.get();
    opened += s->opened.get();
    rejected += s->rejected.get();
    buffer_grown += s->buffer_grown.get();
  }
  header(out, "http_requests_in_flight", "gauge", "Requests received whose response is not yet written.");
  out.append("http_requests_in_flight ");
  append_integer(out, started - std::min(started, written));
  out.push_back('\n');
  header(out, "http_connections_open", "gauge", "Open client connections.");
  out.append("http_connections_open ");
  append_integer(out, opened - std::min(opened, closed));
  out.push_back('\n');
  header(out, "http_connection_buffer_bytes", "gauge",
         "Bytes the open connections hold in their read, write and header buffers.");
  out.append("http_connection_buffer_bytes ");
  append_integer(out, buffer_grown - std::min(buffer_grown, buffer_released));
  out.push_back('\n');
  header(out, "http_connections_total", "counter", "Client connections accepted.");
  out.append("http_connections_total ");
  append_integer(out, opened);
  out.push_back('\n');
  header(out, "http_connections_rejected_total", "counter",
         "Connections closed at once because MAX_CONNECTIONS were open.");
  out.append("http_connections_rejected_total ");
  append_integer(out, rejected);
  out.push_back('\n');

  header(out, "hello_build_info", "gauge", "Build identity of the running binary (always 1).");
  out.append("hello_build_info{");
  for (std::size_t i = 0; i < labels_.build.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    out.append(labels_.build[i].first).append("=\"");
    append_label_value(out, labels_.build[i].second);
    out.push_back('"');
  }
  out.append("} 1\n");
  header(out, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch, in seconds.");
  out.append("process_start_time_seconds ");
  append_decimal(out, labels_.start_time_seconds, 3);
  out.push_back('\n');
  out.append(extra);
  return out;
}

}  // namespace hello::observability
