#include <cstdio>
#include <optional>

#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app/service.hpp"
#include "cli/cli.hpp"
#include "http/server.hpp"
#include "http/session.hpp"
#include "observability/access_log.hpp"
#include "observability/emf.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "observability/request_observer.hpp"
#include "platform/cgroup_limits.hpp"
#include "platform/config.hpp"
#include "platform/ecs_metadata.hpp"
#include "platform/process_limits.hpp"
#include "platform/shutdown.hpp"

namespace hello::cli {

namespace {

using std::chrono::milliseconds;

// The metadata endpoint is on the task's own network: it answers in milliseconds or
// not at all. /info simply lacks the task's fields until (unless) it answers.
constexpr milliseconds kMetadataTimeout{1000};

double seconds(milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

std::vector<std::pair<std::string, std::string>> build_labels(const app::BuildInfo& b) {
  return {{"version", std::string(b.version)},
          {"revision", std::string(b.git_sha)},
          {"build_time", std::string(b.build_time)},
          {"compiler", std::string(b.compiler)}};
}

void log_started(observability::Logger& log, const platform::Config& c, const app::BuildInfo& b, std::uint16_t port,
                 std::uint64_t open_files, std::uint64_t memory_limit, std::size_t max_connections) {
  log.info("listening", {{"host", c.host},
                         {"port", static_cast<std::uint64_t>(port)},
                         {"version", b.version},
                         {"git_sha", b.git_sha},
                         {"environment", c.app_env},
                         {"workers", c.workers},
                         {"workers_from", c.workers_from_cpu_quota ? "cpu quota" : "WORKERS"},
                         {"log_level", observability::level_name(c.log_level)},
                         {"log_format", c.log_format == observability::LogFormat::kJson ? "json" : "text"},
                         {"access_log", c.access_log},
                         {"metrics_enabled", c.metrics_enabled},
                         {"max_header_bytes", c.limits.max_header_bytes},
                         {"max_target_bytes", c.limits.max_target_bytes},
                         {"max_body_bytes", c.limits.max_body_bytes},
                         {"max_connections", max_connections},
                         {"max_requests_per_connection", c.limits.max_requests_per_connection},
                         {"header_timeout_s", seconds(c.limits.header_timeout)},
                         {"body_timeout_s", seconds(c.limits.body_timeout)},
                         {"idle_timeout_s", seconds(c.limits.idle_timeout)},
                         {"handler_timeout_s", seconds(c.limits.handler_timeout)},
                         {"dependency_url", c.dependency_url},
                         {"dependency_timeout_ms", static_cast<std::uint64_t>(c.dependency_timeout.count())},
                         {"drain_delay_s", seconds(c.drain_delay)},
                         {"shutdown_timeout_s", seconds(c.shutdown_timeout)},
                         {"emf_interval_s", seconds(c.emf_interval)},
                         {"open_files_limit", open_files},
                         {"memory_limit_bytes", memory_limit},
                         {"fault", b.fault}});
}

// Re-arming timer for the EMF records.
class EmfTimer {
 public:
  EmfTimer(boost::asio::io_context& io, observability::EmfReporter& reporter, milliseconds interval)
      : timer_(io), reporter_(reporter), interval_(interval) {}
  void start() {
    timer_.expires_after(interval_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) {
        reporter_.report(std::chrono::system_clock::now());
        start();
      }
    });
  }
  void stop() { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
  observability::EmfReporter& reporter_;
  milliseconds interval_;
};

}  // namespace

// The composition root of the server: configuration, then logs, metrics, handlers and
// the HTTP server, then the control loop (signals, EMF) until the drain completes.
int serve(const platform::Environment& env) {
  auto loaded = platform::load_config(env, platform::available_cpus());
  if (!loaded) {
    std::fprintf(stderr, "hello-service: configuration error: %s\n", loaded.error().c_str());
    return kExitUsage;
  }
  const platform::Config config = std::move(loaded).value();
  const std::uint64_t open_files = platform::raise_open_file_limit();
  const std::uint64_t memory_limit = platform::memory_limit();
  // MAX_CONNECTIONS as the process can hold them: past the open-file limit accept fails
  // and clients wait in the backlog; past the memory limit the task is killed with every
  // connection it holds. Lowered, with a warning, rather than either.
  const platform::ConnectionFit fit =
      platform::fit_connections(config.limits.max_connections, open_files, platform::files_kept(config.workers),
                                memory_limit, http::Session::kMemoryPerConnection);

  observability::LogSink sink(STDOUT_FILENO);
  observability::Logger log(sink, config.log_level, config.log_format);

  app::AppState state;
  state.build = app::build_info();
  state.runtime = app::runtime_info(config.app_env, config.workers);
  state.log_sink = &sink;
  state.dependency = config.dependency;
  state.dependency_timeout = config.dependency_timeout;
  http::Router router;
  app::register_routes(router, state, config.metrics_enabled);

  observability::Metrics::Labels labels;
  for (const std::string_view label : router.labels()) {
    labels.routes.emplace_back(label);
  }
  labels.build = build_labels(state.build);
  labels.start_time_seconds = std::chrono::duration<double>(state.runtime.started_wall.time_since_epoch()).count();
  observability::Metrics metrics(std::move(labels), config.workers);
  state.metrics = &metrics;
  observability::AccessLog access_log(sink, config.log_format);
  observability::RequestObserver observer(metrics, config.access_log ? &access_log : nullptr);

  http::ServerOptions options;
  options.host = config.host;
  options.port = config.port;
  options.workers = config.workers;
  options.limits = config.limits;
  options.limits.max_connections = fit.max_connections;
  options.on_warning = [&log](std::string_view message) { log.warn(message); };
  http::Server server(options, router, observer);

  boost::asio::io_context control{1};
  platform::ShutdownSequence shutdown(
      control, log, config.drain_delay, config.shutdown_timeout,
      {.begin_drain = [&state] { state.draining.store(true, std::memory_order_relaxed); },
       .stop_accepting = [&server] { server.stop_accepting(); },
       .open_connections = [&server] { return server.open_connections(); },
       .close_all = [&server] { server.close_all(); },
       .finished = [&control] { control.stop(); }});
  // Before anything can take long: a signal from now on starts the drain instead of
  // killing the process.
  shutdown.arm();

  if (const std::string failure = server.listen(); !failure.empty()) {
    log.error("cannot start", {{"error", failure}});
    sink.flush();
    return kExitFailure;
  }
  server.start();
  log_started(log, config, state.build, server.port(), open_files, memory_limit, fit.max_connections);
  for (const std::string& warning : platform::config_warnings(config)) {
    log.warn(warning);
  }
  for (const std::string& warning : fit.warnings) {
    log.warn(warning);
  }

  std::optional<platform::TaskMetadataFetch> metadata_fetch;
  if (!config.ecs_metadata_uri.empty()) {
    metadata_fetch.emplace(
        config.ecs_metadata_uri, kMetadataTimeout, [&log, &state](platform::Result<platform::TaskMetadata> fetched) {
          if (!fetched) {
            log.warn("ECS task metadata unavailable; /info goes without it", {{"error", fetched.error()}});
            return;
          }
          const platform::TaskMetadata& m = fetched.value();
          log.info("ECS task metadata", {{"task_arn", m.task_arn},
                                         {"cluster", m.cluster},
                                         {"family", m.family},
                                         {"revision", m.revision},
                                         {"availability_zone", m.availability_zone},
                                         {"launch_type", m.launch_type},
                                         {"image_digest", m.image_digest}});
          state.ecs.set(std::move(fetched).value());
        });
  }

  observability::EmfReporter emf(metrics, sink, config.app_env);
  EmfTimer emf_timer(control, emf, config.emf_interval);
  if (config.emf_interval.count() > 0) {
    emf_timer.start();
  }

  control.run();

  emf_timer.stop();
  server.shutdown();
  if (config.emf_interval.count() > 0) {
    emf.report(std::chrono::system_clock::now());  // the last, partial interval
  }
  metadata_fetch.reset();  // joins the fetch if it still runs, before the last line
  const bool clean = shutdown.outcome() == platform::ShutdownSequence::Outcome::kClean;
  log.info("stopped", {{"clean", clean}});
  sink.flush();
  return clean ? kExitOk : kExitFailure;
}

}  // namespace hello::cli
