#include "http/router.hpp"

#include <stdexcept>

namespace hello::http {

namespace {
constexpr std::string_view kMethodNotAllowed = R"({"error":"method not allowed"})";
constexpr std::string_view kNotFound = R"({"error":"not found"})";
constexpr std::string_view kBadRequest = R"({"error":"bad request"})";
}  // namespace

void Router::get(std::string path, Handler handler, bool no_store) {
  if (routes_.size() == kMaxRoutes) {
    throw std::logic_error("too many routes");
  }
  routes_.push_back(Route{std::move(path), std::move(handler), no_store});
}

Router::Match Router::match(const Request& request) const noexcept {
  // OPTIONS * asks about the server as a whole.
  if (request.path == "*") {
    return {unmatched(), request.method == Method::kOptions ? Outcome::kOptions : Outcome::kBadAsterisk};
  }
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    if (routes_[i].path != request.path) {
      continue;
    }
    switch (request.method) {
      case Method::kGet:
      case Method::kHead:
        return {i, Outcome::kHandler};
      case Method::kOptions:
        return {i, Outcome::kOptions};
      default:
        return {i, Outcome::kMethodNotAllowed};
    }
  }
  return {unmatched(), Outcome::kNotFound};
}

Response Router::respond(const Match& match, const Request& request) const {
  switch (match.outcome) {
    case Outcome::kHandler: {
      const Route& r = routes_[match.route];
      // HEAD gets the GET answer; the response writer leaves out its body.
      Response response = r.handler(request);
      response.set_no_store(r.no_store);
      return response;  // moved or elided, never copied
    }
    case Outcome::kNotFound:
      return not_found_ ? not_found_(request) : Response(404, kNotFound);
    case Outcome::kMethodNotAllowed:
      return Response(405, kMethodNotAllowed).set_allow(kAllow);
    case Outcome::kOptions:
      return Response(204, {}).set_allow(kAllow);
    case Outcome::kBadAsterisk:
      break;
  }
  return Response(400, kBadRequest);
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
