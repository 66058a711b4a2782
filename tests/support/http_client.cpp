#include "support/http_client.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hello::testing {

Connection::Connection(std::uint16_t port, std::chrono::milliseconds timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    return;
  }
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

Connection::~Connection() { close(); }

Connection::Connection(Connection&& other) noexcept : fd_(other.fd_), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

void Connection::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

bool Connection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool Connection::fill() {
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

std::optional<HttpResponse> Connection::read_response(bool head_request) {
  if (fd_ < 0) {
    return std::nullopt;
  }
  std::size_t end = 0;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) {
      return std::nullopt;
    }
  }
  HttpResponse r;
  r.head = buffer_.substr(0, end + 2);
  const std::size_t first_line_end = r.head.find("\r\n");
  const std::string status_line = r.head.substr(0, first_line_end);
  if (status_line.size() < 12 || status_line.compare(0, 9, "HTTP/1.1 ") != 0) {
    return std::nullopt;
  }
  r.status = std::stoi(status_line.substr(9, 3));
  std::size_t pos = first_line_end + 2;
  while (pos < r.head.size()) {
    const std::size_t eol = r.head.find("\r\n", pos);
    const std::string line = r.head.substr(pos, eol - pos);
    pos = eol + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers[name] = value;
  }
  buffer_.erase(0, end + 4);
  std::size_t length = 0;
  if (!head_request && r.status != 204 && r.has("content-length")) {
    length = std::stoul(r.header("content-length"));
  }
  while (buffer_.size() < length) {
    if (!fill()) {
      return std::nullopt;
    }
  }
  r.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return r;
}

bool Connection::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) {
      continue;
    }
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      return true;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

bool Connection::silent_for(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 0;
}

std::optional<HttpResponse> http_get(std::uint16_t port, const std::string& target, const std::string& extra_headers,
                                     const std::string& method) {
  Connection c(port);
  if (!c.connected()) {
    return std::nullopt;
  }
  if (!c.send(method + " " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "Connection: close\r\n\r\n")) {
    return std::nullopt;
  }
  return c.read_response(method == "HEAD");
}

}  // namespace hello::testing
