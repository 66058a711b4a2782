#include "app/service.hpp"

#include <ctime>
#include <memory>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include "app/routes.hpp"
#include "observability/process_stats.hpp"

namespace hello::app {

namespace {

using nlohmann::ordered_json;

// Bodies that never change while the process runs, rendered once.
struct StaticBodies {
  std::string root;
  std::string health = R"({"status":"healthy"})";
  std::string ready = R"({"status":"ready"})";
  std::string draining = R"({"status":"draining"})";
  std::string not_ready_fault;
  std::string fault_500 = R"({"error":"internal server error","fault":"root-500"})";
  std::string not_found = R"({"error":"not found"})";
};

StaticBodies make_bodies(const BuildInfo& build) {
  StaticBodies b;
  b.root = ordered_json{{"message", "Hello, World!"}, {"service", build.name}, {"version", build.version}}.dump();
  b.not_ready_fault = ordered_json{{"status", "not ready"}, {"fault", build.fault}}.dump();
  return b;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {text, n};
}

std::string info_body(const AppState& state) {
  const BuildInfo& b = state.build;
  const RuntimeInfo& r = state.runtime;
  const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - r.started).count();
  ordered_json info = {
      {"name", b.name},
      {"version", b.version},
      {"git_sha", b.git_sha},
      {"build_time", b.build_time},
      {"compiler", b.compiler},
      {"build_type", b.build_type},
      {"environment", r.environment},
      {"hostname", r.hostname},
      {"pid", r.pid},
      {"start_time", rfc3339(r.started_wall)},
      {"uptime_seconds", static_cast<double>(static_cast<long long>(uptime * 1000.0)) / 1000.0},
      {"workers", r.workers},
      {"draining", state.draining.load(std::memory_order_relaxed)},
  };
  if (!b.fault.empty()) {
    info["fault"] = b.fault;
  }
  if (const auto ecs = state.ecs.get()) {
    info["ecs"] = ordered_json{
        {"task_arn", ecs->task_arn},
        {"cluster", ecs->cluster},
        {"family", ecs->family},
        {"revision", ecs->revision},
        {"availability_zone", ecs->availability_zone},
        {"launch_type", ecs->launch_type},
        {"container", ecs->container_name},
        {"image", ecs->image},
        {"image_digest", ecs->image_digest},
    };
  }
  return info.dump();
}

std::string metrics_body(const AppState& state) {
  std::string extra;
  observability::append_process_metrics(extra, observability::sample_process());
  extra.append(
      "# HELP hello_draining Whether the process is draining (1) or serving (0).\n"
      "# TYPE hello_draining gauge\nhello_draining ");
  extra.append(state.draining.load(std::memory_order_relaxed) ? "1" : "0");
  extra.append(
      "\n# HELP hello_log_lines_dropped_total Log lines dropped because stdout could not keep up.\n"
      "# TYPE hello_log_lines_dropped_total counter\nhello_log_lines_dropped_total ");
  extra.append(std::to_string(state.log_sink != nullptr ? state.log_sink->dropped() : 0));
  extra.push_back('\n');
  return state.metrics != nullptr ? state.metrics->render(extra) : extra;
}

}  // namespace

RuntimeInfo runtime_info(std::string environment, std::size_t workers) {
  RuntimeInfo r;
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) {
    r.hostname = host;
  }
  r.pid = static_cast<long>(::getpid());
  r.started_wall = std::chrono::system_clock::now();
  r.started = std::chrono::steady_clock::now();
  r.workers = workers;
  r.environment = std::move(environment);
  return r;
}

void register_routes(http::Router& router, const AppState& state, bool metrics_enabled) {
  const auto bodies = std::make_shared<const StaticBodies>(make_bodies(state.build));
  const bool root_fault = state.build.fault == "root-500";
  const bool ready_fault = state.build.fault == "ready-never";

  router.get("/", [bodies, root_fault](const http::Request&) {
    return root_fault ? http::Response(500, bodies->fault_500) : http::Response(200, bodies->root);
  });
  // Liveness: no I/O, no locks; 200 for as long as the process answers at all.
  router.get(
      "/health", [bodies](const http::Request&) { return http::Response(200, bodies->health); }, true);
  // Readiness: what the load balancer's health check asks. 503 from the first moment
  // of a drain, so that traffic moves away before the listener closes.
  router.get(
      "/ready",
      [bodies, ready_fault, &state](const http::Request&) {
        if (ready_fault) {
          return http::Response(503, bodies->not_ready_fault);
        }
        return state.draining.load(std::memory_order_relaxed) ? http::Response(503, bodies->draining)
                                                              : http::Response(200, bodies->ready);
      },
      true);
  router.get(
      "/info", [&state](const http::Request&) { return http::Response::owned(200, info_body(state)); }, true);
  if (metrics_enabled) {
    router.get(
        "/metrics",
        [&state](const http::Request&) {
          return http::Response::owned(200, metrics_body(state), http::kPrometheusText);
        },
        true);
  }
  add_greetings(router);
  add_dependency(router, state);
  router.set_not_found([bodies](const http::Request&) { return http::Response(404, bodies->not_found); });
}

}  // namespace hello::app
