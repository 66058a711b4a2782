#pragma once

#include <chrono>
#include <cstddef>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "observability/logger.hpp"

namespace hello::platform {

// The graceful drain, driven by signals on the control thread:
//
//   SIGTERM/SIGINT -> /ready answers 503 at once; everything else is served as before
//   + drain delay  -> stop accepting; idle keep-alive connections close; each request
//                     still in progress is answered with Connection: close
//   connections 0  -> done (exit 0)
//   deadline, or a second signal -> every connection is closed now (exit 1)
//
// The drain delay gives the load balancer time to see /ready fail and stop sending
// new requests; the deadline (from the first signal) must stay below the orchestrator's
// stop timeout, after which it would kill the process anyway.
class ShutdownSequence {
 public:
  struct Hooks {
    std::function<void()> begin_drain;  // /ready -> 503
    std::function<void()> stop_accepting;
    std::function<std::size_t()> open_connections;
    std::function<void()> close_all;
    std::function<void()> finished;  // stop the control loop
  };
  enum class Outcome { kRunning, kClean, kDeadline, kSecondSignal };

  ShutdownSequence(boost::asio::io_context& io, observability::Logger& logger, std::chrono::milliseconds drain_delay,
                   std::chrono::milliseconds deadline, Hooks hooks);

  // Starts listening for SIGTERM and SIGINT.
  void arm();
  Outcome outcome() const noexcept { return outcome_; }

 private:
  void on_signal(int signal);
  void poll_connections();
  void finish(Outcome outcome);

  observability::Logger& logger_;
  std::chrono::milliseconds drain_delay_;
  std::chrono::milliseconds deadline_;
  Hooks hooks_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::steady_timer deadline_timer_;
  boost::asio::steady_timer poll_timer_;
  std::chrono::steady_clock::time_point signalled_at_{};
  Outcome outcome_ = Outcome::kRunning;
  bool draining_ = false;
};

}  // namespace hello::platform
