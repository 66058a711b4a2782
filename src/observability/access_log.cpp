#include "observability/access_log.hpp"

#include <chrono>
#include <string>

namespace hello::observability {

void AccessLog::write(const http::Exchange& e) {
  thread_local std::string line;
  line.clear();
  LineBuilder b(line, format_, LogLevel::kInfo, "request", std::chrono::system_clock::now());
  b.field("method", e.method == http::Method::kOther ? e.method_text : http::method_name(e.method));
  b.field("path", e.path);
  b.field("status", static_cast<std::int64_t>(e.status));
  b.field("bytes", static_cast<std::uint64_t>(e.body_bytes));
  b.field("duration_ms", std::chrono::duration<double, std::milli>(e.duration).count(), 3);
  b.field("request_id", e.request_id);
  b.field("client", e.client);
  b.field("user_agent", e.user_agent);
  if (!e.error.empty()) {
    b.field("error", e.error);
  }
  b.end();
  sink_.write(line);
}

}  // namespace hello::observability
