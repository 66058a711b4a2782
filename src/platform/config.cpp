#include "platform/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <boost/asio/ip/address.hpp>

#include "platform/http_client.hpp"

namespace hello::platform {

namespace {

using std::chrono::milliseconds;

// Names, defaults and allowed values in one place: parsing and --help both use them.
const std::vector<SettingDoc> kSettings = {
    {"PORT", "5000", "an integer from 0 to 65535 (0: any free port)", "TCP port to listen on"},
    {"HOST", "0.0.0.0", "an IPv4 or IPv6 address", "address to listen on (:: for IPv6 and IPv4)"},
    {"WORKERS", "auto", "auto, or an integer from 1 to 256",
     "worker threads; auto: the CPUs the cgroup quota allows, at least 1"},
    {"APP_ENV", "development", "1 to 64 characters of A-Z a-z 0-9 . _ -",
     "environment name, reported in /info, logs and metrics"},
    {"LOG_LEVEL", "info", "debug, info, warn or error", "least severe level logged"},
    {"LOG_FORMAT", "json", "json or text", "log line format (json for CloudWatch)"},
    {"ACCESS_LOG", "on", "on or off (also true/false, 1/0, yes/no)", "one log line per request"},
    {"METRICS_ENABLED", "true", "true or false (also on/off, 1/0, yes/no)", "serve GET /metrics (404 when off)"},
    {"MAX_HEADER_BYTES", "16384", "an integer from 1024 to 1048576", "largest request header block (else 431)"},
    {"MAX_TARGET_BYTES", "8192", "an integer from 64 to MAX_HEADER_BYTES", "longest request target (else 414)"},
    {"MAX_BODY_BYTES", "1048576", "an integer from 0 to 1073741824", "largest request body (else 413)"},
    {"MAX_CONNECTIONS", "10000", "an integer from 1 to 1000000", "open connections; more are closed at once"},
    {"MAX_REQUESTS_PER_CONNECTION", "0", "an integer from 0 to 1000000000 (0: no limit)",
     "requests served on one connection before it closes"},
    {"HEADER_TIMEOUT_S", "10", "seconds from 0.05 to 3600",
     "time to receive a request's header, from the accept for a connection's first (else 408)"},
    {"BODY_TIMEOUT_S", "30", "seconds from 0.05 to 3600",
     "time to receive a whole request body, for requests answered after it (else 408)"},
    {"IDLE_TIMEOUT_S", "75", "seconds from 0.05 to 3600",
     "idle keep-alive connections close after this; keep it above the ALB's 60 s"},
    {"DRAIN_DELAY_S", "10", "seconds from 0 to 3600",
     "after SIGTERM: keep serving this long with /ready answering 503"},
    {"SHUTDOWN_TIMEOUT_S", "25", "seconds from 0.05 to 3600, more than DRAIN_DELAY_S",
     "after SIGTERM: the deadline for exiting; keep it below ECS stopTimeout"},
    {"EMF_INTERVAL_S", "60", "0 (off) or seconds from 1 to 3600", "interval of the CloudWatch EMF metric records"},
    {"HANDLER_TIMEOUT_S", "10", "seconds from 0.05 to 3600",
     "time an asynchronous handler may take (else 503, and the connection closes)"},
    {"DEPENDENCY_URL", "off", "http://host[:port][/path] (plain HTTP), or off (also empty)",
     "the service GET /v1/dependency calls; off: that route answers 503"},
    {"DEPENDENCY_TIMEOUT_MS", "1000", "an integer from 1 to 600000",
     "time for the whole call to DEPENDENCY_URL (else 504)"},
};

const SettingDoc& doc(std::string_view name) {
  for (const SettingDoc& d : kSettings) {
    if (d.name == name) {
      return d;
    }
  }
  std::abort();  // every name used below is in the table
}

// The first problem found, as the one line the operator sees.
class Errors {
 public:
  void fail(std::string_view name, std::string_view value, std::string_view allowed) {
    if (message_.empty()) {
      message_ = std::string(name) + "=\"" + std::string(value) + "\" is not allowed: expected " + std::string(allowed);
    }
  }
  bool any() const { return !message_.empty(); }
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

class Reader {
 public:
  Reader(const Environment& env, Errors& errors) : env_(env), errors_(errors) {}

