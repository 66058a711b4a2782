#include "platform/async_http_client.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
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

CallResult failed(CallResult::Outcome outcome, std::string error, std::chrono::steady_clock::time_point started) {
  CallResult r;
  r.outcome = outcome;
  r.error = std::move(error);
  r.latency = std::chrono::steady_clock::now() - started;
  return r;
}

}  // namespace

asio::awaitable<CallResult> async_http_get(const Url& url, std::chrono::milliseconds timeout) {
  using Outcome = CallResult::Outcome;
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + timeout;
  const auto executor = co_await asio::this_coro::executor;
  beast::error_code ec;

  // Every step below is bounded by the one deadline: the stream's timer closes the
  // socket when it passes, and the pending operation ends with beast::error::timeout.
  std::string host = url.host;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  tcp::resolver::results_type endpoints;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  beast::tcp_stream stream(executor);
  stream.expires_at(deadline);
  if (!ec) {
    const auto port = static_cast<unsigned short>(std::stoi(url.port));
    co_await stream.async_connect(tcp::endpoint(address, port), asio::redirect_error(asio::use_awaitable, ec));
  } else {
    tcp::resolver resolver(executor);
    endpoints = co_await resolver.async_resolve(host, url.port, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return failed(Outcome::kFailed, "cannot resolve " + host + ": " + ec.message(), started);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return failed(Outcome::kTimedOut, "timed out resolving " + host, started);
    }
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  }
  if (ec) {
    co_return failed(ec == beast::error::timeout ? Outcome::kTimedOut : Outcome::kFailed, "connect: " + ec.message(),
                     started);
  }

  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, url.target, 11};
  request.set(bhttp::field::host, url.port == "80" ? url.host : url.host + ":" + url.port);
  request.set(bhttp::field::user_agent, "hello-service");
  request.set(bhttp::field::connection, "close");
  co_await bhttp::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return failed(ec == beast::error::timeout ? Outcome::kTimedOut : Outcome::kFailed, "send: " + ec.message(),
                     started);
  }

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxAnswerBody);
  co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return failed(ec == beast::error::timeout ? Outcome::kTimedOut : Outcome::kFailed, "receive: " + ec.message(),
                     started);
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);

  CallResult r;
  r.outcome = Outcome::kAnswered;
  r.status = static_cast<int>(parser.get().result_int());
  r.latency = std::chrono::steady_clock::now() - started;
  co_return r;
}

}  // namespace hello::platform
