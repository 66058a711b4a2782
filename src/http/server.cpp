#include "http/server.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unistd.h>

#include "http/session.hpp"
#include "http/worker.hpp"

namespace hello::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// After a failed accept (out of file descriptors or memory), wait this long before the
// next: the condition lasts, and retrying at once would spin.
constexpr std::chrono::milliseconds kAcceptRetry{100};
// At most one warning per this interval while accepts keep failing.
constexpr std::chrono::seconds kAcceptWarningInterval{10};
// A connection's descriptor on its way to another worker: closed if it never gets there
// (its handler destroyed without running).
class HandedOver {
 public:
  explicit HandedOver(int fd) noexcept : fd_(fd) {}
  HandedOver(HandedOver&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  HandedOver(const HandedOver&) = delete;
  HandedOver& operator=(const HandedOver&) = delete;
  HandedOver& operator=(HandedOver&&) = delete;
  ~HandedOver() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const noexcept { return fd_; }
  void adopted() noexcept { fd_ = -1; }

 private:
  int fd_;
};

}  // namespace

// The acceptor lives on worker 0's io_context and is touched only on that thread. The
// sockets it accepts open there too; one meant for another worker goes to it as a bare
// descriptor and is registered with that worker's reactor on its own thread (each worker
// runs its reactor without locks: only its thread may touch its sockets).
struct Server::Listener {
  explicit Listener(asio::io_context& io) : acceptor(io), retry(io) {}
  tcp::acceptor acceptor;
  tcp protocol = tcp::v4();  // the listening address's, and so every accepted socket's
  asio::steady_timer retry;
  std::chrono::steady_clock::time_point last_accept_warning{};
  std::uint64_t accept_failures_unlogged = 0;  // since the last warning, that one included
};

Server::Server(ServerOptions options, const Router& router, Observer& observer)
    : options_(std::move(options)), router_(router), observer_(observer) {
  if (options_.workers == 0) {
    options_.workers = 1;
  }
  workers_.reserve(options_.workers);
  for (std::size_t i = 0; i < options_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, router_, options_.limits, observer_, open_, options_.on_warning));
  }
  listener_ = std::make_unique<Listener>(workers_.front()->io());
}

Server::~Server() { shutdown(); }

std::string Server::listen() {
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    return "HOST=" + options_.host + " is not an IP address";
  }
  const tcp::endpoint endpoint(address, options_.port);
  tcp::acceptor& acceptor = listener_->acceptor;
  const auto failed = [&](std::string_view what) {
    return std::string(what) + " " + address.to_string() + " port " + std::to_string(options_.port) + ": " +
           ec.message();
  };
  listener_->protocol = endpoint.protocol();
  acceptor.open(endpoint.protocol(), ec);
  if (ec) {
    return failed("cannot open a socket for");
  }
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) {
    return failed("cannot bind");
  }
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return failed("cannot listen on");
  }
  port_ = acceptor.local_endpoint(ec).port();
  return {};
}

void Server::start() {
  if (started_) {
    return;
  }
  started_ = true;
  asio::post(workers_.front()->io(), [this] { accept(); });
  for (auto& worker : workers_) {
    worker->start();
  }
}

Worker& Server::next_worker() {
  Worker& target = *workers_[next_worker_];
  next_worker_ = (next_worker_ + 1) % workers_.size();
  return target;
}

void Server::accept() {
  Worker& target = next_worker();
  listener_->acceptor.async_accept([this, &target](const boost::system::error_code& ec, tcp::socket socket) {
    on_accept(target, ec, std::move(socket));
  });
}

void Server::on_accept(Worker& target, const boost::system::error_code& ec, tcp::socket socket) {
  if (!ec) {
    // Served even if the listener closed after the kernel handed it over: its client
    // was let in and has a request on the way.
    admit(target, std::move(socket));
  }
  if (ec == asio::error::operation_aborted || !listener_->acceptor.is_open()) {
    return;  // the listener was closed: the drain has begun
  }
  if (!ec) {
    accept();
    return;
  }
  // Out of file descriptors or memory: say so, then pause instead of spinning.
  warn_accept_failed(ec);
  listener_->retry.expires_after(kAcceptRetry);
  listener_->retry.async_wait([this](const boost::system::error_code& wait_ec) {
    if (!wait_ec) {
      accept();
    }
  });
}

