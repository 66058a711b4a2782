// A worker with real sockets on loopback, and an allocation made to fail inside its
// deadline sweep. Its own executable: it replaces the global operator new.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "http/session.hpp"
#include "http/worker.hpp"
#include "support/sanitizers.hpp"

namespace {

// The next allocation on one thread throws std::bad_alloc, once.
std::atomic<bool> fail_next_allocation{false};
std::atomic<std::thread::id> failing_thread{};

// Allocations made on this thread (the allocation-free request path is measured with it).
thread_local std::size_t allocations = 0;

[[maybe_unused]] void* allocate(std::size_t size) {
  ++allocations;
  if (fail_next_allocation.load(std::memory_order_relaxed) && std::this_thread::get_id() == failing_thread.load() &&
      fail_next_allocation.exchange(false)) {
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) {
    return p;
  }
  throw std::bad_alloc();
}

}  // namespace

#if HELLO_TEST_CAN_REPLACE_NEW
void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace hello::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

struct QuietObserver : Observer {
  void on_request_started(std::size_t) noexcept override {}
  void on_exchange(std::size_t, const Exchange&) noexcept override {}
  void on_responses_written(std::size_t, std::size_t) noexcept override {}
  void on_connection_opened(std::size_t) noexcept override {}
  void on_connection_closed(std::size_t) noexcept override {}
  void on_connection_rejected(std::size_t) noexcept override {}
  void on_buffers_resized(std::size_t, std::size_t, std::size_t) noexcept override {}
};

struct Received {
  std::string text;
  bool closed = false;  // the peer closed (or reset) the connection
};

// Reads from `socket` until `needle` arrives, the peer closes, or `timeout` passes.
Received read_until(tcp::socket& socket, const std::string& needle, milliseconds timeout) {
  Received got;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  socket.non_blocking(true);
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline && got.text.find(needle) == std::string::npos) {
    boost::system::error_code ec;
    const std::size_t n = socket.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block) {
      std::this_thread::sleep_for(milliseconds{5});
      continue;
    }
    if (ec) {
      got.closed = true;
      break;
    }
    got.text.append(buffer, n);
  }
  return got;
}

TEST(WorkerTest, AnExceptionInTheDeadlineSweepDoesNotStopLaterTimeouts) {
  if (!hello::test::kCanReplaceOperatorNew) {
    GTEST_SKIP() << "this build's sanitizer runtime owns operator new: no allocation can be made to fail here";
  }
  Router router;
  router.get("/health", [](const Request&) { return Response(200, R"({"status":"healthy"})"); });
  Limits limits;
  limits.header_timeout = milliseconds{300};
  limits.idle_timeout = std::chrono::seconds{30};
  QuietObserver observer;
  std::atomic<std::size_t> open{0};
  std::vector<std::string> warnings;
  Worker worker(0, router, limits, observer, open, [&](std::string_view w) { warnings.emplace_back(w); });
  worker.start();

  std::promise<std::thread::id> worker_thread;
  asio::post(worker.io(), [&] { worker_thread.set_value(std::this_thread::get_id()); });
  failing_thread = worker_thread.get_future().get();

  asio::io_context client_io;
  tcp::acceptor acceptor(client_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto connect = [&] {
    tcp::socket client(client_io);
    client.connect(acceptor.local_endpoint());
    tcp::socket server_side = acceptor.accept(worker.io());
    open.fetch_add(1);
    asio::post(worker.io(), [&worker, s = std::move(server_side)]() mutable {
      std::make_shared<Session>(std::move(s), worker, "127.0.0.1")->start();
    });
    return client;
  };

  // Two clients stall in the middle of a header; the first one's 408 cannot be
  // allocated.
  tcp::socket first = connect();
  asio::write(first, asio::buffer(std::string("GET /health HTTP/1.1\r\n")));
  std::this_thread::sleep_for(milliseconds{100});
  tcp::socket second = connect();
  asio::write(second, asio::buffer(std::string("GET /health HTTP/1.1\r\n")));
  std::this_thread::sleep_for(milliseconds{50});
  fail_next_allocation = true;

  // The second client still gets its 408, within its header timeout and a sweep or two.
  const auto started = std::chrono::steady_clock::now();
  const Received answer = read_until(second, "\r\n\r\n", std::chrono::seconds{3});
  EXPECT_EQ(answer.text.rfind("HTTP/1.1 408 ", 0), 0U) << "no timeout fired after the failed one; got: " << answer.text;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds{2});
  EXPECT_FALSE(fail_next_allocation.load()) << "the injected failure never happened: the test proved nothing";
  // The first client was cut off, not left hanging.
  EXPECT_TRUE(read_until(first, "never sent", std::chrono::seconds{2}).closed) << "the first connection is still open";
  worker.join();
}

}  // namespace
}  // namespace hello::http

namespace hello::http {
namespace {

struct SilentObserver : Observer {
  void on_request_started(std::size_t) noexcept override {}
  void on_exchange(std::size_t, const Exchange&) noexcept override {}
  void on_responses_written(std::size_t, std::size_t) noexcept override {}
  void on_connection_opened(std::size_t) noexcept override {}
  void on_connection_closed(std::size_t) noexcept override {}
  void on_connection_rejected(std::size_t) noexcept override {}
  void on_buffers_resized(std::size_t, std::size_t, std::size_t) noexcept override {}
};

TEST(HotPathTest, AWarmConnectionAnswersGetHealthWithoutAllocating) {
  if (!hello::test::kCanReplaceOperatorNew) {
    GTEST_SKIP() << "this build's sanitizer runtime owns operator new: allocations cannot be counted here";
  }
  // Routes as the service has them: an asynchronous and a POST route beside /health.
  static const std::string health = R"({"status":"healthy"})";
  Router router;
  router.get(
      "/health", [](const Request&) { return Response(200, health); }, true);
  router.post("/v1/greetings", [](const Request&) { return Response(200, health); });
  router.add_async(Method::kGet, "/v1/dependency",
                   [](Request) -> boost::asio::awaitable<Response> { co_return Response(200, health); });
  Limits limits;
  SilentObserver observer;
  WorkerContext worker(0, router, limits, observer, 1);
  Protocol protocol(worker, "127.0.0.1", Clock::now());
  const std::string request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n";
  std::string out;
  for (int i = 0; i < 3; ++i) {  // warm: buffers at their working size
    out.clear();
    ASSERT_EQ(protocol.feed(request, out, Clock::now()), request.size());
  }
  const std::size_t before = allocations;
  for (int i = 0; i < 100; ++i) {
    out.clear();
    protocol.feed(request, out, Clock::now());
  }
  EXPECT_EQ(allocations - before, 0U) << "allocations in 100 warm GET /health requests";
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << out;
}

}  // namespace
}  // namespace hello::http
