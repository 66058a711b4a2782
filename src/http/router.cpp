#include "http/router.hpp"

#include <stdexcept>

namespace hello::http {

namespace {
constexpr std::string_view kMethodNotAllowed = R"({"error":"method not allowed"})";
constexpr std::string_view kNotFound = R"({"error":"not found"})";
constexpr std::string_view kBadRequest = R"({"error":"bad request"})";

// The order methods are listed in Allow.
constexpr Method kAllowOrder[] = {Method::kGet,    Method::kHead,  Method::kPost,    Method::kPut,
                                  Method::kDelete, Method::kPatch, Method::kOptions, Method::kTrace};

std::size_t index_of(Method m) noexcept { return static_cast<std::size_t>(m); }
}  // namespace

void Router::add(Method method, std::string path, Handler handler, RouteOptions options) {
  if (!handler) {
    throw std::logic_error("route without a handler: " + path);
  }
  add_endpoint(method, std::move(path), Endpoint{std::move(handler), {}, options});
}

void Router::add_async(Method method, std::string path, AsyncHandler handler, RouteOptions options) {
  if (!handler) {
    throw std::logic_error("route without a handler: " + path);
  }
  add_endpoint(method, std::move(path), Endpoint{{}, std::move(handler), options});
}

void Router::add_endpoint(Method method, std::string path, Endpoint endpoint) {
  if (method == Method::kHead || method == Method::kOptions || method == Method::kOther || method == Method::kConnect) {
    throw std::logic_error(
        "HEAD and OPTIONS follow from the other routes; CONNECT and unknown methods cannot be routed");
  }
  if (path.empty() || path.front() != '/') {
    throw std::logic_error("a route's path starts with '/': " + path);
  }
  Path& p = path_for(method, std::move(path));
  if (p.endpoint[index_of(method)] != 0) {
    throw std::logic_error("route registered twice: " + std::string(method_name(method)) + " " + p.path);
  }
  endpoints_.push_back(std::move(endpoint));
  p.endpoint[index_of(method)] = static_cast<std::uint16_t>(endpoints_.size());
  compute_allow(p);
}

Router::Path& Router::path_for(Method, std::string path) {
  for (Path& p : paths_) {
    if (p.path == path) {
      return p;
    }
  }
  if (paths_.size() == kMaxRoutes) {
    throw std::logic_error("too many routes (at most " + std::to_string(kMaxRoutes) + " paths)");
  }
  paths_.push_back(Path{std::move(path), {}, {}});
  return paths_.back();
}

void Router::compute_allow(Path& p) {
  p.allow.clear();
  for (const Method m : kAllowOrder) {
    const bool has = m == Method::kOptions || p.endpoint[index_of(m)] != 0 ||
                     (m == Method::kHead && p.endpoint[index_of(Method::kGet)] != 0);
    if (has) {
      if (!p.allow.empty()) {
        p.allow.append(", ");
      }
      p.allow.append(method_name(m));
    }
  }
}

Router::Match Router::match(Method method, std::string_view path) const noexcept {
  // OPTIONS * asks about the server as a whole.
  if (path == "*") {
    return {unmatched(), method == Method::kOptions ? Outcome::kOptions : Outcome::kBadAsterisk, 0, false,
            std::nullopt};
  }
  for (std::size_t i = 0; i < paths_.size(); ++i) {
    const Path& p = paths_[i];
    if (p.path != path) {
      continue;
    }
    std::uint16_t e = p.endpoint[index_of(method)];
    if (e == 0 && method == Method::kHead) {
      e = p.endpoint[index_of(Method::kGet)];  // HEAD gets the GET answer, without its body
    }
    if (e == 0) {
      return {i, method == Method::kOptions ? Outcome::kOptions : Outcome::kMethodNotAllowed, 0, false, std::nullopt};
    }
    const Endpoint& endpoint = endpoints_[e - 1U];
    return {i, Outcome::kHandler, static_cast<std::uint16_t>(e - 1U), static_cast<bool>(endpoint.async),
            endpoint.options.max_body_bytes};
  }
  return {unmatched(), Outcome::kNotFound, 0, false, std::nullopt};
}

Response Router::respond(const Match& match, const Request& request) const {
  switch (match.outcome) {
    case Outcome::kHandler: {
      const Endpoint& e = endpoints_[match.handler];
      if (!e.handler) {
        throw std::logic_error("respond() called for an asynchronous route");
      }
      Response response = e.handler(request);
      response.set_no_store(response.no_store() || e.options.no_store);
      return response;  // moved or elided, never copied
    }
    case Outcome::kNotFound:
      return not_found_ ? not_found_(request) : Response(404, kNotFound);
    case Outcome::kMethodNotAllowed:
      return Response(405, kMethodNotAllowed).set_allow(paths_[match.route].allow);
    case Outcome::kOptions:
      return Response(204, {}).set_allow(match.route < paths_.size() ? std::string_view(paths_[match.route].allow)
                                                                     : std::string_view("GET, HEAD, OPTIONS"));
    case Outcome::kBadAsterisk:
      break;
  }
  return Response(400, kBadRequest);
}

boost::asio::awaitable<Response> Router::start(const Match& match, Request request) const {
  const Endpoint& e = endpoints_.at(match.handler);
  if (!e.async) {
    throw std::logic_error("start() called for a synchronous route");
  }
  return e.async(request);
}

void Router::finish(const Match& match, Response& response) const noexcept {
  if (match.outcome == Outcome::kHandler && match.handler < endpoints_.size()) {
    response.set_no_store(response.no_store() || endpoints_[match.handler].options.no_store);
  }
}

std::vector<std::string_view> Router::labels() const {
  std::vector<std::string_view> out;
  out.reserve(paths_.size() + 1);
  for (const Path& p : paths_) {
    out.emplace_back(p.path);
  }
  out.emplace_back("unmatched");
  return out;
}

std::string_view Router::allow(std::string_view path) const noexcept {
  for (const Path& p : paths_) {
    if (p.path == path) {
      return p.allow;
    }
  }
  return {};
}

}  // namespace hello::http
