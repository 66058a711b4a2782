#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <utility>  // before Asio 1.18's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/awaitable.hpp>

#include "http/limits.hpp"
#include "http/observer.hpp"
#include "http/request_id.hpp"
#include "http/request_parser.hpp"
#include "http/response_writer.hpp"
#include "http/router.hpp"

namespace hello::http {

using Clock = std::chrono::steady_clock;

// What a worker thread shares among its connections. Owned by the worker; touched only
// on its thread.
struct WorkerContext {
  WorkerContext(std::size_t index_, const Router& router_, const Limits& limits_, Observer& observer_,
                std::uint64_t seed)
      : index(index_), router(router_), limits(limits_), observer(observer_), ids(seed) {}

  std::size_t index;
  const Router& router;
  const Limits& limits;
  Observer& observer;
  DateCache dates;
  RequestIdGenerator ids;
  // Set when the server stops accepting during a drain: every response from then on
  // carries Connection: close.
  bool closing = false;
};

// One connection's HTTP/1.1 exchange without the socket: bytes in, responses out.
// The session does the I/O; the fuzzer and the unit tests drive this directly.
//
// Requests are answered strictly in order, so pipelining needs nothing special: every
// complete request in the input is answered into one output buffer, written at once.
// A request whose route is asynchronous stops that: feed() returns with it pending (the
// answers before it in `out`), parses nothing more, and the session runs its coroutine
// (start_pending()) and hands its answer to complete(); then feeding goes on.
//
// A request whose body is still to come is decided from its header: if the answer is
// already known (404, 405, OPTIONS), it is given at once and the connection closes
// without reading the body; otherwise the body is read (after a "100 Continue" when the
// client asked for one) and the handler answers once it is complete.
class Protocol {
 public:
  // Stop parsing once this much output is waiting, so that a client pipelining
  // without reading cannot make the server buffer without bound.
  static constexpr std::size_t kOutputBatch = std::size_t{64} * 1024;

  // `opened` is when the connection was accepted: its first request's header is due
  // within the header timeout from then.
  Protocol(WorkerContext& worker, std::string_view peer, Clock::time_point opened);

  // Answers every complete request at the start of `input` into `out`; returns the
  // number of bytes consumed. Unconsumed bytes are the start of a request still
  // arriving: pass them again, followed by what arrives next.
  std::size_t feed(std::string_view input, std::string& out, Clock::time_point now);

  // The client was too slow: answers 408 if part of a request arrived, then closes.
  // `unparsed` is what arrived of it and was not consumed.
  void timeout(std::string_view unparsed, std::string& out, Clock::time_point now);

  // The session's buffer is full of bytes the parser did not take. The parser refuses
  // every such run longer than the header limit (header block, chunk line, trailers)
  // before the buffer fills, so this is a bug; it is still answered (431) and closed.
  void overflow(std::string_view unparsed, std::string& out);

  // When the client must next have sent something, if the connection is waiting for it
  // at `now`: the header timeout from the start of the request being read (from the
  // accept for a connection's first request), the body timeout from the end of its
  // header, or the idle timeout from `now` between requests.
  Clock::time_point read_deadline(Clock::time_point now) const noexcept;

  // A request waits for its asynchronous handler (see start_pending()).
  bool pending() const noexcept { return pending_.has_value(); }
  // The pending request's coroutine. Throws what the handler throws before its first
  // suspension (the caller answers 500 then, through complete()).
  boost::asio::awaitable<Response> start_pending() const;
  // Answers the pending request into `out`: with `response`, or, when `error` is not
  // empty, with `response` as the failure's answer (logged with `error`, and the
  // connection closes after it).
  void complete(Response response, std::string_view error, std::string& out);

  // No further request will be read: close once `out` is written.
  bool closing() const noexcept { return closing_; }
  void close() noexcept { closing_ = true; }
  // Nothing of any request has arrived yet on this connection.
  bool fresh() const noexcept { return requests_ == 0 && !parser_; }
  // Part of a request has arrived (a timeout is answered with 408), or a request waits
  // for its handler.
  bool mid_request() const noexcept { return parser_.has_value() || pending_.has_value(); }
  // The field storage kept between requests at most (a few hundred bytes is usual).
  static constexpr std::size_t kRetainedArena = 2048;
  static constexpr std::size_t kRetainedFields = 32;
  // Bytes held for the fields and body of the request being parsed.
  std::size_t arena_capacity() const noexcept { return arena_.capacity() + fields_.capacity() * sizeof(FieldRef); }
  // Between requests: returns field storage a large header made grow.
  void release_burst() {
    if (!parser_ && !pending_ && arena_.capacity() > kRetainedArena) {
      std::string().swap(arena_);
    }
    if (!parser_ && !pending_ && fields_.capacity() > kRetainedFields) {
      std::vector<FieldRef>().swap(fields_);
    }
  }
  // Responses appended to output since the last call (for the in-flight gauge).
  std::size_t take_answered() noexcept {
    const std::size_t n = answered_;
    answered_ = 0;
    return n;
  }

 private:
  void begin_body(std::string& out, Clock::time_point now);
  // `close`: the connection ends after this answer, whatever the request asked.
  void answer(const Request& request, const Router::Match& match, bool close, std::string& out,
              Clock::time_point start);
  // The handler's answer, or a 500 (and `failed`) if it throws.
  Response respond(const Router::Match& match, const Request& request, bool& failed) const noexcept;
  void refuse(Reject reject, std::string& out, Clock::time_point start);
  void emit(const Request& request, const Response& response, std::size_t route, std::string_view error, bool close,
            std::string& out, Clock::time_point start);
  std::string_view client_of(const Request& request) const;

  WorkerContext& worker_;
  std::string_view peer_;
  Clock::time_point opened_;
  std::string arena_;             // field and body storage for the request being parsed (reused)
  std::vector<FieldRef> fields_;  // where its fields are in the arena (reused)
  struct Pending {
    Request request;
    Router::Match match;
    bool close;
    Clock::time_point start;
  };
  std::optional<Pending> pending_;
  std::optional<RequestParser> parser_;
  Clock::time_point request_start_{};
  // Set once the header of a request whose body is still to come has been decided.
  std::optional<Router::Match> body_match_;
  Clock::time_point body_deadline_{};
  std::uint64_t requests_ = 0;
  std::size_t answered_ = 0;
  bool closing_ = false;
};

}  // namespace hello::http
