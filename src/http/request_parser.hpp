#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/basic_parser.hpp>

#include "http/limits.hpp"
#include "http/request.hpp"
#include "http/router.hpp"

namespace hello::http {

// Why a request was refused before it reached the router; each maps to one status.
enum class Reject : std::uint8_t {
  kNone,
  kMalformed,          // 400: bad request line, field or chunk
  kAmbiguousFraming,   // 400: Content-Length with Transfer-Encoding, conflicting lengths, unknown coding,
                       //      Transfer-Encoding in HTTP/1.0
  kMissingHost,        // 400: HTTP/1.1 without exactly one Host
  kBadHost,            // 400: a Host that is not a host name or address with an optional port
  kBadTarget,          // 400: a target that is neither origin-, absolute- nor asterisk-form
  kBareLineFeed,       // 400: LF without CR where chunked framing requires CRLF
  kChunkLineTooLong,   // 400: a chunk size line (with its extensions) longer than the header limit
  kTargetTooLong,      // 414
  kHeaderTooLarge,     // 431
  kTrailersTooLarge,   // 431: the trailer section of a chunked body larger than the header limit
  kBodyTooLarge,       // 413
  kVersionUnsupported  // 505
};

int reject_status(Reject reject) noexcept;
std::string_view reject_reason(Reject reject) noexcept;

// Parses one request with Beast's parser. Every field (name and value) and the body of a
// routed request are copied into `arena`, with the fields' positions in `fields` (both
// owned by the connection and reused, so a warm connection allocates nothing): a body can
// span many reads, and the bytes of the header are gone from the input buffer by the time
// the request is answered.
//
// Once the header is complete, the request is matched against the router: the route's
// body limit (else the default) applies from then on, and the match is kept for the
// answer.
//
// Stricter than Beast alone where Beast is lenient: a Transfer-Encoding other than
// exactly "chunked", one combined with Content-Length or sent by an HTTP/1.0 client, a
// bare LF in chunked framing, and chunk lines or trailers without bound are refused
// instead of being ignored or waited for, so that no request is ever framed two ways
// and no framing can hold bytes without limit. More lenient where RFC 9110 asks: a
// later HTTP/1.x minor version (which Beast refuses) is read as HTTP/1.1.
class RequestParser final : public boost::beast::http::basic_parser<true> {
 public:
  RequestParser(const Limits& limits, std::string& arena, std::vector<FieldRef>& fields, const Router& router);

  // Feeds bytes; returns how many were consumed. After an error, reject() says why.
  std::size_t feed(std::string_view input, boost::beast::error_code& ec);

  Reject reject() const noexcept { return reject_; }
  // What is known of the request: all of it once is_done(), its header once
  // is_header_done(), less before. Views point into the arena.
  Request request() const;
  // The request is to be answered before its start line was parsed (a timeout): take its
  // method from the bytes that arrived, so that a HEAD answer still carries no body.
  void note_unparsed(std::string_view unparsed);
  // The route, decided once the header was complete (is_header_done()).
  const Router::Match& match() const noexcept { return match_; }

 private:
  struct Span {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };

  Span store(std::string_view value);
  std::string_view view(Span span) const;
  void fail(Reject reject, boost::beast::error_code& ec);
  std::size_t put_limited(std::string_view input, boost::beast::error_code& ec);
  void check_chunk_framing(std::string_view unconsumed, boost::beast::error_code& ec);
  void classify(std::string_view input, const boost::beast::error_code& ec);

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
  std::vector<FieldRef>& fields_;
  const Router& router_;
  Router::Match match_;
  std::uint64_t body_limit_;
  std::uint32_t body_offset_ = 0;
  bool keep_body_ = false;
  Reject reject_ = Reject::kNone;

  Method method_ = Method::kOther;
  int version_ = 11;
  Span method_text_, target_, path_, query_, host_, request_id_, trace_id_, forwarded_for_, user_agent_;
  Span transfer_encoding_;
  unsigned host_count_ = 0;
  unsigned transfer_encoding_count_ = 0;
  bool has_content_length_ = false;
  bool expect_continue_ = false;
  bool header_done_ = false;
  bool start_line_done_ = false;
  std::size_t header_consumed_ = 0;  // header bytes Beast consumed in earlier calls
  std::uint64_t body_bytes_ = 0;
  std::uint64_t chunk_left_ = 0;  // data bytes of the current chunk still to come
  std::size_t trailer_bytes_ = 0;
  std::string version_rewrite_;  // a start line with a later HTTP/1.x minor, as 1.1
};

// The length of the request target in `raw` (the start of a request), for telling an
// over-long target (414) from an over-large header block (431) when the header limit
// trips before the request line is complete.
std::size_t raw_target_length(std::string_view raw) noexcept;

// Whether the request line at the start of `raw` is "method SP target SP HTTP/x.y".
bool has_wellformed_version(std::string_view raw) noexcept;

// Whether `host` is a Host header value RFC 9112 3.2 allows: empty, or a reg-name, an
// IPv4 address or a bracketed IPv6 address, with an optional port.
bool is_valid_host(std::string_view host) noexcept;

}  // namespace hello::http
