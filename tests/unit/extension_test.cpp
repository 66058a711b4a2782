// The extension API from the outside: a route is added with the router alone (nothing in
// http/ changes), requests carry their body, headers and query, responses any status and
// headers, asynchronous handlers and the offload pool.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>  // std::exchange: Asio 1.18's awaitable.hpp uses it without the include

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/offload.hpp"
#include "http/protocol.hpp"
#include "http/status.hpp"
#include "observability/metrics.hpp"

namespace hello::http {
namespace {

namespace asio = boost::asio;

struct NullObserver : Observer {
  std::vector<std::size_t> routes;
  std::vector<int> statuses;
  void on_request_started(std::size_t) noexcept override {}
  void on_exchange(std::size_t, const Exchange& e) noexcept override {
    routes.push_back(e.route);
    statuses.push_back(e.status);
  }
  void on_responses_written(std::size_t, std::size_t) noexcept override {}
  void on_connection_opened(std::size_t) noexcept override {}
  void on_connection_closed(std::size_t) noexcept override {}
  void on_connection_rejected(std::size_t) noexcept override {}
  void on_buffers_resized(std::size_t, std::size_t, std::size_t) noexcept override {}
};

class ExtensionTest : public ::testing::Test {
 protected:
  std::string feed(const std::string& input) {
    std::string out;
    protocol.feed(input, out, Clock::now());
    return out;
  }
  Router router;
  Limits limits;
  NullObserver observer;
  WorkerContext worker{0, router, limits, observer, 7};
  Protocol protocol{worker, "peer", Clock::now()};
};

TEST_F(ExtensionTest, ARouteIsAddedWithTheRouterAlone) {
  // What a service adds in one file of app/: method, path, handler.
  router.add(Method::kPut, "/v1/items", [](const Request& r) {
    Response response = Response::owned(201, std::string(r.body), "text/plain");
    response.set_header("Location", "/v1/items/" + std::string(r.header("x-item").value_or("?")));
    return response;
  });
  const std::string out = feed(
      "PUT /v1/items HTTP/1.1\r\nHost: x\r\nX-Item: 42\r\nContent-Length: 5\r\n\r\nhello"
      "GET /v1/items HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n", 0), 0U) << out;
  EXPECT_NE(out.find("Location: /v1/items/42\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\nhello"), std::string::npos);
  EXPECT_NE(out.find("HTTP/1.1 405 Method Not Allowed\r\n"), std::string::npos);
  EXPECT_NE(out.find("Allow: PUT, OPTIONS\r\n"), std::string::npos) << out;
  ASSERT_EQ(observer.routes.size(), 2U);
  EXPECT_EQ(observer.routes[0], 0U);  // labelled by the route, even for its 405
  EXPECT_EQ(observer.routes[1], 0U);
  EXPECT_EQ(router.labels()[0], "/v1/items");
}

TEST_F(ExtensionTest, AllowAndHeadFollowWhatIsRegistered) {
  router.get("/r", [](const Request&) { return Response(200, "get"); });
  router.post("/r", [](const Request&) { return Response(200, "post"); });
  router.add(Method::kDelete, "/r", [](const Request&) { return Response(204, {}); });
  EXPECT_EQ(router.allow("/r"), "GET, HEAD, POST, DELETE, OPTIONS");
  EXPECT_EQ(router.match(Method::kHead, "/r").outcome, Router::Outcome::kHandler);
  EXPECT_EQ(router.match(Method::kPatch, "/r").outcome, Router::Outcome::kMethodNotAllowed);
  router.post("/only-post", [](const Request&) { return Response(200, "x"); });
  EXPECT_EQ(router.match(Method::kHead, "/only-post").outcome, Router::Outcome::kMethodNotAllowed);
  EXPECT_THROW(router.get("/r", [](const Request&) { return Response(200, "again"); }), std::logic_error);
  EXPECT_THROW(router.add(Method::kHead, "/h", [](const Request&) { return Response(200, "x"); }), std::logic_error);
  EXPECT_THROW(router.add(Method::kGet, "no-slash", [](const Request&) { return Response(200, "x"); }),
               std::logic_error);
}

TEST_F(ExtensionTest, TheRouteLimitIsSharedWithTheMetrics) {
  static_assert(observability::Metrics::kMaxRoutes == Router::kMaxRoutes + 1);
  for (std::size_t i = 0; i < Router::kMaxRoutes; ++i) {
    router.get("/r" + std::to_string(i), [](const Request&) { return Response(200, "x"); });
  }
  EXPECT_THROW(router.get("/one-too-many", [](const Request&) { return Response(200, "x"); }), std::logic_error);
  // More methods on a known path are no new series.
  EXPECT_NO_THROW(router.post("/r0", [](const Request&) { return Response(200, "x"); }));
}

TEST_F(ExtensionTest, APerRouteBodyLimitIs413) {
  RouteOptions small;
  small.max_body_bytes = 4;
  router.post(
      "/small", [](const Request& r) { return Response::owned(200, std::string(r.body)); }, small);
  router.post("/default", [](const Request& r) { return Response::owned(200, std::string(r.body)); });
  limits.max_body_bytes = 8;
  EXPECT_EQ(feed("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd").rfind("HTTP/1.1 200", 0), 0U);
  Protocol second(worker, "peer", Clock::now());
  std::string out;
  second.feed("POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde", out, Clock::now());
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0U) << out;
  Protocol third(worker, "peer", Clock::now());
  out.clear();
  third.feed("POST /default HTTP/1.1\r\nHost: x\r\nContent-Length: 8\r\n\r\n12345678", out, Clock::now());
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0U) << out;
  EXPECT_NE(out.find("\r\n\r\n12345678"), std::string::npos);
  Protocol fourth(worker, "peer", Clock::now());
  out.clear();
  fourth.feed("POST /default HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n123456789", out, Clock::now());
  EXPECT_EQ(out.rfind("HTTP/1.1 413", 0), 0U) << out;
}

