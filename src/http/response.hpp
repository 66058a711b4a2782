#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace hello::http {

inline constexpr std::string_view kJson = "application/json";
inline constexpr std::string_view kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

// A response as handlers produce it. The HTTP layer adds the framing and the headers
// every response carries (Date, Content-Length, X-Request-Id, ...), and decides from
// the request whether the body is sent at all (never for HEAD).
//
// The body is either a view of storage that outlives the response (bodies rendered
// once at start-up: the hot path allocates nothing) or a string the response owns.
class Response {
 public:
  Response() = default;
  Response(int status, std::string_view static_body, std::string_view content_type = kJson)
      : status_(status), content_type_(content_type), static_body_(static_body) {}

  static Response owned(int status, std::string body, std::string_view content_type = kJson) {
    Response r(status, {}, content_type);
    r.owned_body_ = std::move(body);
    r.owns_body_ = true;
    return r;
  }

  int status() const noexcept { return status_; }
  std::string_view content_type() const noexcept { return content_type_; }
  std::string_view body() const noexcept { return owns_body_ ? std::string_view(owned_body_) : static_body_; }

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

 private:
  int status_ = 200;
  std::string_view content_type_ = kJson;
  std::string_view static_body_;
  std::string owned_body_;
  bool owns_body_ = false;
  bool no_store_ = false;
  std::string_view allow_;
};

}  // namespace hello::http
