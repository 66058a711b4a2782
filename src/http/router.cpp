#include "http/router.hpp"

#include <stdexcept>

namespace hello::http {

namespace {
constexpr std::string_view kMethodNotAllowed = R"({"error":"method not allowed"})";
constexpr std::string_view kNotFound = R"({"error":"not found"})";
}  // namespace

void Router::get(std::string path, Handler handler, bool no_store) {
  if (routes_.size() == kMaxRoutes) {
    throw std::logic_error("too many routes");
  }
  routes_.push_back(Route{std::move(path), std::move(handler), no_store});
}

Router::Result Router::route(const Request& request) const {
  // OPTIONS * asks about the server as a whole.
  if (request.path == "*") {
    if (request.method == Method::kOptions) {
      return {Response(204, {}).set_allow(kAllow), unmatched()};
    }
    return {Response(400, R"({"error":"bad request"})"), unmatched()};
  }
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const Route& r = routes_[i];
    if (r.path != request.path) {
      continue;
    }
    switch (request.method) {
      case Method::kGet:
        return {r.handler(request).set_no_store(r.no_store), i};
      case Method::kHead:
        return {r.handler(request).set_no_store(r.no_store).set_head_only(), i};
      case Method::kOptions:
        return {Response(204, {}).set_allow(kAllow), i};
      default:
        return {Response(405, kMethodNotAllowed).set_allow(kAllow), i};
    }
  }
  Response response = not_found_ ? not_found_(request) : Response(404, kNotFound);
  if (request.method == Method::kHead) {
    response.set_head_only();
  }
  return {std::move(response), unmatched()};
}

std::vector<std::string_view> Router::labels() const {
  std::vector<std::string_view> out;
  out.reserve(routes_.size() + 1);
  for (const Route& r : routes_) {
    out.emplace_back(r.path);
  }
  out.emplace_back("unmatched");
  return out;
}

}  // namespace hello::http
