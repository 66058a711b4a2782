#include "platform/async_http_client.hpp"

#include <cerrno>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <sys/socket.h>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace hello::platform {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::uint64_t kMaxAnswerBody = std::uint64_t{64} * 1024;

using Clock = std::chrono::steady_clock;

CallResult failed(CallResult::Outcome outcome, std::string error, Clock::time_point started) {
  CallResult r;
  r.outcome = outcome;
  r.error = std::move(error);
  r.latency = Clock::now() - started;
  return r;
}

CallResult::Outcome outcome_of(const beast::error_code& ec) {
  return ec == beast::error::timeout ? CallResult::Outcome::kTimedOut : CallResult::Outcome::kFailed;
}

// Whether an idle kept connection can still carry a request: nothing has arrived on it
// since its last answer (not the peer's close, not stray bytes), by a non-blocking peek.
bool still_open(tcp::socket& socket) noexcept {
  char byte = 0;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && errno == EAGAIN;  // (EWOULDBLOCK is EAGAIN on Linux)
}

// The idle kept-alive connections of one worker, by host and port. An io_context service:
// each worker's io_context has its own, reached from a handler through its executor, used
// only on that worker's thread, and closed with the io_context.
class ConnectionPool : public asio::execution_context::service {
 public:
  static asio::execution_context::id id;

  explicit ConnectionPool(asio::execution_context& context) : asio::execution_context::service(context) {}

  // The most recently kept connection to `host_port` that is still open, if there is one.
  std::optional<tcp::socket> take(const std::string& host_port) {
    const auto found = idle_.find(host_port);
    if (found == idle_.end()) {
      return std::nullopt;
    }
    std::vector<Idle>& idle = found->second;
    const Clock::time_point now = Clock::now();
    while (!idle.empty()) {
      Idle last = std::move(idle.back());
      idle.pop_back();
      if (now - last.since < kMaxIdle && still_open(last.socket)) {
        return std::move(last.socket);
      }
      boost::system::error_code ignored;
      last.socket.close(ignored);
    }
    return std::nullopt;
  }

  void keep(const std::string& host_port, tcp::socket socket) {
    std::vector<Idle>& idle = idle_[host_port];
    const Clock::time_point now = Clock::now();
    // The oldest go first: past their time, or to make room.
    std::erase_if(idle, [&](const Idle& i) { return now - i.since >= kMaxIdle; });
    if (idle.size() >= kMaxIdlePerHost) {
      idle.erase(idle.begin());
    }
    idle.push_back(Idle{std::move(socket), now});
  }

 private:
  struct Idle {
    tcp::socket socket;
    Clock::time_point since;
  };
  void shutdown() override { idle_.clear(); }
  std::unordered_map<std::string, std::vector<Idle>> idle_;
};

asio::execution_context::id ConnectionPool::id;

// A new connection to `url`, within the stream's deadline.
asio::awaitable<beast::error_code> connect(beast::tcp_stream& stream, const Url& url, Clock::time_point deadline,
                                           std::string& error) {
  beast::error_code ec;
  std::string host = url.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) {
    const auto port = static_cast<unsigned short>(std::stoi(url.port));
    co_await stream.async_connect(tcp::endpoint(address, port), asio::redirect_error(asio::use_awaitable, ec));
  } else {
    tcp::resolver resolver(stream.get_executor());
    const tcp::resolver::results_type endpoints =
        co_await resolver.async_resolve(host, url.port, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      error = "cannot resolve " + host + ": " + ec.message();
      co_return ec;
    }
    if (Clock::now() >= deadline) {
      error = "timed out resolving " + host;
      co_return beast::error::timeout;
    }
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) {
    error = "connect: " + ec.message();
  }
  co_return ec;
}

}  // namespace

asio::awaitable<CallResult> async_http_get(const Url& url, std::chrono::milliseconds timeout) {
  const auto started = Clock::now();
  const auto deadline = started + timeout;
  const auto executor = co_await asio::this_coro::executor;
  ConnectionPool& pool = asio::use_service<ConnectionPool>(asio::query(executor, asio::execution::context));
  const std::string key = url.host + ":" + url.port;

  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, url.target, 11};
  request.set(bhttp::field::host, url.port == "80" ? url.host : url.host + ":" + url.port);
  request.set(bhttp::field::user_agent, "hello-service");

  // A kept connection first, if there is one; a new one if not, or once if the kept one
  // turns out to have been closed by the peer as the request went out.
  std::optional<tcp::socket> kept = pool.take(key);
  for (;;) {
    const bool reused = kept.has_value();
    beast::tcp_stream stream(reused ? std::move(*kept) : tcp::socket(executor));
    kept.reset();
    // Every step below is bounded by the one deadline: the stream's timer closes the
    // socket when it passes, and the pending operation ends with beast::error::timeout.
    stream.expires_at(deadline);
    beast::error_code ec;
    if (!reused) {
      std::string error;
      ec = co_await connect(stream, url, deadline, error);
      if (ec) {
        co_return failed(outcome_of(ec), std::move(error), started);
      }
    }

    co_await bhttp::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (reused && ec != beast::error::timeout) {
        continue;  // closed by the peer while it was idle: once more on a new connection
      }
      co_return failed(outcome_of(ec), "send: " + ec.message(), started);
    }

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxAnswerBody);
    co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (reused && ec != beast::error::timeout && !parser.got_some()) {
        continue;  // closed as the request arrived, before any answer: the same
      }
      co_return failed(outcome_of(ec), "receive: " + ec.message(), started);
    }

    CallResult r;
    r.outcome = CallResult::Outcome::kAnswered;
    r.status = static_cast<int>(parser.get().result_int());
    r.latency = Clock::now() - started;
    if (parser.get().keep_alive() && buffer.size() == 0) {
      stream.expires_never();
      pool.keep(key, stream.release_socket());
    } else {
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    }
    co_return r;
  }
}

}  // namespace hello::platform
