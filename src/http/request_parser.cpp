#include "http/request_parser.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include "http/text.hpp"

namespace hello::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

Method to_method(bhttp::verb verb) noexcept {
  switch (verb) {
    case bhttp::verb::get:
      return Method::kGet;
    case bhttp::verb::head:
      return Method::kHead;
    case bhttp::verb::post:
      return Method::kPost;
    case bhttp::verb::put:
      return Method::kPut;
    case bhttp::verb::delete_:
      return Method::kDelete;
    case bhttp::verb::patch:
      return Method::kPatch;
    case bhttp::verb::options:
      return Method::kOptions;
    case bhttp::verb::connect:
      return Method::kConnect;
    case bhttp::verb::trace:
      return Method::kTrace;
    default:
      return Method::kOther;
  }
}

// Request ids are echoed in a response header and written to logs: accept only short
// tokens of visible ASCII without quotes, backslashes, commas or spaces.
bool is_safe_id(std::string_view value) noexcept {
  if (value.empty() || value.size() > 200) {
    return false;
  }
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != ','; });
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && beast::iequals(s.substr(0, prefix.size()), prefix);
}

beast::error_code our_error() { return bhttp::error::bad_value; }

}  // namespace

std::string_view method_name(Method method) noexcept {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kDelete:
      return "DELETE";
    case Method::kPatch:
      return "PATCH";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kConnect:
      return "CONNECT";
    case Method::kTrace:
      return "TRACE";
    case Method::kOther:
      break;
  }
  return "other";
}

int reject_status(Reject reject) noexcept {
  switch (reject) {
    case Reject::kNone:
      return 200;
    case Reject::kMalformed:
    case Reject::kAmbiguousFraming:
    case Reject::kMissingHost:
    case Reject::kBadHost:
    case Reject::kBadTarget:
    case Reject::kBareLineFeed:
    case Reject::kChunkLineTooLong:
      return 400;
    case Reject::kTargetTooLong:
      return 414;
    case Reject::kHeaderTooLarge:
    case Reject::kTrailersTooLarge:
      return 431;
    case Reject::kBodyTooLarge:
      return 413;
    case Reject::kVersionUnsupported:
      return 505;
  }
  return 400;
}

std::string_view reject_reason(Reject reject) noexcept {
  switch (reject) {
    case Reject::kNone:
      return "none";
    case Reject::kMalformed:
      return "malformed request";
    case Reject::kAmbiguousFraming:
      return "ambiguous message framing";
    case Reject::kMissingHost:
      return "missing or repeated Host";
    case Reject::kBadHost:
      return "invalid Host";
    case Reject::kBadTarget:
      return "bad request target";
    case Reject::kBareLineFeed:
      return "bare LF in chunked framing";
    case Reject::kChunkLineTooLong:
      return "chunk line too long";
    case Reject::kTargetTooLong:
      return "request target too long";
    case Reject::kHeaderTooLarge:
      return "request header too large";
    case Reject::kTrailersTooLarge:
      return "trailer section too large";
    case Reject::kBodyTooLarge:
      return "request body too large";
    case Reject::kVersionUnsupported:
      return "HTTP version not supported";
  }
  return "malformed request";
}

RequestParser::RequestParser(const Limits& limits, std::string& arena, std::vector<FieldRef>& fields,
                             const Router& router)
    : limits_(limits), arena_(arena), fields_(fields), router_(router), body_limit_(limits.max_body_bytes) {
  arena_.clear();
  fields_.clear();
  eager(true);
  // The body limit depends on the route, known only once the header is complete:
  // on_header_impl() and on_chunk_header_impl() enforce it, not Beast. (Not boost::none:
  // Beast 1.74 compares a Content-Length with the optional, and any length is more than
  // an empty one.)
  body_limit(std::numeric_limits<std::uint64_t>::max());
}

