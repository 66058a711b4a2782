#pragma once

#include <cstddef>
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
class Router {
 public:
  static constexpr std::string_view kAllow = "GET, HEAD, OPTIONS";
  // Route index reported for requests that matched no route (and for requests that
  // could not be parsed at all).
  static constexpr std::size_t kMaxRoutes = 15;

  struct Result {
    Response response;
    std::size_t route;  // index into labels(), or unmatched()
  };

  // Registers a GET route. `no_store` marks answers about the live process.
  void get(std::string path, Handler handler, bool no_store = false);
  void set_not_found(Handler handler) { not_found_ = std::move(handler); }

  Result route(const Request& request) const;

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
