#include "http/worker.hpp"

#include <algorithm>
#include <exception>
#include <random>
#include <string>

#include "http/session.hpp"

namespace hello::http {

namespace {

// Deadlines are checked a few times per shortest timeout: a 10 s header timeout fires
// between 10 and 11 s, and an idle process with no connections never wakes up.
std::chrono::milliseconds sweep_interval_for(const Limits& limits) {
  const auto shortest =
      std::min({limits.header_timeout, limits.body_timeout, limits.idle_timeout, limits.handler_timeout});
  return std::clamp(shortest / 8, std::chrono::milliseconds{10}, std::chrono::milliseconds{1000});
}

std::uint64_t seed_for(std::size_t index) {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32U) ^ device() ^ index;
}

}  // namespace

Worker::Worker(std::size_t index, const Router& router, const Limits& limits, Observer& observer,
               std::atomic<std::size_t>& open, std::function<void(std::string_view)> on_warning)
    : limits_(limits),
      open_(open),
      on_warning_(std::move(on_warning)),
      context_(index, router, limits, observer, seed_for(index)),
      // One thread runs this io_context, and only it touches the sockets registered with
      // its reactor (the listener hands other workers' connections over as descriptors):
      // the reactor's per-socket locks are skipped. Posting from other threads (the
      // offload pool, the drain) still locks the scheduler.
      io_(std::in_place, BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      guard_(io_->get_executor()),
      sweep_timer_(std::in_place, *io_),
      sweep_interval_(sweep_interval_for(limits)) {}

Worker::~Worker() {
  try {
    join();
  } catch (const std::exception&) {
    // Joining fails only if the thread is gone already: nothing left to stop.
  }
  guard_.reset();
  sweep_timer_.reset();
  io_.reset();
}

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

void Worker::run() {
  for (;;) {
    try {
      io_->run();
      return;
    } catch (const std::exception& e) {
      // A bug (or no memory) escaped a handler; keep serving the other connections, and
      // keep their deadlines enforced even if it was the sweep's own re-arming that failed.
      warn("worker caught an exception: ", e.what());
      try {
        if (sessions_ > 0) {
          arm_sweep();
        }
      } catch (const std::exception& again) {
        warn("worker cannot re-arm its deadline sweep: ", again.what());
      }
    }
  }
}

void Worker::warn(std::string_view what, std::string_view detail) noexcept {
  try {
    if (on_warning_) {
      on_warning_(std::string(what).append(detail));
    }
  } catch (const std::exception&) {
    // No memory even for the message: the failure itself is what matters, and it is handled.
  }
}

void Worker::join() {
  if (!thread_.joinable()) {
    return;
  }
  guard_.reset();
  io_->stop();
  thread_.join();
  // Close what is left and run the aborted handlers, so every session is destroyed
  // (and counted out) while the worker still exists; a connection handed over but not
  // yet started closes at once.
  stopped_ = true;
  context_.closing = true;
  close_all();
  io_->restart();
  io_->poll();
}

void Worker::add(Session& session) {
  session.next = head_;
  if (head_ != nullptr) {
    head_->prev = &session;
  }
  head_ = &session;
  ++sessions_;
  arm_sweep();
}

void Worker::remove(Session& session) {
  if (session.prev != nullptr) {
    session.prev->next = session.next;
  } else if (head_ == &session) {
    head_ = session.next;
  }
  if (session.next != nullptr) {
    session.next->prev = session.prev;
  }
  session.prev = session.next = nullptr;
  --sessions_;
}

void Worker::arm_sweep() {
  if (sweep_armed_) {
    return;
  }
  sweep_timer_->expires_after(sweep_interval_);
  sweep_timer_->async_wait([this](const boost::system::error_code& ec) {
    sweep_armed_ = false;
    if (ec) {
      return;
    }
    // Re-armed before the walk: whatever fails below, the next sweep is already due.
    if (sessions_ > 0) {
      arm_sweep();
    }
    sweep();
  });
  sweep_armed_ = true;  // only once a wait is really pending
}

void Worker::sweep() noexcept {
  const Clock::time_point now = Clock::now();
  // check_deadline may close a socket, but sessions are destroyed only later, when their
  // aborted operations complete: the list stays intact during the walk.
  for (Session* s = head_; s != nullptr; s = s->next) {
    try {
      s->check_deadline(now);
    } catch (const std::exception& e) {
      // Its 408 could not be written (no memory, or a bug): cut that connection off and
      // go on with the others' deadlines.
      s->close_now();
      warn("deadline check failed, connection closed: ", e.what());
    }
  }
}

void Worker::stop_accepting() {
  context_.closing = true;
  for (Session* s = head_; s != nullptr; s = s->next) {
    s->drain();
  }
}

void Worker::close_all() {
  for (Session* s = head_; s != nullptr; s = s->next) {
    s->close_now();
  }
}

}  // namespace hello::http
