#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/http/basic_parser.hpp>

#include "http/limits.hpp"
#include "http/request.hpp"

namespace hello::http {

// Why a request was refused before it reached the router; each maps to one status.
enum class Reject : std::uint8_t {
  kNone,
  kMalformed,          // 400: bad request line, field or chunk
  kAmbiguousFraming,   // 400: Content-Length with Transfer-Encoding, conflicting lengths, unknown coding
  kMissingHost,        // 400: HTTP/1.1 without exactly one Host
  kBadTarget,          // 400: a target that is neither origin-, absolute- nor asterisk-form
  kTargetTooLong,      // 414
  kHeaderTooLarge,     // 431
  kBodyTooLarge,       // 413
  kVersionUnsupported  // 505
};

int reject_status(Reject reject) noexcept;
std::string_view reject_reason(Reject reject) noexcept;

// Parses one request with Beast's parser and keeps only what the service uses. Field
// values are copied into `arena` (owned by the connection and reused, so a warm
// connection allocates nothing): a body can span many reads, and the bytes of the
// header are gone from the input buffer by the time the request is answered.
//
// Stricter than Beast alone where Beast is lenient: a Transfer-Encoding other than
// exactly "chunked", or one combined with Content-Length, is refused instead of being
// ignored, so that no request is ever framed two ways.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  RequestParser(const Limits& limits, std::string& arena);

  // Feeds bytes; returns how many were consumed. After an error, reject() says why.
  std::size_t feed(std::string_view input, boost::beast::error_code& ec);

  Reject reject() const noexcept { return reject_; }
  // Valid once is_done(); views point into the arena.
  Request request() const;

 private:
  struct Span {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };

  Span store(std::string_view value);
  std::string_view view(Span span) const;
  void fail(Reject reject, boost::beast::error_code& ec);

  void on_request_impl(boost::beast::http::verb method, boost::beast::string_view method_str,
                       boost::beast::string_view target, int version, boost::beast::error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code&) override {}
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override;
  void on_body_init_impl(boost::optional<std::uint64_t> const& content_length, boost::beast::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            boost::beast::error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                 boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code& ec) override;

  const Limits& limits_;
  std::string& arena_;
  Reject reject_ = Reject::kNone;

  Method method_ = Method::kOther;
  int version_ = 11;
  Span method_text_, target_, path_, host_, request_id_, trace_id_, forwarded_for_, user_agent_;
  Span transfer_encoding_;
  unsigned host_count_ = 0;
  unsigned transfer_encoding_count_ = 0;
  bool has_content_length_ = false;
  bool header_done_ = false;
  bool start_line_done_ = false;
  std::size_t header_consumed_ = 0;  // header bytes Beast consumed in earlier calls
  std::uint64_t body_bytes_ = 0;
};

// The length of the request target in `raw` (the start of a request), for telling an
// over-long target (414) from an over-large header block (431) when the header limit
// trips before the request line is complete.
std::size_t raw_target_length(std::string_view raw) noexcept;

// Whether the request line at the start of `raw` ends in a well-formed "HTTP/x.y".
bool has_wellformed_version(std::string_view raw) noexcept;

}  // namespace hello::http