std::size_t RequestParser::put_limited(std::string_view input, beast::error_code& ec) {
  if (!is_header_done()) {
    // Beast applies its header limit to the bytes of one call, and it consumes complete
    // lines as they arrive: without this, a header sent in small pieces could grow past
    // the limit. Give it what is left of the limit for the whole header block.
    if (header_consumed_ >= limits_.max_header_bytes) {
      ec = bhttp::error::header_limit;
      return 0;
    }
    header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits_.max_header_bytes - header_consumed_, std::numeric_limits<std::uint32_t>::max())));
  }
  const bool header_was_done = is_header_done();
  const std::size_t consumed = put(boost::asio::const_buffer(input.data(), input.size()), ec);
  if (!header_was_done && !is_header_done()) {
    header_consumed_ += consumed;
    // Everything consumed or waiting belongs to the unfinished header. Beast's own
    // check can miss this when its scan offset was taken under a larger limit.
    if ((!ec || ec == bhttp::error::need_more) &&
        header_consumed_ + (input.size() - consumed) > limits_.max_header_bytes) {
      ec = bhttp::error::header_limit;
    }
  }
  return consumed;
}

std::size_t RequestParser::feed(std::string_view input, beast::error_code& ec) {
  std::size_t consumed = put_limited(input, ec);
  if (!ec && is_done()) {
    return consumed;  // the usual case: a whole request, nothing more to look at
  }
  if (ec == bhttp::error::bad_version && !start_line_done_ && reject_ == Reject::kNone) {
    // Beast parses only HTTP/1.0 and 1.1. A later 1.x minor is answered as 1.1 (RFC 9110,
    // 2.5): give Beast the same start line with the version it knows (same length, so its
    // scan offsets still hold), then the rest. Beast 1.74 leaves its state untouched when
    // it refuses the version of a complete start line, so the line can be put again.
    const std::size_t line_end = input.find("\r\n");
    if (line_end != std::string_view::npos && has_wellformed_version(input) && input[line_end - 3] == '1' &&
        input[line_end - 1] >= '2') {
      version_rewrite_.assign(input.substr(0, line_end + 2));
      version_rewrite_[line_end - 1] = '1';
      ec = {};
      consumed = put_limited(version_rewrite_, ec);
      if (consumed == version_rewrite_.size() && ec == bhttp::error::need_more) {
        ec = {};
        consumed += put_limited(input.substr(consumed), ec);
      }
    }
  }
  if ((!ec || ec == bhttp::error::need_more) && is_header_done() && chunked() && !is_done()) {
    check_chunk_framing(input.substr(consumed), ec);
  }
  if (ec && ec != bhttp::error::need_more) {
    classify(input, ec);
  }
  return consumed;
}

// Beast waits for CRLF to end a chunk line and for CRLF CRLF to end the trailers, with no
// limit on how long: bytes it has not consumed at a chunk boundary are a chunk line or
// the trailer section still arriving. Refuse them as soon as they break the framing's
// rules, instead of holding them until the buffer fills.
void RequestParser::check_chunk_framing(std::string_view unconsumed, beast::error_code& ec) {
  if (chunk_left_ > 0 || unconsumed.empty()) {
    return;  // inside chunk data: any byte is allowed
  }
  for (std::size_t i = 0; i < unconsumed.size(); ++i) {
    if (unconsumed[i] == '\n' && (i == 0 || unconsumed[i - 1] != '\r')) {
      return fail(Reject::kBareLineFeed, ec);
    }
  }
  if (unconsumed.size() > limits_.max_header_bytes) {
    // The CRLF that ends the previous chunk's data comes first; if a complete line
    // follows it, that was the last chunk and the trailers are what grows.
    const std::string_view lines = unconsumed.substr(unconsumed.substr(0, 2) == "\r\n" ? 2 : 0);
    fail(lines.find("\r\n") == std::string_view::npos ? Reject::kChunkLineTooLong : Reject::kTrailersTooLarge, ec);
  }
}

