#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"
#include "http/response.hpp"

namespace hello::http {

// Handlers are functions of the request: they never see sockets, so tests and
// benchmarks call them directly.
using Handler = std::function<Response(const Request&)>;

// Maps a path to the handler of its GET. HEAD and OPTIONS follow from GET; any other
// method gets 405 with Allow; an unknown path gets the not-found handler's answer.
// Built once at start-up, then only read (from every worker thread at once).
//
// Routing has two steps, so that an answer the header already decides never waits for
// the body: match() looks at the header alone; respond() produces the answer, calling
// the route's handler once the whole request has arrived.
class Router {
 public:
  static constexpr std::string_view kAllow = "GET, HEAD, OPTIONS";
  // Route index reported for requests that matched no route (and for requests that
  // could not be parsed at all).
  static constexpr std::size_t kMaxRoutes = 15;

  // What the header alone decides.
  enum class Outcome : std::uint8_t {
    kHandler,           // the route's handler answers, after the whole request (body included)
    kNotFound,          // the not-found handler answers
    kMethodNotAllowed,  // 405 with Allow
    kOptions,           // 204 with Allow
    kBadAsterisk,       // "*" with a method other than OPTIONS: 400
  };
  struct Match {
    std::size_t route;  // index into labels(), or unmatched()
    Outcome outcome;
    // Whether the request's body is read before the answer. Otherwise the answer is known
    // from the header, and it is given at once.
    bool takes_body() const noexcept { return outcome == Outcome::kHandler; }
  };

  struct Result {
    Response response;
    std::size_t route;  // index into labels(), or unmatched()
  };

  // Registers a GET route. `no_store` marks answers about the live process.
  void get(std::string path, Handler handler, bool no_store = false);
  void set_not_found(Handler handler) { not_found_ = std::move(handler); }

  Match match(const Request& request) const noexcept;
  // The answer to a matched request. Calls a handler, which may throw: the caller's
  // exception boundary covers this call and nothing else.
  Response respond(const Match& match, const Request& request) const;
  // Both steps at once.
  Result route(const Request& request) const {
    const Match m = match(request);
    return {respond(m, request), m.route};
  }

  // Route labels for metrics: the registered paths, then "unmatched".
  std::vector<std::string_view> labels() const;
  std::size_t unmatched() const noexcept { return routes_.size(); }

 private:
  struct Route {
    std::string path;
    Handler handler;
    bool no_store;
  };
  std::vector<Route> routes_;
  Handler not_found_;
};

}  // namespace hello::http
