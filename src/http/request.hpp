#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hello::http {

// The methods the service tells apart. Anything else is kOther: it still gets a proper
// 405 or 404, but metrics and logs use a bounded label set.
enum class Method : std::uint8_t {
  kGet,
  kHead,
  kPost,
  kPut,
  kDelete,
  kPatch,
  kOptions,
  kConnect,
  kTrace,
  kOther,
};
inline constexpr std::size_t kMethodCount = 10;

std::string_view method_name(Method method) noexcept;

// One parsed request. Every view points into storage owned by the connection and is
// valid only while the request is being answered.
struct Request {
  Method method = Method::kOther;
  std::string_view method_text;  // as received, for methods outside the enum (kOther); else empty
  std::string_view target;       // as received
  std::string_view path;         // target without query; "*" for asterisk-form
  int version = 11;              // 10 or 11
  bool keep_alive = true;
  std::string_view host;
  std::string_view request_id;     // X-Request-Id, when present and well-formed
  std::string_view trace_id;       // X-Amzn-Trace-Id (set by the ALB), when well-formed
  std::string_view forwarded_for;  // X-Forwarded-For, as received
  std::string_view user_agent;
  // "Expect: 100-continue" in an HTTP/1.1 request (RFC 9110 10.1.1; HTTP/1.0 clients
  // cannot ask for it).
  bool expect_continue = false;
  std::uint64_t body_bytes = 0;  // read and discarded
};

}  // namespace hello::http