TEST_F(ExtensionTest, RequestsCarryHeadersByNameAndTheDecodedPathAndQuery) {
  std::string seen;
  router.get("/caf\xc3\xa9 au lait", [&seen](const Request& r) {
    seen = std::string(r.path) + "|" + r.query_param("q").value_or("-") + "|" + r.query_param("empty").value_or("-") +
           "|" + r.query_param("none").value_or("-") + "|" + std::string(r.header("X-CUSTOM").value_or("-")) + "|" +
           std::to_string(r.header_count("x-custom"));
    return Response(200, "ok");
  });
  const std::string out =
      feed("GET /caf%C3%A9%20au%20lait?q=a%26b+c&empty HTTP/1.1\r\nHost: x\r\nx-custom: one\r\nX-Custom: two\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0U) << out;
  EXPECT_EQ(seen, "/caf\xc3\xa9 au lait|a&b c||-|one|2");
  // A malformed escape or an encoded NUL in the path is refused.
  Protocol p(worker, "peer", Clock::now());
  std::string bad;
  p.feed("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", bad, Clock::now());
  EXPECT_EQ(bad.rfind("HTTP/1.1 400", 0), 0U) << bad;
  Protocol q(worker, "peer", Clock::now());
  bad.clear();
  q.feed("GET /a%00 HTTP/1.1\r\nHost: x\r\n\r\n", bad, Clock::now());
  EXPECT_EQ(bad.rfind("HTTP/1.1 400", 0), 0U) << bad;
}

TEST_F(ExtensionTest, AnyStatusGetsBeastsReasonPhrase) {
  int status = 200;
  router.get("/s", [&status](const Request&) { return Response(status, "x"); });
  for (const auto& [code, line] :
       std::vector<std::pair<int, std::string>>{{451, "HTTP/1.1 451 Unavailable For Legal Reasons\r\n"},
                                                {201, "HTTP/1.1 201 Created\r\n"},
                                                {429, "HTTP/1.1 429 Too Many Requests\r\n"},
                                                {299, "HTTP/1.1 299 \r\n"}}) {
    status = code;
    Protocol p(worker, "peer", Clock::now());
    std::string out;
    p.feed("GET /s HTTP/1.1\r\nHost: x\r\n\r\n", out, Clock::now());
    EXPECT_EQ(out.rfind(line, 0), 0U) << out;
  }
  // Not a final status: a handler bug, answered 500.
  status = 100;
  Protocol p(worker, "peer", Clock::now());
  std::string out;
  p.feed("GET /s HTTP/1.1\r\nHost: x\r\n\r\n", out, Clock::now());
  EXPECT_EQ(out.rfind("HTTP/1.1 500", 0), 0U) << out;
}

TEST(StatusTable, TheWriterAndTheMetricsShareOneTable) {
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    EXPECT_EQ(status_index(kStatuses[i]), i);
    EXPECT_EQ(observability::Metrics::status_index(kStatuses[i]), i);
    EXPECT_EQ(status_line(kStatuses[i]).rfind("HTTP/1.1 " + std::to_string(kStatuses[i]) + " ", 0), 0U);
  }
  EXPECT_EQ(status_index(299), kStatuses.size());
  EXPECT_EQ(status_index(99), kStatuses.size());
  EXPECT_EQ(status_index(1000), kStatuses.size());
  EXPECT_TRUE(status_line(299).empty());
  EXPECT_EQ(status_line(503), "HTTP/1.1 503 Service Unavailable\r\n");
}

