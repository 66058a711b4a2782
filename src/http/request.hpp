#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
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

// Where one header field of a request sits in its connection's field storage.
struct FieldRef {
  std::uint32_t name_offset = 0;
  std::uint32_t name_size = 0;
  std::uint32_t value_offset = 0;
  std::uint32_t value_size = 0;
};

// One parsed request. Every view points into storage owned by the connection, valid
// while the request is being answered: for a synchronous handler, during the call; for
// an asynchronous one, until its coroutine completes (the connection reads nothing else
// meanwhile).
struct Request {
  Method method = Method::kOther;
  std::string_view method_text;  // as received, for methods outside the enum (kOther); else empty
  std::string_view target;       // as received
  // The target's path, percent-decoded (what routes match); "*" for asterisk-form.
  std::string_view path;
  std::string_view query;  // after '?', as received; empty for none
  int version = 11;        // 10 or 11
  bool keep_alive = true;
  std::string_view host;
  std::string_view request_id;     // X-Request-Id, when present and well-formed
  std::string_view trace_id;       // X-Amzn-Trace-Id (set by the ALB), when well-formed
  std::string_view forwarded_for;  // X-Forwarded-For, as received
  std::string_view user_agent;
  // "Expect: 100-continue" in an HTTP/1.1 request (RFC 9110 10.1.1; HTTP/1.0 clients
  // cannot ask for it).
  bool expect_continue = false;
  std::uint64_t body_bytes = 0;  // received so far (all of it once the handler runs)
  // The whole body, for a route's handler (bounded by the route's limit). Empty when the
  // answer did not need it (404, 405: given from the header alone).
  std::string_view body;

  // The value of the first field named `name` (any case), or nothing. Repeated fields
  // are not joined: use header_count() to tell.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
  std::size_t header_count(std::string_view name) const noexcept;
  // The media type of Content-Type without parameters, lower-cased ("application/json").
  std::string content_type() const;
  // The first query parameter named `name`, percent-decoded ('+' is a space), or
  // nothing; a parameter without '=' has an empty value. Malformed escapes are kept as
  // they are.
  std::optional<std::string> query_param(std::string_view name) const;

  // Field storage (set by the parser).
  const char* field_base = nullptr;
  const FieldRef* fields = nullptr;
  std::size_t field_count = 0;
};

// Percent-decodes `text` into `out` ('+' as a space when `plus_is_space`). False for a
// malformed escape or an encoded NUL.
bool percent_decode(std::string_view text, std::string& out, bool plus_is_space);

}  // namespace hello::http
