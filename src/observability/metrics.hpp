#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/observer.hpp"
#include "http/request.hpp"
#include "http/router.hpp"
#include "http/status.hpp"
#include "observability/counter.hpp"
#include "observability/latency_histogram.hpp"

namespace hello::observability {

// Request metrics, one shard per worker so that the request path never contends: each
// worker writes only its own shard; /metrics and the EMF reporter sum the shards.
class Metrics {
 public:
  // Status codes counted apart: the HTTP layer's one table (anything else is "other").
  static constexpr const auto& kStatuses = http::kStatuses;
  static constexpr std::size_t kStatusCount = http::kStatusCount;
  // The router's paths and "unmatched".
  static constexpr std::size_t kMaxRoutes = http::Router::kMaxRoutes + 1;
  // Prometheus histogram bounds, in seconds: from 100 us (a cheap endpoint) to 5 s.
  static constexpr std::array<double, 15> kDurationBounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0};

  // What a scrape needs besides the counters.
  struct Labels {
    std::vector<std::string> routes;                         // Router::labels()
    std::vector<std::pair<std::string, std::string>> build;  // hello_build_info labels
    double start_time_seconds = 0;                           // process start, Unix time
  };

  Metrics(Labels labels, std::size_t workers);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Worker thread `worker` only.
  void request_started(std::size_t worker) noexcept;
  void record(std::size_t worker, const http::Exchange& exchange) noexcept;
  void responses_written(std::size_t worker, std::size_t count) noexcept;
  void connection_opened(std::size_t worker) noexcept;
  void connection_closed(std::size_t worker) noexcept;
  void connection_rejected(std::size_t worker) noexcept;
  void buffers_resized(std::size_t worker, std::size_t before, std::size_t after) noexcept;

  // Any thread.
  struct Totals {
    std::uint64_t requests = 0;
    std::uint64_t client_errors = 0;  // 4xx
    std::uint64_t server_errors = 0;  // 5xx
    LatencyCounts latency;
  };
  Totals totals() const;

  // Prometheus text exposition format. `extra` is appended as is (process metrics and
  // gauges owned by others).
  std::string render(std::string_view extra) const;

  static std::size_t status_index(int status) noexcept;

 private:
  struct Shard;
  Labels labels_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace hello::observability
