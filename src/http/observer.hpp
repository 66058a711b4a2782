#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

#include "http/request.hpp"

namespace hello::http {

// One answered request, as the HTTP layer reports it. Views are valid only during the
// call.
struct Exchange {
  Method method = Method::kOther;
  std::string_view method_text;  // as received, when `method` is kOther
  std::string_view path;
  std::size_t route = 0;  // index into Router::labels()
  int status = 0;
  std::size_t body_bytes = 0;
  std::chrono::nanoseconds duration{0};
  std::string_view request_id;
  std::string_view client;  // the ALB's view of the client (X-Forwarded-For), else the peer
  std::string_view user_agent;
  std::string_view error;  // why the request was refused, empty when it was routed
};

// Where logs and metrics hook into connections. The HTTP layer knows nothing of what
// they do with it. Calls come from worker threads: `worker` identifies the caller, so
// an implementation can keep one shard per worker and never contend.
//
// Every hook is noexcept: it runs after a response is written into the output, so an
// exception from it could only end in a second response or a lost connection. An
// implementation that can fail (a log line that cannot be allocated) counts the
// failure and returns.
class Observer {
 public:
  virtual ~Observer() = default;
  // A complete request (or a refused one) is about to be answered.
  virtual void on_request_started(std::size_t worker) noexcept = 0;
  virtual void on_exchange(std::size_t worker, const Exchange& exchange) noexcept = 0;
  virtual void on_responses_written(std::size_t worker, std::size_t count) noexcept = 0;
  virtual void on_connection_opened(std::size_t worker) noexcept = 0;
  virtual void on_connection_closed(std::size_t worker) noexcept = 0;
  // Refused at accept because MAX_CONNECTIONS were open.
  virtual void on_connection_rejected(std::size_t worker) noexcept = 0;
  // The memory a connection holds in buffers changed from `before` to `after` bytes
  // (0 to its first size when it opens, back to 0 when it closes).
  virtual void on_buffers_resized(std::size_t worker, std::size_t before, std::size_t after) noexcept = 0;
};

}  // namespace hello::http
