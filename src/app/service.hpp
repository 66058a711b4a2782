#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "app/build_info.hpp"
#include "http/router.hpp"
#include "observability/log_sink.hpp"
#include "observability/metrics.hpp"
#include "platform/ecs_metadata.hpp"
#include "platform/http_client.hpp"

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
  // What GET /v1/dependency calls (DEPENDENCY_URL); unset: it answers 503.
  std::optional<platform::Url> dependency;
  std::chrono::milliseconds dependency_timeout{1000};
};

// Registers /, /health, /ready, /info, (when `metrics_enabled`) /metrics, the two
// examples POST /v1/greetings and GET /v1/dependency, and the JSON 404. Static answers
// are rendered here, once; the handlers only pick one.
void register_routes(http::Router& router, const AppState& state, bool metrics_enabled);

}  // namespace hello::app
