#pragma once

#include "http/observer.hpp"
#include "observability/log_sink.hpp"
#include "observability/logger.hpp"

namespace hello::observability {

// One line per answered request: time, method, path, status, bytes, duration, request
// id, client, user agent (and why, for a refused request). Formatted on the worker
// thread into a reused buffer, handed to the sink whole.
class AccessLog {
 public:
  AccessLog(LogSink& sink, LogFormat format) : sink_(sink), format_(format) {}
  // Never throws: a line that cannot be formatted is counted as dropped.
  void write(const http::Exchange& exchange) noexcept;

 private:
  void format(const http::Exchange& exchange);
  LogSink& sink_;
  LogFormat format_;
};

}  // namespace hello::observability
