#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>

#include "app/build_info.hpp"
#include "http/router.hpp"
#include "observability/log_sink.hpp"
#include "observability/metrics.hpp"
#include "platform/ecs_metadata.hpp"

namespace hello::app {

// Facts about this process, taken once at start.
struct RuntimeInfo {
  std::string hostname;
  long pid = 0;
  std::chrono::system_clock::time_point started_wall{};
  std::chrono::steady_clock::time_point started{};
  std::size_t workers = 1;
  std::string environment;
};
RuntimeInfo runtime_info(std::string environment, std::size_t workers);

// What the handlers read. Owned by the composition root; outlives the server.
struct AppState {
  BuildInfo build;
  RuntimeInfo runtime;
  std::atomic<bool> draining{false};
  platform::TaskMetadataSlot ecs;
  // Set before the server starts (the metrics need the routes' labels first).
  const observability::Metrics* metrics = nullptr;
  const observability::LogSink* log_sink = nullptr;
};

// Registers /, /health, /ready, /info and (when `metrics_enabled`) /metrics, and the
// JSON 404. Static answers are rendered here, once; the handlers only pick one.
void register_routes(http::Router& router, const AppState& state, bool metrics_enabled);

}  // namespace hello::app
