#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "http/protocol.hpp"

namespace hello::http {

class Worker;

// One TCP connection: reads bytes, lets Protocol turn them into responses, writes them,
// and enforces the connection's deadline. Lives on one worker thread; kept alive by
// the shared_ptr its pending operation holds.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // What a connection's buffers keep between requests at most; anything a burst grew
  // them to beyond this is returned once the connection is idle again.
  static constexpr std::size_t kRetainedInput = 4096;
  static constexpr std::size_t kRetainedOutput = 4096;
  // The memory one open connection may hold between requests, which MAX_CONNECTIONS is
  // checked against at start-up: the retained buffers; 2 KiB for the session object, its
  // socket's state and its pending read (an idle connection measured 5.3 KiB of resident
  // memory in all); and 4 KiB for the kernel's side of the socket, which a container's
  // memory cgroup is charged for too.
  static constexpr std::size_t kMemoryPerConnection =
      kRetainedInput + kRetainedOutput + Protocol::kRetainedArena + 2048 + 4096;

  Session(boost::asio::ip::tcp::socket socket, Worker& worker, std::string peer);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void start();
  // Called by the worker's sweep.
  void check_deadline(Clock::time_point now);
  // The server stopped accepting: close if idle between requests, else end after the
  // current (or first) response.
  void drain();
  void close_now() noexcept;

  // The worker's intrusive list.
  Session* prev = nullptr;
  Session* next = nullptr;

 private:
  // kPending: an asynchronous handler runs; nothing is read until it answers.
  enum class State { kReading, kWriting, kPending, kLingering, kClosed };

  void read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  void process(Clock::time_point now);
  void write();
  void on_write(const boost::system::error_code& ec, std::size_t bytes);
  void finish(Clock::time_point now);
  void start_handler(Clock::time_point now);
  void on_handler_done(const std::exception_ptr& error, Response response);
  void await_request(Clock::time_point now);
  bool idle() const noexcept;
  // Reports a change of the bytes the buffers hold (for http_connection_buffer_bytes).
  void account_buffers() noexcept;
  void release_burst();

  boost::asio::ip::tcp::socket socket_;
  Worker& worker_;
  std::string peer_;
  Protocol protocol_;
  std::unique_ptr<char[]> in_;
  std::size_t in_capacity_;
  std::size_t in_size_ = 0;
  std::string out_;
  std::size_t answered_in_write_ = 0;
  std::size_t buffer_bytes_ = 0;  // as last reported
  Clock::time_point deadline_{};
  bool read_pending_ = false;
  bool handler_running_ = false;
  bool handler_timed_out_ = false;
  State state_ = State::kReading;
};

}  // namespace hello::http
