#pragma once

#include <chrono>
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
// body is read (up to 64 KiB) and dropped. A new connection per call, closed after it.
boost::asio::awaitable<CallResult> async_http_get(const Url& url, std::chrono::milliseconds timeout);

}  // namespace hello::platform
