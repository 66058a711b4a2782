#include "http/protocol.hpp"

#include <ctime>
#include <exception>

#include <boost/beast/http/error.hpp>

#include "http/status.hpp"
#include "http/text.hpp"

namespace hello::http {

namespace {

std::string_view refusal_body(Reject reject) noexcept {
  switch (reject) {
    case Reject::kTargetTooLong:
      return R"({"error":"request target too long"})";
    case Reject::kHeaderTooLarge:
      return R"({"error":"request header too large"})";
    case Reject::kBodyTooLarge:
      return R"({"error":"request body too large"})";
    case Reject::kVersionUnsupported:
      return R"({"error":"HTTP version not supported"})";
    case Reject::kTrailersTooLarge:
      return R"({"error":"trailer section too large"})";
    default:
      return R"({"error":"bad request"})";
  }
}

constexpr std::string_view kTimeoutBody = R"({"error":"request timeout"})";
constexpr std::string_view kInternalErrorBody = R"({"error":"internal server error"})";

}  // namespace

Protocol::Protocol(WorkerContext& worker, std::string_view peer, Clock::time_point opened)
    : worker_(worker), peer_(peer), opened_(opened) {}

std::size_t Protocol::feed(std::string_view input, std::string& out, Clock::time_point now) {
  std::size_t consumed = 0;
  bool starved = false;  // the parser took what it could and waits for more bytes
  while (!closing_ && !pending_ && consumed < input.size() && out.size() < kOutputBatch) {
    if (!parser_) {
      parser_.emplace(worker_.limits, arena_, fields_, worker_.router);
      request_start_ = now;
    }
    boost::beast::error_code ec;
    const std::size_t n = parser_->feed(input.substr(consumed), ec);
    consumed += n;
    if (ec == boost::beast::http::error::need_more) {
      starved = true;
      break;
    }
    if (ec) {
      refuse(parser_->reject(), out, request_start_);
      break;
    }
    if (parser_->is_done()) {
      const Request request = parser_->request();
      answer(request, parser_->match(), false, out, request_start_);
      parser_.reset();
      body_match_.reset();
    } else if (n == 0) {
      break;
    }
  }
  if (parser_ && !closing_ && !pending_ && !body_match_ && (starved || consumed == input.size()) &&
      parser_->is_header_done() && !parser_->is_done()) {
    begin_body(out, now);
  }
  return consumed;
}

void Protocol::begin_body(std::string& out, Clock::time_point now) {
  // The header is complete and the body is not: decide now what the header decides.
  const Request request = parser_->request();
  const Router::Match match = parser_->match();
  if (!match.takes_body()) {
    // The answer does not depend on the body: give it before the body arrives, and close
    // instead of reading a body nobody needs (with Expect: 100-continue, the client has
    // not even sent it).
    answer(request, match, true, out, request_start_);
    return;
  }
  body_match_ = match;
  body_deadline_ = now + worker_.limits.body_timeout;
  if (request.expect_continue && request.body_bytes == 0) {
    write_continue(out);
  }
}

void Protocol::timeout(std::string_view unparsed, std::string& out, Clock::time_point now) {
  if (parser_ && !closing_) {
    worker_.observer.on_request_started(worker_.index);
    parser_->note_unparsed(unparsed);
    const Request partial = parser_->request();
    emit(partial, Response(408, kTimeoutBody), worker_.router.unmatched(),
         body_match_ ? "request body timeout" : "request timeout", true, out, request_start_);
  }
  (void)now;
  closing_ = true;
}

void Protocol::overflow(std::string_view unparsed, std::string& out) {
  if (parser_ && !closing_) {
    worker_.observer.on_request_started(worker_.index);
    parser_->note_unparsed(unparsed);
    emit(parser_->request(), Response(431, refusal_body(Reject::kHeaderTooLarge)), worker_.router.unmatched(),
         "input buffer full", true, out, request_start_);
  }
  closing_ = true;
}

Clock::time_point Protocol::read_deadline(Clock::time_point now) const noexcept {
  const Limits& limits = worker_.limits;
  if (body_match_) {
    return body_deadline_;  // the whole body within the body timeout
  }
  if (parser_) {
    return request_start_ + limits.header_timeout;  // the whole header within the header timeout
  }
  if (requests_ == 0) {
    return opened_ + limits.header_timeout;  // a new connection is waited on for its first request
  }
  return now + limits.idle_timeout;
}

void Protocol::answer(const Request& request, const Router::Match& match, bool close, std::string& out,
                      Clock::time_point start) {
  worker_.observer.on_request_started(worker_.index);
  ++requests_;
  const std::uint64_t max_requests = worker_.limits.max_requests_per_connection;
  close = close || !request.keep_alive || worker_.closing || (max_requests != 0 && requests_ >= max_requests);
  if (match.async && match.takes_body()) {
    // Answered when its coroutine completes; nothing more is parsed until then, so the
    // request's views into the arena stay valid.
    pending_.emplace(Pending{request, match, close, start});
    return;
  }
  bool failed = false;
  const Response response = respond(match, request, failed);
  if (failed) {
    emit(request, response, worker_.router.unmatched(), "handler failed", true, out, start);
    return;
  }
  emit(request, response, match.route, {}, close, out, start);
}

Response Protocol::respond(const Router::Match& match, const Request& request, bool& failed) const noexcept {
  // The per-connection exception boundary covers the handler and nothing else: a
  // handler that throws is a bug; the client gets a 500 and the connection ends, the
  // process carries on. (Returned in place: no copy of the response on the usual path.)
  try {
    Response response = worker_.router.respond(match, request);
    if (!is_answerable_status(response.status())) {
      failed = true;  // a handler bug, answered like a throw
      return Response(500, kInternalErrorBody);
    }
    return response;
  } catch (...) {
    failed = true;
    return Response(500, kInternalErrorBody);
  }
}

boost::asio::awaitable<Response> Protocol::start_pending() const {
  return worker_.router.start(pending_->match, pending_->request);
}

void Protocol::complete(Response response, std::string_view error, std::string& out) {
  if (!pending_) {
    return;
  }
  const Pending p = *pending_;
  pending_.reset();
  if (error.empty() && !is_answerable_status(response.status())) {
    response = Response(500, kInternalErrorBody);
    error = "handler answered an invalid status";
  }
  worker_.router.finish(p.match, response);
  const bool close = p.close || !error.empty() || worker_.closing;
  emit(p.request, response, p.match.route, error, close, out, p.start);
}

void Protocol::refuse(Reject reject, std::string& out, Clock::time_point start) {
  worker_.observer.on_request_started(worker_.index);
  const Request partial = parser_->request();
  emit(partial, Response(reject_status(reject), refusal_body(reject)), worker_.router.unmatched(),
       reject_reason(reject), true, out, start);
}

void Protocol::emit(const Request& request, const Response& response, std::size_t route, std::string_view error,
                    bool close, std::string& out, Clock::time_point start) {
  std::string_view request_id = request.request_id;
  if (request_id.empty()) {
    request_id = request.trace_id.empty() ? worker_.ids.next() : request.trace_id;
  }
  ResponseMeta meta;
  meta.date = worker_.dates.get(std::time(nullptr));
  meta.request_id = request_id;
  meta.close = close;
  meta.keep_alive_header = !close && request.version == 10;
  meta.head_request = request.method == Method::kHead;
  const std::size_t body_bytes = write_response(out, response, meta);
  if (close) {
    closing_ = true;
  }
  ++answered_;

  Exchange exchange;
  exchange.method = request.method;
  exchange.method_text = request.method_text;
  exchange.path = request.path;
  exchange.route = route;
  exchange.status = response.status();
  exchange.body_bytes = body_bytes;
  exchange.duration = Clock::now() - start;
  exchange.request_id = request_id;
  exchange.client = client_of(request);
  exchange.user_agent = request.user_agent;
  exchange.error = error;
  worker_.observer.on_exchange(worker_.index, exchange);
}

std::string_view Protocol::client_of(const Request& request) const {
  // The ALB appends the address it saw to X-Forwarded-For, so the last entry is the one
  // we can trust; entries before it are whatever the client claimed.
  std::string_view xff = request.forwarded_for;
  if (!xff.empty()) {
    const std::size_t comma = xff.rfind(',');
    const std::string_view last = trim_ows(comma == std::string_view::npos ? xff : xff.substr(comma + 1));
    if (!last.empty()) {
      return last;
    }
  }
  return peer_;
}

}  // namespace hello::http
