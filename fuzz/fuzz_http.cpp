// Raw bytes through the whole request path: the parser, the router with the real
// handlers, the response writer and the metrics, split into reads at points the input
// chooses, with the client timing out after a read the input chooses (a header, or a
// body awaited after "100 Continue", cut off mid-way). Invariants checked on every input:
//  - every response is well-formed HTTP/1.1 with a status line and Content-Length
//    (except 204 and the interim 100) and a body of exactly that length;
//  - once the connection is closing, nothing more is parsed;
//  - the connection's next deadline is never further away than its longest timeout;
//  - no input makes the engine loop without progress;
//  - a request to an asynchronous route (GET /v1/dependency) leaves the engine pending,
//    parsing nothing more, until its coroutine's answer is given; then it goes on.
// The real routes include POST /v1/greetings, so JSON bodies (and its 64 KiB limit)
// go through the same path.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>  // std::exchange: Asio 1.18's awaitable.hpp uses it without the include

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "app/service.hpp"
#include "http/protocol.hpp"
#include "observability/metrics.hpp"
#include "observability/request_observer.hpp"

namespace {

using namespace hello;

struct Fixture {
  Fixture() {
    state.build = app::build_info();
    state.runtime = app::runtime_info("fuzz", 1);
    app::register_routes(router, state, true);
    observability::Metrics::Labels labels;
    for (const auto label : router.labels()) {
      labels.routes.emplace_back(label);
    }
    metrics = std::make_unique<observability::Metrics>(std::move(labels), 1);
    state.metrics = metrics.get();
    observer = std::make_unique<observability::RequestObserver>(*metrics, nullptr);
    limits.max_header_bytes = 2048;
    limits.max_target_bytes = 512;
    limits.max_body_bytes = 1024;
    limits.max_requests_per_connection = 50;
    limits.header_timeout = std::chrono::seconds{10};
    limits.body_timeout = std::chrono::seconds{30};
    limits.idle_timeout = std::chrono::seconds{75};
    worker = std::make_unique<http::WorkerContext>(0, router, limits, *observer, 1);
  }
  app::AppState state;
  http::Router router;
  http::Limits limits;
  std::unique_ptr<observability::Metrics> metrics;
  std::unique_ptr<observability::RequestObserver> observer;
  std::unique_ptr<http::WorkerContext> worker;
};

[[noreturn]] void fail() { std::abort(); }

// Walks the output: a sequence of complete responses.
void check_responses(std::string_view out) {
  while (!out.empty()) {
    if (out.substr(0, 9) != "HTTP/1.1 ") {
      fail();
    }
    const std::size_t head_end = out.find("\r\n\r\n");
    if (head_end == std::string_view::npos) {
      fail();
    }
    const std::string_view head = out.substr(0, head_end + 2);
    const int status = std::atoi(std::string(out.substr(9, 3)).c_str());
    std::size_t length = 0;
    const std::size_t cl = head.find("\r\nContent-Length: ");
    if (status == 100) {
      // The interim answer: a status line alone, the final answer follows later.
      if (head != "HTTP/1.1 100 Continue\r\n") {
        fail();
      }
    } else if (status != 204) {
      if (cl == std::string_view::npos) {
        fail();
      }
      length = std::strtoul(std::string(head.substr(cl + 18, 12)).c_str(), nullptr, 10);
    } else if (cl != std::string_view::npos) {
      fail();
    }
    out.remove_prefix(head_end + 4);
    // A HEAD answer announces the GET body's length but carries none: the next response
    // (or the end of the output) follows at once. Our bodies never start like a status line.
    const bool next_is_response = out.empty() || out.substr(0, 9) == "HTTP/1.1 ";
    if (length > 0 && next_is_response) {
      continue;
    }
    if (out.size() < length) {
      fail();  // a truncated body
    }
    out.remove_prefix(length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  if (size < 2) {
    return 0;
  }
  // The first byte picks the read size, so that requests arrive split in many ways; the
  // second, after which read the client stops sending and is timed out (0: never, the
  // input just ends and the connection is timed out then).
  const std::size_t chunk = 1 + data[0] % 64;
  const std::size_t timeout_after = data[1] % 32;
  const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
  const http::Limits& limits = fixture.limits;
  const auto longest = std::max({limits.header_timeout, limits.body_timeout, limits.idle_timeout});

  http::Clock::time_point now = http::Clock::now();
  http::Protocol protocol(*fixture.worker, "fuzz", now);
  std::string pending;
  std::string out;
  std::size_t offset = 0;
  std::size_t reads = 0;
  int idle_rounds = 0;
  while (offset < input.size() || !pending.empty()) {
    if (offset < input.size()) {
      const std::size_t n = std::min(chunk, input.size() - offset);
      pending.append(input.substr(offset, n));
      offset += n;
      ++reads;
    }
    now += std::chrono::milliseconds{1};
    out.clear();
    const std::size_t consumed = protocol.feed(pending, out, now);
    if (consumed > pending.size()) {
      fail();
    }
    pending.erase(0, consumed);
    check_responses(out);
    if (protocol.pending()) {
      if (!out.empty() && protocol.closing()) {
        fail();
      }
      // Nothing more is parsed while a handler runs.
      std::string during;
      if (protocol.feed(pending, during, now) != 0 || !during.empty()) {
        fail();
      }
      // Run its coroutine (DEPENDENCY_URL is unset here: it answers without I/O).
      boost::asio::io_context io;
      http::Response answer;
      bool threw = false;
      boost::asio::co_spawn(io, protocol.start_pending(), [&](std::exception_ptr e, http::Response r) {
        threw = e != nullptr;
        answer = std::move(r);
      });
      io.run();
      if (threw) {
        fail();
      }
      out.clear();
      protocol.complete(std::move(answer), {}, out);
      check_responses(out);
      if (protocol.pending() || out.empty()) {
        fail();
      }
    }
    if (protocol.closing()) {
      std::string after;
      if (protocol.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n", after, now) != 0 || !after.empty()) {
        fail();  // nothing is parsed once closing
      }
      return 0;
    }
    if (protocol.read_deadline(now) > now + longest) {
      fail();
    }
    if (reads == timeout_after) {
      break;  // the client goes silent here
    }
    // All input delivered and nothing consumed: the engine waits for more bytes.
    if (offset >= input.size() && consumed == 0 && out.empty()) {
      if (++idle_rounds > 1) {
        break;
      }
    }
  }
  out.clear();
  protocol.timeout(pending, out, now + longest);
  check_responses(out);
  if (!protocol.closing()) {
    fail();
  }
  return 0;
}
