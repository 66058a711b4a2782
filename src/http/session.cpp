#include "http/session.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "http/worker.hpp"

namespace hello::http {

namespace asio = boost::asio;

namespace {

// Read buffer: small to start (most requests are a few hundred bytes), grown up to the
// header limit plus room for the parser to see that the limit was passed, and back to
// this size once the connection is idle again.
constexpr std::size_t kInitialInput = Session::kRetainedInput;
// After the last response of a connection, unread input is drained this long before the
// socket closes: closing with unread data would send a reset that can destroy the
// response still in flight (the client would see a reset instead of our 413 or 400).
constexpr std::chrono::seconds kLingerTimeout{2};

}  // namespace

Session::Session(asio::ip::tcp::socket socket, Worker& worker, std::string peer)
    : socket_(std::move(socket)),
      worker_(worker),
      peer_(std::move(peer)),
      protocol_(worker.context(), peer_, Clock::now()),
      in_(new char[kInitialInput]),
      in_capacity_(kInitialInput) {
  worker_.add(*this);
  worker_.observer().on_connection_opened(worker_.context().index);
  account_buffers();
}

Session::~Session() {
  worker_.remove(*this);
  worker_.observer().on_buffers_resized(worker_.context().index, buffer_bytes_, 0);
  worker_.observer().on_connection_closed(worker_.context().index);
  worker_.open_connections().fetch_sub(1, std::memory_order_relaxed);
}

void Session::start() {
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  if (worker_.stopped()) {
    close_now();  // the worker is shutting down for good: nothing will run this session
    return;
  }
  // Accepted before the listener closed, even if the drain has begun since: its client
  // has a request on the way. It is served (with Connection: close) within the header
  // timeout from now, not reset.
  await_request(Clock::now());
}

void Session::account_buffers() noexcept {
  const std::size_t held = in_capacity_ + out_.capacity() + protocol_.arena_capacity();
  if (held != buffer_bytes_) {
    worker_.observer().on_buffers_resized(worker_.context().index, buffer_bytes_, held);
    buffer_bytes_ = held;
  }
}

bool Session::idle() const noexcept { return state_ == State::kReading && in_size_ == 0 && !protocol_.mid_request(); }

void Session::await_request(Clock::time_point now) {
  state_ = State::kReading;
  deadline_ = protocol_.read_deadline(now);
  if (in_size_ == 0 && !protocol_.mid_request()) {
    // Idle between requests: the one moment buffer sizes are checked on the usual path.
    const std::size_t out_capacity = out_.capacity();
    const std::size_t arena_capacity = protocol_.arena_capacity();
    if (in_capacity_ > kRetainedInput || out_capacity > kRetainedOutput || arena_capacity > Protocol::kRetainedArena) {
      release_burst();
    } else if (in_capacity_ + out_capacity + arena_capacity != buffer_bytes_) {
      account_buffers();
    }
  }
  read();
}

void Session::release_burst() {
  // Between requests, nothing is in the buffers: what a burst (a large header, a
  // pipelined batch) made them grow to goes back, so that one burst does not cost its
  // memory for the connection's lifetime. An ordinary request never grows them past
  // their retained sizes, so this is not even called on the usual path.
  if (in_capacity_ > kRetainedInput) {
    in_ = std::make_unique_for_overwrite<char[]>(kRetainedInput);
    in_capacity_ = kRetainedInput;
  }
  if (out_.capacity() > kRetainedOutput) {
    std::string().swap(out_);
  }
  protocol_.release_burst();
  account_buffers();
}

void Session::read() {
  if (read_pending_) {
    return;
  }
  if (in_size_ == in_capacity_) {
    const std::size_t ceiling = worker_.limits().max_header_bytes + kInitialInput;
    if (in_capacity_ >= ceiling) {
      // The parser took nothing from a full buffer. It refuses any run of bytes it cannot
      // consume (a header block, a chunk line, a trailer section) once that run is longer
      // than the header limit, which is below the ceiling; if that ever failed, the client
      // still gets an answer, a log line and a metric instead of a silent close.
      out_.clear();
      protocol_.overflow(std::string_view(in_.get(), in_size_), out_);
      answered_in_write_ = protocol_.take_answered();
      state_ = State::kWriting;
      deadline_ = Clock::now() + kLingerTimeout;
      write();
      return;
    }
    const std::size_t grown = std::min(in_capacity_ * 2, ceiling);
    std::unique_ptr<char[]> bigger(new char[grown]);
    std::memcpy(bigger.get(), in_.get(), in_size_);
    in_ = std::move(bigger);
    in_capacity_ = grown;
    account_buffers();
  }
  read_pending_ = true;
  socket_.async_read_some(asio::buffer(in_.get() + in_size_, in_capacity_ - in_size_),
                          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t bytes) {
                            self->on_read(ec, bytes);
                          });
}

void Session::on_read(const boost::system::error_code& ec, std::size_t bytes) {
  read_pending_ = false;
  if (state_ == State::kClosed) {
    return;
  }
  if (ec) {
    // End of stream, reset or cancellation: the normal ways a connection ends.
    close_now();
    return;
  }
  if (state_ == State::kLingering) {
    in_size_ = 0;  // discard whatever the client still sends
    read();
    return;
  }
  if (state_ != State::kReading) {
    return;  // a timeout already answered this connection
  }
  in_size_ += bytes;
  process(Clock::now());
}

