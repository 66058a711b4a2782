#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <utility>  // before Asio 1.18's awaitable.hpp, which uses std::exchange without it

#include <boost/asio/awaitable.hpp>

#include "platform/http_client.hpp"

namespace hello::platform {

// How an outbound call ended.
struct CallResult {
  enum class Outcome { kAnswered, kFailed, kTimedOut };
  Outcome outcome = Outcome::kFailed;
  int status = 0;     // the answer's status (kAnswered)
  std::string error;  // what went wrong (kFailed, kTimedOut)
  std::chrono::nanoseconds latency{0};
};

// One GET to `url`, awaited on the calling coroutine's executor (the worker's): the
// worker serves other connections meanwhile. Connect, send and receive happen within
// `timeout` in all; a host name is resolved first (an IP address is not). The answer's
// body is read (up to 64 KiB) and dropped.
//
// Connections are kept alive: each worker keeps the ones whose answer left them reusable
// (HTTP/1.1 keep-alive, the whole answer read, nothing after it), at most kMaxIdlePerHost
// for each host and port, and tries the most recently used first. One idle for kMaxIdle
// or longer is not used again (the pool has no timer of its own: such a connection is
// closed at the pool's next use for that host). One that the peer closed while idle is
// noticed before the request goes out and dropped. One that the peer closed just as the
// request went out (the send fails, or the answer ends before its first byte) is retried
// once on a new connection: a GET may be sent twice. Nothing else is retried: a timeout,
// a refused connection, an answer cut off after its first byte.
inline constexpr std::size_t kMaxIdlePerHost = 64;
inline constexpr std::chrono::seconds kMaxIdle{30};
boost::asio::awaitable<CallResult> async_http_get(const Url& url, std::chrono::milliseconds timeout);

}  // namespace hello::platform