  std::optional<std::string> raw(std::string_view name) const { return env_(name); }

  template <class Int>
  void integer(std::string_view name, Int& out, std::uint64_t min, std::uint64_t max) {
    const auto text = env_(name);
    if (!text) {
      return;
    }
    std::uint64_t v = 0;
    const char* end = text->data() + text->size();
    const auto r = std::from_chars(text->data(), end, v);
    if (text->empty() || r.ec != std::errc() || r.ptr != end || v < min || v > max) {
      errors_.fail(name, *text, doc(name).allowed);
      return;
    }
    out = static_cast<Int>(v);
  }

  void seconds(std::string_view name, milliseconds& out, double min, double max, bool zero_allowed = false) {
    const auto text = env_(name);
    if (!text) {
      return;
    }
    double v = 0;
    const char* end = text->data() + text->size();
    const auto r = std::from_chars(text->data(), end, v);
    const bool in_range = (v >= min && v <= max) || (zero_allowed && v == 0.0);
    if (text->empty() || r.ec != std::errc() || r.ptr != end || !std::isfinite(v) || !in_range) {
      errors_.fail(name, *text, doc(name).allowed);
      return;
    }
    out = milliseconds{static_cast<std::int64_t>(std::llround(v * 1000.0))};
  }

  void boolean(std::string_view name, bool& out) {
    const auto text = env_(name);
    if (!text) {
      return;
    }
    std::string v = *text;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (v == "on" || v == "true" || v == "1" || v == "yes") {
      out = true;
    } else if (v == "off" || v == "false" || v == "0" || v == "no") {
      out = false;
    } else {
      errors_.fail(name, *text, doc(name).allowed);
    }
  }

  template <class Enum>
  void choice(std::string_view name, Enum& out, std::initializer_list<std::pair<std::string_view, Enum>> options) {
    const auto text = env_(name);
    if (!text) {
      return;
    }
    for (const auto& [word, value] : options) {
      if (*text == word) {
        out = value;
        return;
      }
    }
    errors_.fail(name, *text, doc(name).allowed);
  }

  Errors& errors() { return errors_; }

