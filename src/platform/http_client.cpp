#include "platform/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include <netdb.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace hello::platform {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
// Answers from /info, /health and the metadata endpoint are small.
constexpr std::uint64_t kMaxBody = std::uint64_t{1} << 20U;
}  // namespace

Result<Url> parse_url(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  std::string lower(text.substr(0, std::min(text.size(), kScheme.size() + 1)));
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.rfind("https://", 0) == 0) {
    return Result<Url>::failure("\"" + std::string(text) +
                                "\": https is not supported; use the load balancer's HTTP listener");
  }
  if (lower.rfind(kScheme, 0) != 0) {
    return Result<Url>::failure("\"" + std::string(text) + "\" is not an http:// URL");
  }
  std::string_view rest = text.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Url url;
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty()) {
    return Result<Url>::failure("\"" + std::string(text) + "\" has no host");
  }
  if (authority.front() == '[') {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Result<Url>::failure("\"" + std::string(text) + "\" has an unterminated IPv6 address");
    }
    url.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() == ':') {
      url.port = std::string(authority.substr(1));
    } else if (!authority.empty()) {
      return Result<Url>::failure("\"" + std::string(text) + "\" has junk after the IPv6 address");
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      url.port = std::string(authority.substr(colon + 1));
    }
  }
  const bool port_ok = !url.port.empty() && url.port.size() <= 5 &&
                       std::all_of(url.port.begin(), url.port.end(), [](unsigned char c) { return std::isdigit(c); }) &&
                       std::stoul(url.port) <= 65535;
  if (url.host.empty() || !port_ok) {
    return Result<Url>::failure("\"" + std::string(text) + "\" has a bad host or port");
  }
  return url;
}

namespace {

using Endpoints = std::vector<tcp::endpoint>;

// getaddrinfo cannot be cancelled, and Asio's resolver runs it on an internal thread that
// its destructor joins: a DNS query that hangs would hold the caller for as long as the
// query takes, whatever the caller's timeout. The query runs on a detached thread
// instead, and the caller waits at most `timeout` for it; a query given up on finishes
// (and frees what it shares) on its own. An IP address needs no query at all.
Result<Endpoints> resolve(const std::string& host, const std::string& port, std::chrono::milliseconds timeout) {
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (!ec) {
    return Endpoints{tcp::endpoint(address, static_cast<std::uint16_t>(std::stoul(port)))};
  }
  struct Query {
    std::mutex mutex;
    std::condition_variable done;
    std::optional<Result<Endpoints>> result;
  };
  const auto query = std::make_shared<Query>();
  try {
    std::thread([query, host, port] {
      addrinfo hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* list = nullptr;
      const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
      Result<Endpoints> result = Result<Endpoints>::failure(std::string("cannot resolve ") + host + ": " +
                                                            (rc == 0 ? "no address" : ::gai_strerror(rc)));
      if (rc == 0) {
        Endpoints endpoints;
        for (const addrinfo* a = list; a != nullptr; a = a->ai_next) {
          if (a->ai_family == AF_INET || a->ai_family == AF_INET6) {
            tcp::endpoint endpoint;
            std::memcpy(endpoint.data(), a->ai_addr, a->ai_addrlen);
            endpoints.push_back(endpoint);
          }
        }
        ::freeaddrinfo(list);
        if (!endpoints.empty()) {
          result = std::move(endpoints);
        }
      }
      const std::lock_guard lock(query->mutex);
      query->result = std::move(result);
      query->done.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    return Result<Endpoints>::failure(std::string("cannot resolve ") + host + ": " + e.what());
  }
  std::unique_lock lock(query->mutex);
  if (!query->done.wait_for(lock, timeout, [&] { return query->result.has_value(); })) {
    return Result<Endpoints>::failure("cannot resolve " + host + " within " + std::to_string(timeout.count()) + " ms");
  }
  return std::move(*query->result);
}

}  // namespace

Result<HttpAnswer> http_get(const Url& url, std::chrono::milliseconds timeout) {
  // One deadline for everything, name resolution included.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto endpoints = resolve(url.host, url.port, timeout);
  if (!endpoints) {
    return Result<HttpAnswer>::failure(endpoints.error());
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) {
    return Result<HttpAnswer>::failure("no answer from " + url.host + ":" + url.port + " within " +
                                       std::to_string(timeout.count()) + " ms");
  }
  asio::io_context io{1};
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, url.target, 11};
  // RFC 9112 3.2: the authority of the URL, an IPv6 literal in brackets, the port when
  // it is not the default.
  const bool ipv6 = url.host.find(':') != std::string::npos;
  request.set(bhttp::field::host,
              (ipv6 ? "[" + url.host + "]" : url.host) + (url.port == "80" ? std::string() : ":" + url.port));
  request.set(bhttp::field::user_agent, "hello-service-check");
  request.set(bhttp::field::connection, "close");
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxBody);

  std::optional<std::string> failure;
  bool done = false;
  const auto fail = [&](std::string_view step, const beast::error_code& ec) {
    failure = std::string(step) + " " + url.host + ":" + url.port + ": " + ec.message();
  };

  stream.expires_after(left);
  stream.async_connect(endpoints.value(), [&](const beast::error_code& ec, const tcp::endpoint&) {
    if (ec) {
      return fail("cannot connect to", ec);
    }
    bhttp::async_write(stream, request, [&](const beast::error_code& ec2, std::size_t) {
      if (ec2) {
        return fail("cannot send to", ec2);
      }
      bhttp::async_read(stream, buffer, parser, [&](const beast::error_code& ec3, std::size_t) {
        if (ec3) {
          return fail("no valid answer from", ec3);
        }
        done = true;
      });
    });
  });
  io.run_for(left);
  if (!done && !failure) {
    failure = "no answer from " + url.host + ":" + url.port + " within " + std::to_string(timeout.count()) + " ms";
  }
  if (failure) {
    return Result<HttpAnswer>::failure(*failure);
  }
  HttpAnswer answer;
  answer.status = static_cast<int>(parser.get().result_int());
  answer.body = std::move(parser.get().body());
  return answer;
}

}  // namespace hello::platform
