#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace hello::observability {

// Where every log line goes: complete lines are appended to a buffer under a short lock
// and one background thread writes them out in batches. A request never waits for
// stdout: if the reader of stdout falls so far behind that `max_buffered` bytes are
// waiting, new lines are dropped and counted instead (hello_log_lines_dropped_total).
// Lines never interleave: each is appended whole, and only one thread writes.
class LogSink {
 public:
  explicit LogSink(int fd, std::size_t max_buffered = std::size_t{8} << 20U);
  ~LogSink();
  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;

  // `line` must end with '\n'. Thread-safe. Never throws: a line that cannot be kept
  // (no room, no memory) is counted as dropped.
  void write(std::string_view line) noexcept;
  // A line its writer could not even produce.
  void count_dropped() noexcept { dropped_.fetch_add(1, std::memory_order_relaxed); }
  // Blocks until everything written so far is out.
  void flush();
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  void run();
  void write_out(const std::string& data);

  const int fd_;
  const std::size_t max_buffered_;
  std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable flushed_;
  std::string pending_;
  std::uint64_t appended_ = 0;  // batches handed over, for flush()
  std::uint64_t written_ = 0;
  bool stop_ = false;
  bool flush_requested_ = false;
  std::atomic<std::uint64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace hello::observability
