#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hello::testing {

struct HttpResponse {
  int status = 0;
  std::string head;                            // status line and fields, as received
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  bool has(const std::string& name) const { return headers.count(name) > 0; }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A plain blocking TCP connection to 127.0.0.1 for speaking raw HTTP/1.1, malformed
// requests included. Every read has a timeout so that a test can never hang.
class Connection {
 public:
  explicit Connection(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds{10});
  ~Connection();
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&&) = delete;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool connected() const noexcept { return fd_ >= 0; }
  // False if the peer has closed or reset the connection.
  bool send(std::string_view bytes);
  // Reads one response (framed by Content-Length; none for HEAD and 204). Nothing on
  // close, reset or timeout.
  std::optional<HttpResponse> read_response(bool head_request = false);
  // True if the peer closes (EOF or reset) within `timeout`. Bytes that arrive before
  // the close are kept (see buffered()).
  bool wait_closed(std::chrono::milliseconds timeout);
  // True if nothing arrives and the peer does not close within `timeout`.
  bool silent_for(std::chrono::milliseconds timeout);
  // Bytes received but not yet read as part of a response (a body where none was due).
  const std::string& buffered() const noexcept { return buffer_; }
  void close();
  int fd() const noexcept { return fd_; }

 private:
  bool fill();
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection ("GET /path" with Host and Connection: close).
std::optional<HttpResponse> http_get(std::uint16_t port, const std::string& target,
                                     const std::string& extra_headers = {}, const std::string& method = "GET");

}  // namespace hello::testing
