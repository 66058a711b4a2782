#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "platform/http_client.hpp"

namespace hello::cli {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// No attempt starts with less time than this before the deadline: it could only report
// its own timeout, and that would hide the problem the earlier attempts saw.
constexpr milliseconds kShortestAttempt{250};

platform::Url with_path(platform::Url base, const std::string& leaf) {
  std::string& t = base.target;
  const std::size_t query = t.find('?');
  if (query != std::string::npos) {
    t.resize(query);
  }
  if (t.empty() || t.back() != '/') {
    t.push_back('/');
  }
  t += leaf;
  return base;
}

// One round: /health must answer 200, /info must answer 200 with the expected version.
// Returns the problem, or an empty string for a healthy round.
std::string check_once(const platform::Url& base, const std::string& expected, milliseconds timeout,
                       std::string& seen_version) {
  const auto health = platform::http_get(with_path(base, "health"), timeout);
  if (!health) {
    return "/health: " + health.error();
  }
  if (health.value().status != 200) {
    return "/health answered " + std::to_string(health.value().status);
  }
  const auto info = platform::http_get(with_path(base, "info"), timeout);
  if (!info) {
    return "/info: " + info.error();
  }
  if (info.value().status != 200) {
    return "/info answered " + std::to_string(info.value().status);
  }
  const auto json = nlohmann::json::parse(info.value().body, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("version") || !json["version"].is_string()) {
    return "/info is not JSON with a version";
  }
  seen_version = json["version"].get<std::string>();
  if (!expected.empty() && seen_version != expected) {
    return "/info reports version " + seen_version + ", expected " + expected;
  }
  return {};
}

}  // namespace

// The pipeline's post-deploy check: N consecutive healthy answers, each from whichever
// task the load balancer picks, with the expected version, within a deadline.
int verify(const std::vector<std::string>& args) {
  std::string error;
  const auto options =
      Options::parse(args, {"url", "expect-version", "consecutive", "deadline-s", "interval-ms"}, error);
  if (!options) {
    std::fprintf(stderr, "hello-service verify: %s\n", error.c_str());
    return kExitUsage;
  }
  const auto url_text = options->get("url");
  if (!url_text) {
    std::fprintf(stderr, "hello-service verify: --url is required\n");
    return kExitUsage;
  }
  const auto url = platform::parse_url(*url_text);
  if (!url) {
    std::fprintf(stderr, "hello-service verify: --url %s\n", url.error().c_str());
    return kExitUsage;
  }
  const auto consecutive = options->integer("consecutive", 5, 1, 1000, error);
  const auto deadline_s = options->integer("deadline-s", 300, 1, 86400, error);
  const auto interval_ms = options->integer("interval-ms", 2000, 0, 600000, error);
  if (!consecutive || !deadline_s || !interval_ms) {
    std::fprintf(stderr, "hello-service verify: %s\n", error.c_str());
    return kExitUsage;
  }
  const std::string expected = options->get("expect-version").value_or("");

  const Clock::time_point started = Clock::now();
  const Clock::time_point deadline = started + std::chrono::seconds{*deadline_s};
  long long streak = 0;
  long long best = 0;
  long long attempts = 0;
  std::string last_problem = "no answer yet";
  std::string version;
  for (;;) {
    ++attempts;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    const milliseconds timeout = std::clamp(left, milliseconds{1}, milliseconds{5000});
    const std::string problem = check_once(url.value(), expected, timeout, version);
    if (problem.empty()) {
      best = std::max(best, ++streak);
      if (streak >= *consecutive) {
        const double took = std::chrono::duration<double>(Clock::now() - started).count();
        std::printf("verify: PASS %s: %lld consecutive healthy answers%s%s after %.1f s (%lld attempts)\n",
                    url_text->c_str(), streak, expected.empty() ? "" : ", version ",
                    expected.empty() ? "" : expected.c_str(), took, attempts);
        return kExitOk;
      }
    } else {
      if (problem != last_problem || streak > 0) {
        std::fprintf(stderr, "verify: attempt %lld: %s\n", attempts, problem.c_str());
      }
      streak = 0;
      last_problem = problem;
    }
    const Clock::time_point next = Clock::now() + milliseconds{*interval_ms};
    if (next + kShortestAttempt > deadline) {
      break;
    }
    std::this_thread::sleep_until(next);
  }
  std::printf(
      "verify: FAIL %s: no %lld consecutive healthy answers within %lld s (best streak %lld, %lld attempts); "
      "last problem: %s\n",
      url_text->c_str(), *consecutive, *deadline_s, best, attempts, last_problem.c_str());
  return kExitFailure;
}

}  // namespace hello::cli
