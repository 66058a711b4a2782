#include "observability/access_log.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <string>

#include "observability/json.hpp"

namespace hello::observability {

namespace {

// Milliseconds with up to three decimals ("0.012", "1.5", "20") from nanoseconds, in
// integer arithmetic.
void append_millis(std::string& out, std::chrono::nanoseconds duration) {
  const auto micros = static_cast<std::uint64_t>(std::max<std::int64_t>(duration.count(), 0) / 1000);
  append_integer(out, micros / 1000);
  std::uint64_t fraction = micros % 1000;
  if (fraction == 0) {
    return;
  }
  char digits[4] = {'.', static_cast<char>('0' + fraction / 100), static_cast<char>('0' + fraction / 10 % 10),
                    static_cast<char>('0' + fraction % 10)};
  std::size_t size = 4;
  while (digits[size - 1] == '0') {
    --size;
  }
  out.append(digits, size);
}

std::string_view method_of(const http::Exchange& e) {
  return e.method == http::Method::kOther ? e.method_text : http::method_name(e.method);
}

}  // namespace

void AccessLog::write(const http::Exchange& e) noexcept {
  try {
    format(e);
  } catch (const std::exception&) {
    sink_.count_dropped();  // out of memory for the line: the request is answered anyway
  }
}

void AccessLog::format(const http::Exchange& e) {
  thread_local std::string line;
  line.clear();
  const auto now = std::chrono::system_clock::now();
  if (format_ == LogFormat::kText) {
    LineBuilder b(line, format_, LogLevel::kInfo, "request", now);
    b.field("method", method_of(e));
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
  } else {
    // The one line written per request, so written directly: the same keys, in the same
    // order, as LineBuilder would give, at a fraction of the instructions.
    line.append(R"({"time":")");
    append_timestamp(line, now);
    line.append(R"(","level":"info","msg":"request","method":)");
    append_json_string(line, method_of(e));
    line.append(R"(,"path":)");
    append_json_string(line, e.path);
    line.append(R"(,"status":)");
    append_integer(line, e.status);
    line.append(R"(,"bytes":)");
    append_integer(line, e.body_bytes);
    line.append(R"(,"duration_ms":)");
    append_millis(line, e.duration);
    line.append(R"(,"request_id":)");
    append_json_string(line, e.request_id);
    line.append(R"(,"client":)");
    append_json_string(line, e.client);
    line.append(R"(,"user_agent":)");
    append_json_string(line, e.user_agent);
    if (!e.error.empty()) {
      line.append(R"(,"error":)");
      append_json_string(line, e.error);
    }
    line.append("}\n");
  }
  sink_.write(line);
}

}  // namespace hello::observability
