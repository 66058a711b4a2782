#include "observability/log_sink.hpp"

#include <cerrno>
#include <chrono>

#include <poll.h>
#include <unistd.h>

namespace hello::observability {

namespace {
// Lines are collected this long before a write: one syscall carries hundreds of lines
// under load, and a quiet process writes its few lines within this delay.
constexpr std::chrono::milliseconds kBatchWindow{20};
// Past this much waiting, write at once without waiting out the window.
constexpr std::size_t kBatchBytes = std::size_t{64} * 1024;
}  // namespace

LogSink::LogSink(int fd, std::size_t max_buffered) : fd_(fd), max_buffered_(max_buffered) {
  pending_.reserve(kBatchBytes);
  thread_ = std::thread([this] { run(); });
}

LogSink::~LogSink() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_writer_.notify_one();
  thread_.join();
}

void LogSink::write(std::string_view line) noexcept {
  bool wake = false;
  try {
    std::lock_guard lock(mutex_);
    if (pending_.size() + line.size() > max_buffered_) {
      count_dropped();
      return;
    }
    // Wake the writer for the first line of a batch and when a batch is full; lines in
    // between cost only the append.
    wake = pending_.empty() || (pending_.size() < kBatchBytes && pending_.size() + line.size() >= kBatchBytes);
    pending_.append(line);
    ++appended_;
  } catch (const std::exception&) {
    count_dropped();  // the buffer could not grow (or the lock failed): lose the line, not the request
    return;
  }
  if (wake) {
    wake_writer_.notify_one();
  }
}

void LogSink::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = appended_;
  flush_requested_ = true;
  wake_writer_.notify_one();
  flushed_.wait(lock, [&] { return written_ >= target || stop_; });
}

void LogSink::run() {
  std::string batch;
  batch.reserve(kBatchBytes);
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_writer_.wait(lock, [&] { return !pending_.empty() || stop_ || flush_requested_; });
    if (!pending_.empty() && pending_.size() < kBatchBytes && !stop_ && !flush_requested_) {
      wake_writer_.wait_for(lock, kBatchWindow,
                            [&] { return pending_.size() >= kBatchBytes || stop_ || flush_requested_; });
    }
    batch.swap(pending_);
    const std::uint64_t batch_end = appended_;
    flush_requested_ = false;
    const bool stopping = stop_;
    lock.unlock();
    write_out(batch);
    batch.clear();
    lock.lock();
    written_ = batch_end;
    flushed_.notify_all();
    if (stopping && pending_.empty()) {
      return;
    }
  }
}

void LogSink::write_out(const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{fd_, POLLOUT, 0};
      ::poll(&p, 1, 100);
    } else {
      // stdout is gone (closed pipe, full disk): nothing sensible to do with the lines.
      return;
    }
  }
}

}  // namespace hello::observability
