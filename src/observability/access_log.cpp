#include "observability/access_log.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <string>

#include "observability/json.hpp"

namespace hello::observability {

namespace {

// The access log's keys and punctuation, in the order they are written.
constexpr std::string_view kStart = R"({"time":")";
constexpr std::string_view kMethod = R"(","level":"info","msg":"request","method":)";
constexpr std::string_view kPath = R"(,"path":)";
constexpr std::string_view kStatus = R"(,"status":)";
constexpr std::string_view kBytes = R"(,"bytes":)";
constexpr std::string_view kDuration = R"(,"duration_ms":)";
constexpr std::string_view kRequestId = R"(,"request_id":)";
constexpr std::string_view kClient = R"(,"client":)";
constexpr std::string_view kUserAgent = R"(,"user_agent":)";
constexpr std::string_view kError = R"(,"error":)";
constexpr std::string_view kEnd = "}\n";
// The most the fixed part of a line takes: every key, the timestamp, and the three
// numbers at their widest (a 64-bit count of milliseconds with its ".ddd").
constexpr std::size_t kFixedBytes = kStart.size() + kMethod.size() + kPath.size() + kStatus.size() + kBytes.size() +
                                    kDuration.size() + kRequestId.size() + kClient.size() + kUserAgent.size() +
                                    kError.size() + kEnd.size() + kTimestampBytes + 11 + 20 + 24;
// A line buffer grown past this by a hostile request goes back after its line.
constexpr std::size_t kRetainedLine = std::size_t{64} * 1024;

char* put(char* out, std::string_view text) noexcept { return std::copy(text.begin(), text.end(), out); }

template <class Int>
char* put_integer(char* out, Int value) noexcept {
  return std::to_chars(out, out + 20, value).ptr;  // 20 digits hold any 64-bit value
}

// Milliseconds with up to three decimals ("0.012", "1.5", "20") from nanoseconds, in
// integer arithmetic.
char* put_millis(char* out, std::chrono::nanoseconds duration) noexcept {
  const auto micros = static_cast<std::uint64_t>(std::max<std::int64_t>(duration.count(), 0) / 1000);
  out = put_integer(out, micros / 1000);
  const std::uint64_t fraction = micros % 1000;
  if (fraction == 0) {
    return out;
  }
  char digits[4] = {'.', static_cast<char>('0' + fraction / 100), static_cast<char>('0' + fraction / 10 % 10),
                    static_cast<char>('0' + fraction % 10)};
  std::size_t size = 4;
  while (digits[size - 1] == '0') {
    --size;
  }
  return std::copy_n(digits, size, out);
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
  const auto now = std::chrono::system_clock::now();
  if (format_ == LogFormat::kText) {
    line.clear();
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
    sink_.write(line);
    return;
  }
  // The one line written per request, so written directly: the same keys, in the same
  // order, as LineBuilder would give, into a buffer sized once for the line's longest
  // possible form, with no capacity check per piece.
  const std::string_view method = method_of(e);
  const std::size_t bound = kFixedBytes + json_string_bound(method.size()) + json_string_bound(e.path.size()) +
                            json_string_bound(e.request_id.size()) + json_string_bound(e.client.size()) +
                            json_string_bound(e.user_agent.size()) + json_string_bound(e.error.size());
  if (line.size() < bound) {
    line.resize(bound);  // kept at its largest size: no clearing or zero-filling per line
  }
  char* out = line.data();
  out = put(out, kStart);
  out = write_timestamp(out, now);
  out = put(out, kMethod);
  out = write_json_string(out, method);
  out = put(out, kPath);
  out = write_json_string(out, e.path);
  out = put(out, kStatus);
  out = put_integer(out, e.status);
  out = put(out, kBytes);
  out = put_integer(out, static_cast<std::uint64_t>(e.body_bytes));
  out = put(out, kDuration);
  out = put_millis(out, e.duration);
  out = put(out, kRequestId);
  out = write_json_string(out, e.request_id);
  out = put(out, kClient);
  out = write_json_string(out, e.client);
  out = put(out, kUserAgent);
  out = write_json_string(out, e.user_agent);
  if (!e.error.empty()) {
    out = put(out, kError);
    out = write_json_string(out, e.error);
  }
  out = put(out, kEnd);
  sink_.write(std::string_view(line.data(), static_cast<std::size_t>(out - line.data())));
  if (line.size() > kRetainedLine) {
    std::string().swap(line);
  }
}

}  // namespace hello::observability
