#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "platform/result.hpp"

namespace hello::platform {

// http://host[:port][/path]. The service's own checks speak plain HTTP: to itself in
// the container, to the ECS metadata endpoint, and to the load balancer's HTTP listener.
struct Url {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};
Result<Url> parse_url(std::string_view text);

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// One GET with everything (resolve, connect, send, receive) inside `timeout`.
Result<HttpAnswer> http_get(const Url& url, std::chrono::milliseconds timeout);

}  // namespace hello::platform
