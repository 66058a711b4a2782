#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "observability/log_sink.hpp"

namespace hello::observability {

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarn, kError };
enum class LogFormat : std::uint8_t { kJson, kText };

std::string_view level_name(LogLevel level) noexcept;

// One key-value pair of a log line.
struct LogField {
  using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;

  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  LogField(std::string_view k, T v) : key(k) {
    if constexpr (std::is_signed_v<T>) {
      value = static_cast<std::int64_t>(v);
    } else {
      value = static_cast<std::uint64_t>(v);
    }
  }

  std::string_view key;
  Value value;
};

// Appends "2026-11-25T23:37:39.123Z" for `now`. The date and time part is formatted
// once per second per thread.
void append_timestamp(std::string& out, std::chrono::system_clock::time_point now);

// The same 24 bytes written at `out`; returns their end.
inline constexpr std::size_t kTimestampBytes = 24;
char* write_timestamp(char* out, std::chrono::system_clock::time_point now) noexcept;

// Structured lines for everything but the access log: JSON objects with fixed keys
// (time, level, msg, then the fields) or, for people at a terminal, plain text.
class Logger {
 public:
  Logger(LogSink& sink, LogLevel level, LogFormat format) : sink_(sink), level_(level), format_(format) {}

  bool enabled(LogLevel level) const noexcept { return level >= level_; }
  LogFormat format() const noexcept { return format_; }
  LogSink& sink() noexcept { return sink_; }

  void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
  void debug(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::kDebug, m, f); }
  void info(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::kInfo, m, f); }
  void warn(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::kWarn, m, f); }
  void error(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::kError, m, f); }

 private:
  LogSink& sink_;
  LogLevel level_;
  LogFormat format_;
};

// Appends one line's prefix and fields; shared by Logger and the access log.
class LineBuilder {
 public:
  LineBuilder(std::string& out, LogFormat format, LogLevel level, std::string_view message,
              std::chrono::system_clock::time_point now);
  void field(std::string_view key, std::string_view value);
  void field(std::string_view key, std::int64_t value);
  void field(std::string_view key, std::uint64_t value);
  void field(std::string_view key, double value, int decimals = 3);
  void field(std::string_view key, bool value);
  void field(const LogField& f);
  // Closes the line (and the JSON object) with '\n'.
  void end();

 private:
  void key(std::string_view k);
  std::string& out_;
  LogFormat format_;
};

}  // namespace hello::observability
