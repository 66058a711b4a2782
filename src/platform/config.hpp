#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/limits.hpp"
#include "observability/logger.hpp"
#include "platform/http_client.hpp"
#include "platform/result.hpp"

namespace hello::platform {

// The whole configuration, from environment variables only, validated once at start.
struct Config {
  std::string host = "0.0.0.0";
  std::uint16_t port = 5000;
  std::size_t workers = 1;
  bool workers_from_cpu_quota = true;
  std::string app_env = "development";
  observability::LogLevel log_level = observability::LogLevel::kInfo;
  observability::LogFormat log_format = observability::LogFormat::kJson;
  bool access_log = true;
  bool metrics_enabled = true;
  http::Limits limits;
  std::chrono::milliseconds drain_delay{std::chrono::seconds{10}};
  std::chrono::milliseconds shutdown_timeout{std::chrono::seconds{25}};
  std::chrono::milliseconds emf_interval{std::chrono::seconds{60}};  // 0: off
  std::string ecs_metadata_uri;  // ECS_CONTAINER_METADATA_URI_V4, set by the ECS agent
  std::string dependency_url;    // DEPENDENCY_URL as given; empty when unset
  std::optional<Url> dependency;
  std::chrono::milliseconds dependency_timeout{1000};
};

// One environment variable the service reads, for --help and the docs.
struct SettingDoc {
  std::string_view name;
  std::string_view default_value;
  std::string_view allowed;
  std::string_view description;
};
const std::vector<SettingDoc>& setting_docs();

// Looks up an environment variable; std::nullopt when unset.
using Environment = std::function<std::optional<std::string>(std::string_view name)>;
Environment process_environment();

// Reads and validates every setting. `cpus` is what WORKERS defaults to (the CPUs the
// cgroup quota allows). A failure names the variable, the value and what is allowed.
Result<Config> load_config(const Environment& env, std::size_t cpus);

// Where a client on this machine reaches a service listening on `host` (a HOST value):
// the loopback address of its family for a wildcard (0.0.0.0 or ::), else `host` itself.
// Nothing when `host` is not an IP address, which HOST must be.
std::optional<std::string> local_address_for(std::string_view host);

// Facts worth a warning at start-up (a setting that works but is probably wrong).
std::vector<std::string> config_warnings(const Config& config);

}  // namespace hello::platform