void Server::warn_accept_failed(const boost::system::error_code& ec) {
  // While the condition lasts, accept fails at every retry: one line per interval, with
  // the count of failures since the last one, says as much without flooding the log.
  const auto now = std::chrono::steady_clock::now();
  Listener& l = *listener_;
  if (l.accept_failures_unlogged > 0 && now - l.last_accept_warning < kAcceptWarningInterval) {
    ++l.accept_failures_unlogged;
    return;
  }
  if (options_.on_warning) {
    std::string message = "accept failed: " + ec.message();
    if (l.accept_failures_unlogged > 1) {
      message += " (" + std::to_string(l.accept_failures_unlogged - 1) + " more failures since the last warning)";
    }
    options_.on_warning(message);
  }
  l.last_accept_warning = now;
  l.accept_failures_unlogged = 1;
}

void Server::admit(Worker& target, tcp::socket socket) {
  if (open_.fetch_add(1, std::memory_order_relaxed) >= options_.limits.max_connections) {
    open_.fetch_sub(1, std::memory_order_relaxed);
    observer_.on_connection_rejected(target.context().index);
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  boost::system::error_code peer_ec;
  const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
  std::string peer_text = peer_ec ? std::string("unknown") : peer.address().to_string();
  if (&target == workers_.front().get()) {
    // Accepted on this worker's own thread: it serves the socket as it is.
    std::make_shared<Session>(std::move(socket), target, std::move(peer_text))->start();
    return;
  }
  const tcp protocol = listener_->protocol;
  boost::system::error_code release_ec;
  const tcp::socket::native_handle_type fd = socket.release(release_ec);
  if (release_ec) {
    open_.fetch_sub(1, std::memory_order_relaxed);
    observer_.on_connection_rejected(target.context().index);
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  asio::post(target.io(), [&target, protocol, handed = HandedOver(fd), peer_text = std::move(peer_text)]() mutable {
    tcp::socket adopted(target.io());
    boost::system::error_code assign_ec;
    adopted.assign(protocol, handed.get(), assign_ec);
    if (assign_ec) {
      // The reactor could not take it (no memory for its registration): refuse it (the
      // descriptor closes with its holder).
      target.open_connections().fetch_sub(1, std::memory_order_relaxed);
      target.observer().on_connection_rejected(target.context().index);
      return;
    }
    handed.adopted();
    std::make_shared<Session>(std::move(adopted), target, std::move(peer_text))->start();
  });
}

void Server::stop_accepting() {
  // The listener closes on its own thread; this waits until it has, so that the drain's
  // count of open connections already includes every connection the listener let in
  // (a poll that ran earlier could see none, end the drain and reset them).
  auto listener_closed = std::make_shared<std::promise<void>>();
  std::vector<std::future<void>> done;
  done.push_back(listener_closed->get_future());
  asio::post(workers_.front()->io(), [this, listener_closed] {
    boost::system::error_code ec;
    listener_->retry.cancel();
    // Connections whose handshake the kernel completed but that nobody accepted yet
    // would be reset by the close: take them in first.
    listener_->acceptor.non_blocking(true, ec);
    while (!ec) {
      Worker& target = next_worker();
      tcp::socket socket(workers_.front()->io());
      listener_->acceptor.accept(socket, ec);
      if (!ec) {
        admit(target, std::move(socket));
      }
    }
    listener_->acceptor.close(ec);
    // Posted after the close, so it runs after every accept completion queued before it
    // (each has counted its connection by then).
    asio::post(workers_.front()->io(), [listener_closed] { listener_closed->set_value(); });
  });
  for (auto& worker : workers_) {
    auto drained = std::make_shared<std::promise<void>>();
    done.push_back(drained->get_future());
    asio::post(worker->io(), [w = worker.get(), drained] {
      w->stop_accepting();
      drained->set_value();
    });
  }
  // The workers answer within a handler's time; the bound only keeps a wedged worker
  // from stalling the drain (its deadline still applies).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{2};
  for (auto& f : done) {
    f.wait_until(deadline);
  }
}

void Server::close_all() {
  for (auto& worker : workers_) {
    asio::post(worker->io(), [w = worker.get()] { w->close_all(); });
  }
}

void Server::shutdown() {
  for (auto& worker : workers_) {
    worker->join();
  }
  if (listener_) {
    boost::system::error_code ignored;
    listener_->acceptor.close(ignored);
  }
}

}  // namespace hello::http
