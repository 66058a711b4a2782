#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "http/limits.hpp"
#include "http/observer.hpp"
#include "http/router.hpp"

namespace hello::http {

class Worker;

struct ServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 5000;  // 0: any free port (tests)
  std::size_t workers = 1;
  Limits limits;
  // Problems the server survives (an accept that failed, a handler bug), for the log.
  std::function<void(std::string_view message)> on_warning;
};

// The listener and its workers: one io_context and one thread per worker; one acceptor
// hands connections to the workers in turn. Every method is safe to call from any
// thread; `run` blocks until `shutdown`.
class Server {
 public:
  Server(ServerOptions options, const Router& router, Observer& observer);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Returns an empty string, or what went wrong (the caller exits).
  std::string listen();
  std::uint16_t port() const noexcept { return port_; }

  // Starts the worker threads; connections are accepted from then on.
  void start();

  // The drain's second step: close the listener, close idle keep-alive connections, and
  // make every further response carry Connection: close. Returns once the listener is
  // closed and every connection it let in is counted in open_connections().
  void stop_accepting();
  // Closes every connection now (the drain deadline, or a second signal).
  void close_all();
  std::size_t open_connections() const noexcept { return open_.load(std::memory_order_relaxed); }

  // Stops the workers and joins their threads.
  void shutdown();

 private:
  void accept();
  // Hands an accepted connection to `target`, or closes it when MAX_CONNECTIONS are open.
  void admit(Worker& target, boost::asio::ip::tcp::socket socket);
  Worker& next_worker();
  void on_accept(Worker& target, const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket);
  void warn_accept_failed(const boost::system::error_code& ec);

  ServerOptions options_;
  const Router& router_;
  Observer& observer_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<std::size_t> open_{0};
  std::size_t next_worker_ = 0;
  std::uint16_t port_ = 0;
  struct Listener;
  std::unique_ptr<Listener> listener_;
  bool started_ = false;
};

}  // namespace hello::http
