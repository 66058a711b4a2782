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

  // From the moment the service waits for a request's header to the end of it: from the
  // accept for a connection's first request, from the read that brought its first bytes
  // for a later one. A client slower than that is cut off (408 if it sent part of a
  // request, a silent close if it sent nothing).
  std::chrono::milliseconds header_timeout{std::chrono::seconds{10}};

  // From the end of a request's header to the end of its body, for requests whose answer
  // waits for the body (a request answered from its header alone is never kept waiting).
  // A floor on the upload rate: the default lets the largest default body (1 MiB) arrive
  // at 35 KB/s; a client slower than that is cut off with 408.
  std::chrono::milliseconds body_timeout{std::chrono::seconds{30}};

  // How long a keep-alive connection may sit idle between requests. It must exceed the
  // ALB's idle timeout (60 s): if the service closed first, the ALB could send a request
  // on a connection that is being closed and answer its client with a 502.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds{75}};

  // How long an asynchronous handler may take. Past it, the client gets 503 (logged as
  // "handler timeout") and the connection closes after it; the coroutine is left to
  // finish on its own (its I/O carries its own timeouts), and the drain waits for it.
  std::chrono::milliseconds handler_timeout{std::chrono::seconds{10}};
};

}  // namespace hello::http
