#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // before Asio 1.18's awaitable.hpp, which uses std::exchange without it
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "http/request.hpp"
#include "http/response.hpp"

namespace hello::http {

// A handler is a function of the request: it never sees sockets, so tests and benchmarks
// call it directly. A synchronous one answers on the worker's thread at once (for work
// of microseconds: no I/O, no locks held long).
using Handler = std::function<Response(const Request&)>;
// An asynchronous one is a coroutine on its worker's executor: it may await I/O (an
// outbound call, a timer, offloaded work) while the worker serves other connections. The
// request's views stay valid until it completes.
using AsyncHandler = std::function<boost::asio::awaitable<Response>(Request)>;

// What a route may set besides its handler.
struct RouteOptions {
  // Cache-Control: no-store on every answer (answers about the live process).
  bool no_store = false;
  // The largest body this route accepts (over it: 413); unset: MAX_BODY_BYTES.
  std::optional<std::uint64_t> max_body_bytes;
};

// Maps a method and a path to a handler. Built once at start-up, then only read (from
// every worker thread at once).
//
// Per path, from what is registered: HEAD follows GET (unless registered itself);
// OPTIONS is answered 204 with Allow (unless registered); any other method gets 405
// with the same Allow. An unknown path gets the not-found handler's answer.
//
// Routing has two steps, so that an answer the header already decides never waits for
// the body: match() looks at the header alone (the parser calls it once the header is
// complete, to apply the route's body limit); respond() or start() produces the answer
// once the whole request has arrived.
class Router {
 public:
  // Paths a router holds at most. The metrics keep one series per path and one for
  // "unmatched", sized from this.
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
    std::size_t route = 0;  // the path's index into labels(), or unmatched()
    Outcome outcome = Outcome::kNotFound;
    std::uint16_t handler = 0;                    // index of the handler (kHandler only)
    bool async = false;                           // the handler is a coroutine
    std::optional<std::uint64_t> max_body_bytes;  // the route's own body limit
    // Whether the request's body is read before the answer. Otherwise the answer is known
    // from the header, and it is given at once.
    bool takes_body() const noexcept { return outcome == Outcome::kHandler; }
  };

  struct Result {
    Response response;
    std::size_t route;  // index into labels(), or unmatched()
  };

  // Registers a handler for `method` on `path` (an exact, decoded path: the metrics label
  // it). Throws std::logic_error for a repeated method and path, a HEAD or OPTIONS
  // route (they follow from the others), or more than kMaxRoutes paths.
  void add(Method method, std::string path, Handler handler, RouteOptions options = {});
  void add_async(Method method, std::string path, AsyncHandler handler, RouteOptions options = {});
  // Shorthands.
  void get(std::string path, Handler handler, bool no_store = false) {
    add(Method::kGet, std::move(path), std::move(handler), RouteOptions{no_store, std::nullopt});
  }
  void post(std::string path, Handler handler, RouteOptions options = {}) {
    add(Method::kPost, std::move(path), std::move(handler), options);
  }
  void set_not_found(Handler handler) { not_found_ = std::move(handler); }

  Match match(Method method, std::string_view path) const noexcept;
  Match match(const Request& request) const noexcept { return match(request.method, request.path); }
  // The answer to a matched request whose handler is synchronous, or whose answer the
  // header decides. Calls a handler, which may throw: the caller's exception boundary
  // covers this call and nothing else.
  Response respond(const Match& match, const Request& request) const;
  // The coroutine answering a matched request whose handler is asynchronous. The
  // no-store flag is applied when it completes (finish()).
  boost::asio::awaitable<Response> start(const Match& match, Request request) const;
  void finish(const Match& match, Response& response) const noexcept;
  // Both steps at once (synchronous handlers).
  Result route(const Request& request) const {
    const Match m = match(request);
    return {respond(m, request), m.route};
  }

  // Route labels for metrics: the registered paths, then "unmatched".
  std::vector<std::string_view> labels() const;
  std::size_t unmatched() const noexcept { return paths_.size(); }
  // The Allow value of a path ("GET, HEAD, OPTIONS"); empty for an unknown path.
  std::string_view allow(std::string_view path) const noexcept;

 private:
  struct Endpoint {
    Handler handler;
    AsyncHandler async;
    RouteOptions options;
  };
  struct Path {
    std::string path;
    std::string allow;
    // Endpoint index + 1 per method; 0 for none.
    std::array<std::uint16_t, kMethodCount> endpoint{};
  };
  Path& path_for(Method method, std::string path);
  void add_endpoint(Method method, std::string path, Endpoint endpoint);
  static void compute_allow(Path& path);

  std::vector<Path> paths_;
  std::vector<Endpoint> endpoints_;
  Handler not_found_;
};

}  // namespace hello::http