 private:
  const Environment& env_;
  Errors& errors_;
};

std::string format_seconds(milliseconds ms) {
  const auto whole = ms.count() / 1000;
  const auto frac = ms.count() % 1000;
  std::string out = std::to_string(whole);
  if (frac != 0) {
    std::string digits = std::to_string(1000 + frac).substr(1);
    while (digits.back() == '0') {
      digits.pop_back();
    }
    out += "." + digits;
  }
  return out;
}

bool valid_env_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

const std::vector<SettingDoc>& setting_docs() { return kSettings; }

Environment process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

Result<Config> load_config(const Environment& env, std::size_t cpus) {
  Config c;
  c.workers = std::max<std::size_t>(cpus, 1);
  Errors errors;
  Reader read(env, errors);

  read.integer("PORT", c.port, 0, 65535);
  if (const auto host = read.raw("HOST")) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(*host, ec);
    if (ec) {
      errors.fail("HOST", *host, doc("HOST").allowed);
    } else {
      c.host = *host;
    }
  }
  if (const auto workers = read.raw("WORKERS"); workers && *workers != "auto") {
    read.integer("WORKERS", c.workers, 1, 256);
    c.workers_from_cpu_quota = false;
  }
  if (const auto app_env = read.raw("APP_ENV")) {
    if (valid_env_name(*app_env)) {
      c.app_env = *app_env;
    } else {
      errors.fail("APP_ENV", *app_env, doc("APP_ENV").allowed);
    }
  }
  using observability::LogFormat;
  using observability::LogLevel;
  read.choice(
      "LOG_LEVEL", c.log_level,
      {{"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo}, {"warn", LogLevel::kWarn}, {"error", LogLevel::kError}});
  read.choice("LOG_FORMAT", c.log_format, {{"json", LogFormat::kJson}, {"text", LogFormat::kText}});
  read.boolean("ACCESS_LOG", c.access_log);
  read.boolean("METRICS_ENABLED", c.metrics_enabled);

  http::Limits& l = c.limits;
  read.integer("MAX_HEADER_BYTES", l.max_header_bytes, 1024, std::uint64_t{1} << 20U);
  read.integer("MAX_TARGET_BYTES", l.max_target_bytes, 64, std::uint64_t{1} << 20U);
  read.integer("MAX_BODY_BYTES", l.max_body_bytes, 0, std::uint64_t{1} << 30U);
  read.integer("MAX_CONNECTIONS", l.max_connections, 1, 1000000);
  read.integer("MAX_REQUESTS_PER_CONNECTION", l.max_requests_per_connection, 0, 1000000000);
  read.seconds("HEADER_TIMEOUT_S", l.header_timeout, 0.05, 3600);
  read.seconds("BODY_TIMEOUT_S", l.body_timeout, 0.05, 3600);
  read.seconds("IDLE_TIMEOUT_S", l.idle_timeout, 0.05, 3600);
  read.seconds("DRAIN_DELAY_S", c.drain_delay, 0, 3600);
  read.seconds("SHUTDOWN_TIMEOUT_S", c.shutdown_timeout, 0.05, 3600);
  read.seconds("EMF_INTERVAL_S", c.emf_interval, 1, 3600, /*zero_allowed=*/true);
  read.seconds("HANDLER_TIMEOUT_S", l.handler_timeout, 0.05, 3600);
  if (const auto url = read.raw("DEPENDENCY_URL"); url && !url->empty() && *url != "off") {
    auto parsed = parse_url(*url);
    if (parsed) {
      c.dependency_url = *url;
      c.dependency = std::move(parsed).value();
    } else {
      errors.fail("DEPENDENCY_URL", *url, std::string(doc("DEPENDENCY_URL").allowed) + ": " + parsed.error());
    }
  }
  std::int64_t dependency_ms = c.dependency_timeout.count();
  read.integer("DEPENDENCY_TIMEOUT_MS", dependency_ms, 1, 600000);
  c.dependency_timeout = milliseconds{dependency_ms};
  if (const auto uri = read.raw("ECS_CONTAINER_METADATA_URI_V4")) {
    c.ecs_metadata_uri = *uri;
  }

  // Rules between settings, checked once each is valid on its own.
  if (!errors.any() && l.max_target_bytes > l.max_header_bytes) {
    errors.fail("MAX_TARGET_BYTES", std::to_string(l.max_target_bytes),
                "at most MAX_HEADER_BYTES (" + std::to_string(l.max_header_bytes) + ")");
  }
  if (!errors.any() && c.shutdown_timeout <= c.drain_delay) {
    const auto text = env("SHUTDOWN_TIMEOUT_S").value_or(std::string(doc("SHUTDOWN_TIMEOUT_S").default_value));
    errors.fail("SHUTDOWN_TIMEOUT_S", text,
                "more than DRAIN_DELAY_S (" + format_seconds(c.drain_delay) +
                    " s), so that in-flight requests can finish after the drain delay");
  }
  if (errors.any()) {
    return Result<Config>::failure(errors.message());
  }
  return c;
}

std::optional<std::string> local_address_for(std::string_view host) {
  boost::system::error_code ec;
  const boost::asio::ip::address address = boost::asio::ip::make_address(host, ec);
  if (ec) {
    return std::nullopt;
  }
  if (!address.is_unspecified()) {
    return std::string(host);
  }
  return address.is_v6() ? "::1" : "127.0.0.1";
}

std::vector<std::string> config_warnings(const Config& c) {
  std::vector<std::string> out;
  if (c.limits.idle_timeout <= std::chrono::seconds{60}) {
    out.emplace_back(
        "IDLE_TIMEOUT_S is not above 60 s, the ALB's idle timeout: behind an ALB, requests sent on connections the "
        "service is closing turn into 502s");
  }
  return out;
}

}  // namespace hello::platform