void RequestParser::classify(std::string_view input, const beast::error_code& ec) {
  if (!start_line_done_) {
    // Refused before the request line was parsed: the method still decides whether the
    // answer carries a body.
    note_unparsed(input);
  }
  if (reject_ != Reject::kNone) {
    return;  // refused by one of our own checks
  }
  if (ec == bhttp::error::header_limit) {
    // If the request line was still incomplete, `input` starts with it: tell an over-long
    // target from a large header block.
    reject_ = !start_line_done_ && raw_target_length(input) > limits_.max_target_bytes ? Reject::kTargetTooLong
                                                                                       : Reject::kHeaderTooLarge;
  } else if (ec == bhttp::error::body_limit) {
    reject_ = Reject::kBodyTooLarge;
  } else if (ec == bhttp::error::bad_version) {
    // A well-formed version Beast does not parse (HTTP/2.0 sent in the clear, HTTP/0.9)
    // deserves 505; anything else in the request line deserves 400.
    reject_ = has_wellformed_version(input) ? Reject::kVersionUnsupported : Reject::kMalformed;
  } else if (ec == bhttp::error::bad_content_length || ec == bhttp::error::bad_transfer_encoding) {
    reject_ = Reject::kAmbiguousFraming;
  } else {
    reject_ = Reject::kMalformed;
  }
}

void RequestParser::note_unparsed(std::string_view unparsed) {
  if (start_line_done_) {
    return;
  }
  const std::string_view token = unparsed.substr(0, std::min(unparsed.find(' '), std::size_t{32}));
  method_ = to_method(bhttp::string_to_verb(token));
}

Request RequestParser::request() const {
  Request r;
  r.method = method_;
  r.method_text = view(method_text_);
  r.target = view(target_);
  r.path = view(path_);
  r.version = version_;
  r.keep_alive = is_header_done() && keep_alive();
  r.host = view(host_);
  r.request_id = view(request_id_);
  r.trace_id = view(trace_id_);
  r.forwarded_for = view(forwarded_for_);
  r.user_agent = view(user_agent_);
  r.expect_continue = expect_continue_;
  r.body_bytes = body_bytes_;
  r.query = view(query_);
  if (keep_body_ && is_done()) {
    r.body = std::string_view(arena_.data() + body_offset_, arena_.size() - body_offset_);
  }
  r.field_base = arena_.data();
  r.fields = fields_.data();
  r.field_count = fields_.size();
  return r;
}

RequestParser::Span RequestParser::store(std::string_view value) {
  // The header limit bounds the arena, far below 4 GiB.
  Span span{static_cast<std::uint32_t>(arena_.size()), static_cast<std::uint32_t>(value.size())};
  arena_.append(value);
  return span;
}

std::string_view RequestParser::view(Span span) const {
  // Spans are made by store() from what the arena held then; it only grows until the
  // next request (no bounds check needed, and this runs for every field of every request).
  return {arena_.data() + span.offset, span.size};
}

void RequestParser::fail(Reject reject, beast::error_code& ec) {
  reject_ = reject;
  ec = our_error();
}

void RequestParser::on_request_impl(bhttp::verb method, beast::string_view method_str, beast::string_view target,
                                    int version, beast::error_code& ec) {
  // Beast passes only 10 and 11 (feed() turns later 1.x minors into 11).
  start_line_done_ = true;
  version_ = version == 10 ? 10 : 11;
  // The method first: even a refused HEAD is answered without a body. Its text is kept
  // only when it is not one of ours (logs name ours from the enum).
  method_ = to_method(method);
  if (method_ == Method::kOther) {
    method_text_ = store({method_str.data(), method_str.size()});
  }
  if (target.size() > limits_.max_target_bytes) {
    return fail(Reject::kTargetTooLong, ec);
  }
  target_ = store({target.data(), target.size()});

  std::string_view t(target.data(), target.size());
  std::string_view path;
  if ((!t.empty() && t.front() == '/') || t == "*") {
    path = t;  // origin-form, or asterisk-form (for OPTIONS)
  } else if (starts_with_nocase(t, "http://") || starts_with_nocase(t, "https://")) {
    // absolute-form: servers must accept it (RFC 9112, 3.2.2); the path is what follows
    // the authority.
    const std::size_t scheme_end = t.find("://") + 3;
    const std::size_t slash = t.find('/', scheme_end);
    path = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
  } else {
    return fail(Reject::kBadTarget, ec);
  }
  const std::size_t question = path.find('?');
  if (question != std::string_view::npos) {
    const std::string_view query = path.substr(question + 1);
    query_ = Span{target_.offset + static_cast<std::uint32_t>(query.data() - t.data()),
                  static_cast<std::uint32_t>(query.size())};
    path = path.substr(0, question);
  }
  if (path.find('%') != std::string_view::npos) {
    // Routes match the decoded path; a malformed escape or an encoded NUL is refused.
    std::string decoded;
    if (!percent_decode(path, decoded, false)) {
      return fail(Reject::kBadTarget, ec);
    }
    path_ = store(decoded);
  } else if (path.data() >= t.data() && path.data() < t.data() + t.size()) {
    path_ = Span{target_.offset + static_cast<std::uint32_t>(path.data() - t.data()),
                 static_cast<std::uint32_t>(path.size())};
  } else {
    path_ = store(path);
  }
}

