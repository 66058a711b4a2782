#include "platform/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
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

Result<HttpAnswer> http_get(const Url& url, std::chrono::milliseconds timeout) {
  asio::io_context io{1};
  tcp::resolver resolver(io);
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

  stream.expires_after(timeout);
  resolver.async_resolve(
      url.host, url.port, [&](const beast::error_code& ec, const tcp::resolver::results_type& results) {
        if (ec) {
          return fail("cannot resolve", ec);
        }
        stream.async_connect(results, [&](const beast::error_code& ec2, const tcp::endpoint&) {
          if (ec2) {
            return fail("cannot connect to", ec2);
          }
          bhttp::async_write(stream, request, [&](const beast::error_code& ec3, std::size_t) {
            if (ec3) {
              return fail("cannot send to", ec3);
            }
            bhttp::async_read(stream, buffer, parser, [&](const beast::error_code& ec4, std::size_t) {
              if (ec4) {
                return fail("no valid answer from", ec4);
              }
              done = true;
            });
          });
        });
      });
  // One deadline for everything, name resolution included (the stream's own timer
  // covers only the socket operations).
  io.run_for(timeout);
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
