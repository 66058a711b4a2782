#include "observability/logger.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "observability/json.hpp"

namespace hello::observability {

namespace {

bool needs_quotes(std::string_view s) {
  if (s.empty()) {
    return true;
  }
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '=' || c == '\\') {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view level_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

char* write_timestamp(char* out, std::chrono::system_clock::time_point now) noexcept {
  thread_local std::time_t cached_second = -1;
  thread_local char cached[24];
  const auto since_epoch = now.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t second = static_cast<std::time_t>(seconds.count());
  if (second != cached_second) {
    cached_second = second;
    std::tm tm{};
    gmtime_r(&second, &tm);
    std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
  }
  out = std::copy_n(cached, 19, out);
  *out++ = '.';
  *out++ = static_cast<char>('0' + millis / 100);
  *out++ = static_cast<char>('0' + millis / 10 % 10);
  *out++ = static_cast<char>('0' + millis % 10);
  *out++ = 'Z';
  return out;
}

void append_timestamp(std::string& out, std::chrono::system_clock::time_point now) {
  char text[kTimestampBytes];
  out.append(text, static_cast<std::size_t>(write_timestamp(text, now) - text));
}

LineBuilder::LineBuilder(std::string& out, LogFormat format, LogLevel level, std::string_view message,
                         std::chrono::system_clock::time_point now)
    : out_(out), format_(format) {
  if (format_ == LogFormat::kJson) {
    out_.append(R"({"time":")");
    append_timestamp(out_, now);
    out_.append(R"(","level":")");
    out_.append(level_name(level));
    out_.append(R"(","msg":)");
    append_json_string(out_, message);
  } else {
    append_timestamp(out_, now);
    out_.push_back(' ');
    std::string_view name = level_name(level);
    out_.append(name);
    out_.append(6 - name.size(), ' ');
    out_.append(message);
  }
}

void LineBuilder::key(std::string_view k) {
  if (format_ == LogFormat::kJson) {
    // Keys are the program's own identifiers: nothing to escape.
    out_.append(",\"");
    out_.append(k);
    out_.append("\":");
  } else {
    out_.push_back(' ');
    out_.append(k);
    out_.push_back('=');
  }
}

void LineBuilder::field(std::string_view k, std::string_view value) {
  key(k);
  if (format_ == LogFormat::kJson || needs_quotes(value)) {
    append_json_string(out_, value);
  } else {
    out_.append(value);
  }
}

void LineBuilder::field(std::string_view k, std::int64_t value) {
  key(k);
  append_integer(out_, value);
}

void LineBuilder::field(std::string_view k, std::uint64_t value) {
  key(k);
  append_integer(out_, value);
}

void LineBuilder::field(std::string_view k, double value, int decimals) {
  key(k);
  append_decimal(out_, value, decimals);
}

void LineBuilder::field(std::string_view k, bool value) {
  key(k);
  out_.append(value ? "true" : "false");
}

void LineBuilder::field(const LogField& f) {
  std::visit([&](const auto& v) { field(f.key, v); }, f.value);
}

void LineBuilder::end() {
  if (format_ == LogFormat::kJson) {
    out_.push_back('}');
  }
  out_.push_back('\n');
}

void Logger::log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!enabled(level)) {
    return;
  }
  std::string line;
  line.reserve(256);
  LineBuilder builder(line, format_, level, message, std::chrono::system_clock::now());
  for (const LogField& f : fields) {
    builder.field(f);
  }
  builder.end();
  sink_.write(line);
}

}  // namespace hello::observability
