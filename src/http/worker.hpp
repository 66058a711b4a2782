#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http/protocol.hpp"

namespace hello::http {

class Session;

// One worker thread and everything it owns: its io_context, its connections (an
// intrusive list, touched only on this thread) and the timer that enforces their
// deadlines. Deadlines are checked by one periodic sweep rather than a timer per
// connection, so a request costs no timer operation at all.
class Worker {
 public:
  Worker(std::size_t index, const Router& router, const Limits& limits, Observer& observer,
         std::atomic<std::size_t>& open, std::function<void(std::string_view)> on_warning);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::io_context& io() noexcept { return *io_; }
  WorkerContext& context() noexcept { return context_; }
  const Limits& limits() const noexcept { return limits_; }
  Observer& observer() noexcept { return context_.observer; }
  std::atomic<std::size_t>& open_connections() noexcept { return open_; }
  // join() has begun: the worker's thread no longer runs; sessions still to start close.
  bool stopped() const noexcept { return stopped_; }

  void start();
  void join();

  // On this worker's thread only.
  void add(Session& session);
  void remove(Session& session);
  void stop_accepting();
  void close_all();

 private:
  void arm_sweep();
  void sweep() noexcept;
  void run();
  void warn(std::string_view what, std::string_view detail) noexcept;

  const Limits& limits_;
  std::atomic<std::size_t>& open_;
  std::function<void(std::string_view)> on_warning_;
  WorkerContext context_;
  // Destroyed in ~Worker, before the members below: a coroutine still pending at shutdown
  // is destroyed with it, and the session it holds is removed from a live worker.
  std::optional<boost::asio::io_context> io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::optional<boost::asio::steady_timer> sweep_timer_;
  std::chrono::milliseconds sweep_interval_;
  bool sweep_armed_ = false;
  bool stopped_ = false;
  Session* head_ = nullptr;
  std::size_t sessions_ = 0;
  std::thread thread_;
};

}  // namespace hello::http