void RequestParser::on_field_impl(bhttp::field name, beast::string_view name_string, beast::string_view value,
                                  beast::error_code& ec) {
  if (header_done_) {
    // Trailer fields of a chunked body: not used, but bounded like the header block.
    trailer_bytes_ += name_string.size() + value.size() + 4;
    if (trailer_bytes_ > limits_.max_header_bytes) {
      fail(Reject::kTrailersTooLarge, ec);
    }
    return;
  }
  const std::string_view v(value.data(), value.size());
  const std::string_view n(name_string.data(), name_string.size());
  // Every field is kept for Request::header(); the ones the framework reads are views of
  // the same bytes.
  const Span name_span = store(n);
  const Span value_span = store(v);
  fields_.push_back(FieldRef{name_span.offset, name_span.size, value_span.offset, value_span.size});
  switch (name) {
    case bhttp::field::host:
      if (++host_count_ == 1) {
        host_ = value_span;
      }
      return;
    case bhttp::field::user_agent:
      user_agent_ = value_span;
      return;
    case bhttp::field::content_length:
      has_content_length_ = true;
      return;
    case bhttp::field::transfer_encoding:
      ++transfer_encoding_count_;
      transfer_encoding_ = value_span;
      return;
    case bhttp::field::expect:
      // The only expectation there is; HTTP/1.0 requests cannot carry it (RFC 9110 10.1.1).
      expect_continue_ = version_ == 11 && beast::iequals(trim_ows(v), "100-continue");
      return;
    default:
      break;
  }
  if (beast::iequals(n, "x-request-id")) {
    if (is_safe_id(v)) {
      request_id_ = value_span;
    }
  } else if (beast::iequals(n, "x-amzn-trace-id")) {
    if (is_safe_id(v)) {
      trace_id_ = value_span;
    }
  } else if (beast::iequals(n, "x-forwarded-for")) {
    forwarded_for_ = value_span;
  }
  (void)ec;
}

void RequestParser::on_header_impl(beast::error_code& ec) {
  header_done_ = true;
  if (host_count_ > 1 || (version_ == 11 && host_count_ == 0)) {
    return fail(Reject::kMissingHost, ec);
  }
  if (host_count_ == 1 && !is_valid_host(view(host_))) {
    return fail(Reject::kBadHost, ec);
  }
  if (transfer_encoding_count_ > 0) {
    // Only a single, plain "chunked" in HTTP/1.1 is understood. Anything else (another
    // coding, a list, a repeat, a Content-Length beside it, or any Transfer-Encoding from
    // an HTTP/1.0 client) could be framed differently by another hop: refuse it (RFC 9112,
    // 6.1 and 6.3).
    if (version_ == 10 || transfer_encoding_count_ > 1 || has_content_length_ ||
        !beast::iequals(trim_ows(view(transfer_encoding_)), "chunked")) {
      return fail(Reject::kAmbiguousFraming, ec);
    }
  }
  // The route decides the body limit, and whether the body is kept: an answer the header
  // decides (404, 405, OPTIONS) discards it.
  match_ = router_.match(method_, view(path_));
  keep_body_ = match_.takes_body();
  if (keep_body_ && match_.max_body_bytes) {
    body_limit_ = *match_.max_body_bytes;
  }
  if (const auto length = content_length(); length && *length > body_limit_) {
    return fail(Reject::kBodyTooLarge, ec);
  }
  body_offset_ = static_cast<std::uint32_t>(arena_.size());
}

void RequestParser::on_body_init_impl(boost::optional<std::uint64_t> const&, beast::error_code&) {}