TEST(ResponseTest, HeadersThatWouldBreakTheFramingAreRefused) {
  Response r(200, "x");
  EXPECT_THROW(r.set_header("Content-Length", "1"), std::invalid_argument);
  EXPECT_THROW(r.set_header("transfer-encoding", "chunked"), std::invalid_argument);
  EXPECT_THROW(r.set_header("X-A", "a\r\nInjected: yes"), std::invalid_argument);
  EXPECT_THROW(r.set_header("Bad Name", "v"), std::invalid_argument);
  EXPECT_NO_THROW(r.set_header("Retry-After", "5"));
  ASSERT_EQ(r.headers().size(), 1U);
  // An owned content type survives moves (a short string lives inside the object).
  Response moved = std::move(r.set_content_type("text/csv"));
  Response again = std::move(moved);
  EXPECT_EQ(again.content_type(), "text/csv");
}

TEST(OffloadTest, WorkRunsOnThePoolAndTheHandlerResumesOnItsWorker) {
  OffloadPool pool(2);
  asio::io_context io;
  const std::thread::id worker_thread = std::this_thread::get_id();
  std::thread::id work_thread, resumed_thread;
  int result = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        result = co_await pool.run([&work_thread] {
          work_thread = std::this_thread::get_id();
          std::this_thread::sleep_for(std::chrono::milliseconds{50});  // blocking work
          return 42;
        });
        resumed_thread = std::this_thread::get_id();
      },
      [](std::exception_ptr e) {
        if (e) {
          std::rethrow_exception(e);
        }
      });
  io.run();  // on this thread: the "worker"
  EXPECT_EQ(result, 42);
  EXPECT_NE(work_thread, worker_thread);
  EXPECT_EQ(resumed_thread, worker_thread);
}

TEST(OffloadTest, AnExceptionFromTheWorkReachesTheHandler) {
  OffloadPool pool(1);
  asio::io_context io;
  std::string caught;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          co_await pool.run([]() -> int { throw std::runtime_error("disk on fire"); });
        } catch (const std::runtime_error& e) {
          caught = e.what();
        }
      },
      asio::detached);
  io.run();
  EXPECT_EQ(caught, "disk on fire");
}

TEST_F(ExtensionTest, AnAsynchronousRouteIsPendingUntilItsCoroutineCompletes) {
  router.add_async(Method::kGet, "/async", [](Request r) -> asio::awaitable<Response> {
    co_return Response::owned(200, "async " + std::string(r.header("x-n").value_or("?")));
  });
  router.get("/sync", [](const Request&) { return Response(200, "sync"); });
  std::string out;
  const std::string input =
      "GET /sync HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /async HTTP/1.1\r\nHost: x\r\nX-N: 1\r\n\r\n"
      "GET /sync HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::size_t consumed = protocol.feed(input, out, Clock::now());
  // The answer before it is out; the one after it waits (not even parsed).
  EXPECT_EQ(out.find("async"), std::string::npos);
  EXPECT_NE(out.find("\r\n\r\nsync"), std::string::npos);
  ASSERT_TRUE(protocol.pending());
  EXPECT_LT(consumed, input.size());
  asio::io_context io;
  Response answer;
  asio::co_spawn(io, protocol.start_pending(), [&answer](std::exception_ptr, Response r) { answer = std::move(r); });
  io.run();
  out.clear();
  protocol.complete(std::move(answer), {}, out);
  EXPECT_FALSE(protocol.pending());
  EXPECT_NE(out.find("\r\n\r\nasync 1"), std::string::npos) << out;
  out.clear();
  protocol.feed(std::string_view(input).substr(consumed), out, Clock::now());
  EXPECT_NE(out.find("\r\n\r\nsync"), std::string::npos);
}

}  // namespace
}  // namespace hello::http
