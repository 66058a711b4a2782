#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace hello::http {

// Every limit the HTTP layer enforces, with its default. Config fills this from the
// environment; tests and the fuzzer build it directly.
struct Limits {
  // The whole request header block (request line and fields). ALB accepts up to 64 KiB
  // in all, but nothing this service serves needs more than a few hundred bytes; 16 KiB
  // leaves room for large cookies and trace headers. Over it: 431.
  std::size_t max_header_bytes = std::size_t{16} * 1024;

  // The request target (path and query). Over it: 414. Must not exceed the header limit.
  std::size_t max_target_bytes = std::size_t{8} * 1024;

  // A request body is read and discarded (no endpoint takes one), but only up to this
  // size, so that a client cannot keep a worker busy with an endless upload. Over it: 413.
  std::uint64_t max_body_bytes = std::uint64_t{1024} * 1024;

  // Open connections across all workers. Past it, a new connection is closed at once:
  // fewer, healthy connections beat an overloaded process that serves nobody.
  std::size_t max_connections = 10000;

  // Requests served on one connection before it is closed; 0 means no limit (the ALB
  // reuses its connections, and closing them only costs it a new handshake).
  std::uint64_t max_requests_per_connection = 0;

  // From the first byte of a request to the end of its header block, and between two
  // reads of a body. A client slower than that is cut off (408 if it sent part of a request).
  std::chrono::milliseconds header_timeout{std::chrono::seconds{10}};

  // How long a keep-alive connection may sit idle between requests. It must exceed the
  // ALB's idle timeout (60 s): if the service closed first, the ALB could send a request
  // on a connection that is being closed and answer its client with a 502.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds{75}};
};

}  // namespace hello::http
