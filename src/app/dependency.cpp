// GET /v1/dependency: an asynchronous call to another service. The handler is a
// coroutine on its worker's executor: while it waits for the dependency, the worker
// serves every other connection. The framework times it out (HANDLER_TIMEOUT_S) and
// waits for it in the drain.
#include "app/routes.hpp"

#include <string>

#include <nlohmann/json.hpp>

#include "platform/async_http_client.hpp"

namespace hello::app {

namespace {

using nlohmann::ordered_json;
using Outcome = platform::CallResult::Outcome;

double milliseconds(std::chrono::nanoseconds d) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) / 1000.0;
}

}  // namespace

void add_dependency(http::Router& router, const AppState& state) {
  // Rendered once: the body when DEPENDENCY_URL is unset.
  const std::string unset = R"({"error":"DEPENDENCY_URL is not set"})";
  http::RouteOptions options;
  options.no_store = true;  // an answer about the dependency now
  router.add_async(
      http::Method::kGet, "/v1/dependency",
      [&state, unset](http::Request) -> boost::asio::awaitable<http::Response> {
        if (!state.dependency) {
          co_return http::Response::owned(503, unset);
        }
        const platform::CallResult call =
            co_await platform::async_http_get(*state.dependency, state.dependency_timeout);
        ordered_json body;
        int status = 200;
        switch (call.outcome) {
          case Outcome::kAnswered:
            // A 5xx is the dependency failing; any other answer is its status.
            status = call.status >= 500 ? 502 : 200;
            body = {{"dependency", {{"status", call.status}, {"latency_ms", milliseconds(call.latency)}}}};
            if (status == 502) {
              body["error"] = "dependency answered " + std::to_string(call.status);
            }
            break;
          case Outcome::kFailed:
            status = 502;
            body = {{"error", "dependency failed: " + call.error}, {"latency_ms", milliseconds(call.latency)}};
            break;
          case Outcome::kTimedOut:
            status = 504;
            body = {{"error", "dependency timed out after " + std::to_string(state.dependency_timeout.count()) + " ms"},
                    {"latency_ms", milliseconds(call.latency)}};
            break;
        }
        co_return http::Response::owned(status, body.dump());
      },
      options);
}

}  // namespace hello::app
