#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hello::http {

inline constexpr std::string_view kJson = "application/json";
inline constexpr std::string_view kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

// A response as handlers produce it. The HTTP layer adds the framing and the headers
// every response carries (Date, Content-Length, X-Request-Id, ...), and decides from
// the request whether the body is sent at all (never for HEAD).
//
// The body is either a view of storage that outlives the response (bodies rendered
// once at start-up: the hot path allocates nothing) or a string the response owns.
// The status is any final status (200 to 999); the writer takes its reason phrase from
// Beast's table.
class Response {
 public:
  Response() = default;
  // `content_type` is a view too: a constant, or see set_content_type().
  Response(int status, std::string_view static_body, std::string_view content_type = kJson)
      : status_(status), content_type_(content_type), static_body_(static_body) {}

  static Response owned(int status, std::string body, std::string_view content_type = kJson) {
    Response r(status, {}, content_type);
    r.owned_body_ = std::move(body);
    r.owns_body_ = true;
    return r;
  }

  int status() const noexcept { return status_; }
  std::string_view content_type() const noexcept {
    return owns_content_type_ ? std::string_view(owned_content_type_) : content_type_;
  }
  std::string_view body() const noexcept { return owns_body_ ? std::string_view(owned_body_) : static_body_; }

  // A content type the response keeps a copy of (one computed at run time). Throws
  // std::invalid_argument for a value no header may carry (CR, LF, NUL).
  Response& set_content_type(std::string_view value);

  // Cache-Control: no-store, for answers that describe the live process.
  bool no_store() const noexcept { return no_store_; }
  Response& set_no_store(bool value = true) noexcept {
    no_store_ = value;
    return *this;
  }

  // The Allow header (405 and OPTIONS answers); empty for none.
  std::string_view allow() const noexcept { return allow_; }
  Response& set_allow(std::string_view value) noexcept {
    allow_ = value;
    return *this;
  }

  // An extra header (Location, Retry-After, ETag, ...), written as given after the
  // framework's own. Throws std::invalid_argument for a name that is not an RFC 9110
  // token, a value with CR, LF or NUL, or a header the framework owns (Content-Length,
  // Transfer-Encoding, Connection, Date, Content-Type, X-Request-Id, Allow): a handler
  // cannot break the framing. A throw inside a handler is its 500.
  Response& set_header(std::string_view name, std::string_view value);
  const std::vector<std::pair<std::string, std::string>>& headers() const noexcept { return headers_; }

 private:
  int status_ = 200;
  std::string_view content_type_ = kJson;
  std::string_view static_body_;
  std::string owned_body_;
  std::string owned_content_type_;
  bool owns_body_ = false;
  bool owns_content_type_ = false;
  bool no_store_ = false;
  std::string_view allow_;
  std::vector<std::pair<std::string, std::string>> headers_;  // empty: no allocation
};

}  // namespace hello::http