void Session::process(Clock::time_point now) {
  out_.clear();
  const std::size_t consumed = protocol_.feed(std::string_view(in_.get(), in_size_), out_, now);
  if (consumed > 0) {
    in_size_ -= consumed;
    std::memmove(in_.get(), in_.get() + consumed, in_size_);
  }
  answered_in_write_ = protocol_.take_answered();
  if (out_.size() > kRetainedOutput) {
    account_buffers();  // a batch larger than usual: the output buffer grew for it
  }
  if (protocol_.pending() && out_.empty()) {
    start_handler(now);
    return;
  }
  if (!out_.empty()) {
    state_ = State::kWriting;
    // A client that stops reading its responses is cut off like an idle one.
    deadline_ = now + worker_.limits().idle_timeout;
    write();
    return;
  }
  if (protocol_.closing()) {
    finish(now);
    return;
  }
  await_request(now);
}

void Session::write() {
  asio::async_write(socket_, asio::buffer(out_),
                    [self = shared_from_this()](const boost::system::error_code& ec, std::size_t bytes) {
                      self->on_write(ec, bytes);
                    });
}

void Session::on_write(const boost::system::error_code& ec, std::size_t) {
  if (answered_in_write_ > 0) {
    worker_.observer().on_responses_written(worker_.context().index, answered_in_write_);
    answered_in_write_ = 0;
  }
  if (state_ == State::kClosed) {
    return;
  }
  if (ec) {
    close_now();
    return;
  }
  const Clock::time_point now = Clock::now();
  if (protocol_.pending() && !handler_running_) {
    // The answers to the requests before it are written: its handler's turn.
    start_handler(now);
    return;
  }
  if (protocol_.closing()) {
    finish(now);
    return;
  }
  if (in_size_ > 0) {
    // More pipelined requests may be waiting (the output batch was full), or the start
    // of the next request: parse before reading again.
    state_ = State::kReading;
    process(now);
    return;
  }
  if (worker_.context().closing && !protocol_.mid_request()) {
    // Draining: the response just written was the connection's last (a "100 Continue"
    // is not: its request is still to be answered).
    finish(now);
    return;
  }
  await_request(now);
}

void Session::finish(Clock::time_point now) {
  state_ = State::kLingering;
  deadline_ = now + kLingerTimeout;
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  in_size_ = 0;
  read();
}

void Session::start_handler(Clock::time_point now) {
  state_ = State::kPending;
  handler_running_ = true;
  deadline_ = now + worker_.limits().handler_timeout;
  std::optional<asio::awaitable<Response>> task;
  try {
    task.emplace(protocol_.start_pending());
  } catch (...) {
    // It threw before its first suspension; the answer is posted, like any completion.
    asio::post(worker_.io(), [self = shared_from_this(), error = std::current_exception()] {
      self->on_handler_done(error, Response());
    });
    return;
  }
  // The completion holds the session: the request's storage lives until the coroutine
  // is done, even if the connection was closed (or answered 503) in the meantime.
  asio::co_spawn(worker_.io(), std::move(*task),
                 [self = shared_from_this()](const std::exception_ptr& error, Response response) {
                   self->on_handler_done(error, std::move(response));
                 });
}

void Session::on_handler_done(const std::exception_ptr& error, Response response) {
  handler_running_ = false;
  if (state_ == State::kClosed || handler_timed_out_) {
    return;  // closed meanwhile, or already answered 503: the result has nobody to go to
  }
  out_.clear();
  if (error) {
    protocol_.complete(Response(500, R"({"error":"internal server error"})"), "handler failed", out_);
  } else {
    protocol_.complete(std::move(response), {}, out_);
  }
  answered_in_write_ = protocol_.take_answered();
  state_ = State::kWriting;
  deadline_ = Clock::now() + worker_.limits().idle_timeout;
  write();
}

void Session::check_deadline(Clock::time_point now) {
  if (state_ == State::kClosed || now < deadline_) {
    return;
  }
  if (state_ == State::kPending) {
    // The handler took too long: 503 now, and the connection closes after it (the
    // coroutine still holds the request; nothing more is read on this connection).
    handler_timed_out_ = true;
    out_.clear();
    protocol_.complete(Response(503, R"({"error":"handler timeout"})"), "handler timeout", out_);
    answered_in_write_ = protocol_.take_answered();
    state_ = State::kWriting;
    deadline_ = now + kLingerTimeout;
    write();
    return;
  }
  if (state_ == State::kReading && protocol_.mid_request()) {
    out_.clear();
    protocol_.timeout(std::string_view(in_.get(), in_size_), out_, now);
    answered_in_write_ = protocol_.take_answered();
    state_ = State::kWriting;
    deadline_ = now + kLingerTimeout;
    write();
    return;
  }
  close_now();
}

void Session::drain() {
  // An idle kept-alive connection closes now. A new connection that has sent nothing yet
  // does not: its first request is on the way (the header timeout bounds the wait).
  if (idle() && !protocol_.fresh()) {
    close_now();
  }
  // Otherwise the worker's closing flag makes the response in progress the last one.
}

void Session::close_now() noexcept {
  if (state_ == State::kClosed) {
    return;
  }
  state_ = State::kClosed;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace hello::http
