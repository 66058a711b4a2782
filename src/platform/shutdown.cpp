#include "platform/shutdown.hpp"

#include <csignal>

namespace hello::platform {

namespace {

constexpr std::chrono::milliseconds kPollInterval{20};

const char* signal_name(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal";
  }
}

double seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

}  // namespace

ShutdownSequence::ShutdownSequence(boost::asio::io_context& io, observability::Logger& logger,
                                   std::chrono::milliseconds drain_delay, std::chrono::milliseconds deadline,
                                   Hooks hooks)
    : logger_(logger),
      drain_delay_(drain_delay),
      deadline_(deadline),
      hooks_(std::move(hooks)),
      signals_(io),
      drain_timer_(io),
      deadline_timer_(io),
      poll_timer_(io) {}

void ShutdownSequence::arm() {
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (!ec) {
      on_signal(signal);
    }
  });
}

void ShutdownSequence::on_signal(int signal) {
  if (outcome_ != Outcome::kRunning) {
    return;
  }
  if (draining_) {
    logger_.warn("second signal: closing every connection now",
                 {{"signal", signal_name(signal)}, {"open_connections", hooks_.open_connections()}});
    hooks_.close_all();
    finish(Outcome::kSecondSignal);
    return;
  }
  draining_ = true;
  signalled_at_ = std::chrono::steady_clock::now();
  logger_.info("drain started: /ready answers 503", {{"signal", signal_name(signal)},
                                                     {"drain_delay_s", seconds(drain_delay_)},
                                                     {"shutdown_timeout_s", seconds(deadline_)},
                                                     {"open_connections", hooks_.open_connections()}});
  hooks_.begin_drain();

  signals_.async_wait([this](const boost::system::error_code& ec, int next) {
    if (!ec) {
      on_signal(next);
    }
  });
  drain_timer_.expires_after(drain_delay_);
  drain_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || outcome_ != Outcome::kRunning) {
      return;
    }
    logger_.info("drain delay over: stopped accepting; finishing in-flight requests",
                 {{"open_connections", hooks_.open_connections()}});
    hooks_.stop_accepting();
    poll_connections();
  });
  deadline_timer_.expires_after(deadline_);
  deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || outcome_ != Outcome::kRunning) {
      return;
    }
    logger_.warn("shutdown deadline reached: closing the remaining connections",
                 {{"open_connections", hooks_.open_connections()}, {"shutdown_timeout_s", seconds(deadline_)}});
    hooks_.close_all();
    finish(Outcome::kDeadline);
  });
}

void ShutdownSequence::poll_connections() {
  if (outcome_ != Outcome::kRunning) {
    return;
  }
  if (hooks_.open_connections() == 0) {
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - signalled_at_);
    logger_.info("drain complete: no connections left", {{"seconds_since_signal", seconds(took)}});
    finish(Outcome::kClean);
    return;
  }
  poll_timer_.expires_after(kPollInterval);
  poll_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      poll_connections();
    }
  });
}

void ShutdownSequence::finish(Outcome outcome) {
  outcome_ = outcome;
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  drain_timer_.cancel();
  deadline_timer_.cancel();
  poll_timer_.cancel();
  hooks_.finished();
}

}  // namespace hello::platform