std::size_t RequestParser::on_body_impl(beast::string_view body, beast::error_code&) {
  body_bytes_ += body.size();
  if (keep_body_) {
    arena_.append(body.data(), body.size());
  }
  return body.size();
}

void RequestParser::on_chunk_header_impl(std::uint64_t size, beast::string_view extensions, beast::error_code& ec) {
  if (extensions.size() > limits_.max_header_bytes) {
    return fail(Reject::kChunkLineTooLong, ec);
  }
  if (size > body_limit_ - std::min(body_bytes_, body_limit_)) {
    return fail(Reject::kBodyTooLarge, ec);
  }
  chunk_left_ = size;
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t remain, beast::string_view body, beast::error_code&) {
  body_bytes_ += body.size();
  chunk_left_ = remain - body.size();
  if (keep_body_) {
    arena_.append(body.data(), body.size());
  }
  return body.size();
}

void RequestParser::on_finish_impl(beast::error_code&) {}

bool has_wellformed_version(std::string_view raw) noexcept {
  const std::size_t line_end = raw.find("\r\n");
  if (line_end == std::string_view::npos) {
    return false;
  }
  const std::string_view line = raw.substr(0, line_end);
  const std::size_t first = line.find(' ');
  const std::size_t space = line.rfind(' ');
  if (first == std::string_view::npos || first == space || line.find(' ', first + 1) != space) {
    return false;  // a request line has exactly two spaces: a space in the target is no version problem
  }
  const std::string_view v = line.substr(space + 1);
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return v.size() == 8 && v.substr(0, 5) == "HTTP/" && digit(v[5]) && v[6] == '.' && digit(v[7]);
}

namespace {

// Which bytes may make up a reg-name (RFC 3986: unreserved and sub-delims; "%" starts a
// pct-encoded byte and is checked apart). A plain table, because every request's Host is
// checked: one load per byte (std::array's checked subscript would add a branch to each).
struct RegNameChars {
  bool allowed[256] = {};
  constexpr RegNameChars() {
    for (const char c :
         std::string_view("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=")) {
      allowed[static_cast<unsigned char>(c)] = true;
    }
  }
};
constexpr RegNameChars kRegName{};

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

constexpr bool is_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// *DIGIT, at most 5 of them.
constexpr bool is_port(const char* p, const char* end) noexcept {
  if (end - p > 5) {
    return false;
  }
  for (; p != end; ++p) {
    if (!is_digit(*p)) {
      return false;
    }
  }
  return true;
}

// Out of line: the usual Host has no brackets, and its check stays a short loop.
[[gnu::noinline]] bool is_ipv6(std::string_view s) noexcept {
  char text[INET6_ADDRSTRLEN + 1];
  if (s.empty() || s.size() >= sizeof text) {
    return false;
  }
  std::memcpy(text, s.data(), s.size());
  text[s.size()] = '\0';
  in6_addr address{};
  return ::inet_pton(AF_INET6, text, &address) == 1;
}

}  // namespace

bool is_valid_host(std::string_view host) noexcept {
  const char* p = host.data();
  const char* const end = p + host.size();
  if (p != end && *p == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || !is_ipv6(host.substr(1, close - 1))) {
      return false;
    }
    p += close + 1;
  } else {
    // A reg-name (an IPv4 address is one too).
    for (;;) {
      while (p != end && kRegName.allowed[static_cast<unsigned char>(*p)]) {
        ++p;
      }
      if (p == end || *p != '%') {
        break;
      }
      if (end - p < 3 || !is_hex(p[1]) || !is_hex(p[2])) {
        return false;
      }
      p += 3;
    }
  }
  // Then nothing, or ":" and a port.
  return p == end || (*p == ':' && is_port(p + 1, end));
}

std::size_t raw_target_length(std::string_view raw) noexcept {
  const std::size_t method_end = raw.find(' ');
  if (method_end == std::string_view::npos) {
    return 0;
  }
  const std::string_view rest = raw.substr(method_end + 1);
  const std::size_t end = rest.find_first_of(" \r\n");
  return end == std::string_view::npos ? rest.size() : end;
}

}  // namespace hello::http
