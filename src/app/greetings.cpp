// POST /v1/greetings: a JSON request and a JSON response, in one file. The framework has
// already bounded the body (the route's 64 KiB limit, 413 over it), logged and counted
// the request by its route; this file only reads the body and answers.
#include "app/routes.hpp"

#include <string>

#include <nlohmann/json.hpp>

namespace hello::app {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxNameChars = 64;

http::Response error(int status, std::string_view message, std::string_view field = {}) {
  json body = {{"error", message}};
  if (!field.empty()) {
    body["field"] = field;
  }
  return http::Response::owned(status, body.dump());
}

// Characters, not bytes: a name of 64 letters of any script is fine.
std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s) {
    n += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
  }
  return n;
}

http::Response greet(const http::Request& request) {
  if (request.content_type() != "application/json") {
    return error(415, "Content-Type must be application/json");
  }
  // No exceptions for a bad body: parse() with allow_exceptions=false gives a discarded
  // value instead. (The framework would answer a throw with 500.)
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    return error(400, "malformed JSON");
  }
  if (!body.is_object()) {
    return error(400, "the body must be a JSON object");
  }
  const auto name = body.find("name");
  if (name == body.end() || !name->is_string()) {
    return error(400, "name is required and must be a string", "name");
  }
  const std::string& text = name->get_ref<const std::string&>();
  if (text.empty()) {
    return error(400, "name must not be empty", "name");
  }
  if (utf8_length(text) > kMaxNameChars) {
    return error(400, "name must be at most 64 characters", "name");
  }
  return http::Response::owned(200, json{{"message", "Hello, " + text + "!"}}.dump());
}

}  // namespace

void add_greetings(http::Router& router) {
  http::RouteOptions options;
  options.max_body_bytes = std::uint64_t{64} * 1024;  // 413 over it, before the handler runs
  router.post("/v1/greetings", greet, options);
}

}  // namespace hello::app
