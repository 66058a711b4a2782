// Request bodies over a real socket: Expect: 100-continue, answers decided by the header
// alone, and the time a body may take (BODY_TIMEOUT_S).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace hello::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

class BodyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server = new ServerProcess({{"MAX_BODY_BYTES", "100000"},
                                {"HEADER_TIMEOUT_S", "5"},
                                {"BODY_TIMEOUT_S", "1"},
                                {"IDLE_TIMEOUT_S", "5"},
                                {"EMF_INTERVAL_S", "0"}});
  }
  static void TearDownTestSuite() {
    const auto r = http_get(server->port(), "/health");
    EXPECT_TRUE(r.has_value() && r->status == 200);
    EXPECT_EQ(server->stderr_text(), "");
    delete server;
    server = nullptr;
  }
  static ServerProcess* server;
};
ServerProcess* BodyTest::server = nullptr;

// A client that sends a body one byte every `gap`, until told to stop or refused.
class Trickle {
 public:
  Trickle(Connection& c, std::size_t bytes, milliseconds gap)
      : thread_([this, &c, bytes, gap] {
          for (std::size_t i = 0; i < bytes && !stop_; ++i) {
            std::this_thread::sleep_for(gap);
            if (!c.send("b")) {
              break;
            }
          }
        }) {}
  ~Trickle() {
    stop_ = true;
    thread_.join();
  }
  Trickle(const Trickle&) = delete;
  Trickle& operator=(const Trickle&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// --- Expect: 100-continue --------------------------------------------------------------

TEST_F(BodyTest, ExpectContinueToARouteThatTakesTheRequestGets100ThenTheAnswer) {
  Connection c(server->port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  const auto started = Clock::now();
  const auto interim = c.read_response();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  EXPECT_LT(Clock::now() - started, milliseconds{500}) << "100 Continue must come at once";
  ASSERT_TRUE(c.send("hello"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->has("connection"));
  // The connection stays in step.
  ASSERT_TRUE(c.send("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto next = c.read_response();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, R"({"status":"ready"})");
}

TEST_F(BodyTest, ExpectContinueWithAnOutcomeKnownFromTheHeaderGetsTheFinalStatusAtOnceAndAClose) {
  for (const auto& [request, status] : std::vector<std::pair<std::string, int>>{
           {"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n", 405},
           {"PUT /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n", 404},
           {"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\nExpect: 100-continue\r\n\r\n", 413}}) {
    Connection c(server->port());
    ASSERT_TRUE(c.send(request));
    const auto started = Clock::now();
    const auto r = c.read_response();
    ASSERT_TRUE(r.has_value()) << request;
    EXPECT_EQ(r->status, status) << "no 100 Continue when the answer is already known";
    EXPECT_LT(Clock::now() - started, milliseconds{500}) << request;
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.wait_closed(seconds{5}));
  }
}

TEST_F(BodyTest, ExpectContinueWithTheBodyAlreadySentNeedsNoInterimAnswer) {
  // RFC 9110 10.1.1: a server may omit the 100 when the content has already arrived.
  Connection c(server->port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(BodyTest, Http10ExpectContinueIsIgnored) {
  Connection c(server->port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_TRUE(c.silent_for(milliseconds{300})) << "an HTTP/1.0 client gets no 1xx";
  ASSERT_TRUE(c.send("hello"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

// --- Answers known from the header come before the body -------------------------------

TEST_F(BodyTest, AKnownOutcomeIsAnsweredBeforeTheBodyArrives) {
  // 1 byte every 100 ms of a 100-byte body to a route that takes no POST: 405 at once.
  Connection c(server->port());
  ASSERT_TRUE(c.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"));
  const auto started = Clock::now();
  Trickle trickle(c, 100, milliseconds{100});
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);
  EXPECT_LT(Clock::now() - started, milliseconds{500}) << "the 405 waited for the body";
  EXPECT_EQ(r->header("connection"), "close") << "the rest of the body is not read";
  EXPECT_TRUE(c.wait_closed(seconds{5})) << "a trickling body keeps the connection open";
}

TEST_F(BodyTest, ABodyThatArrivesWithItsHeaderKeepsTheConnection) {
  Connection c(server->port());
  ASSERT_TRUE(c.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);
  EXPECT_FALSE(r->has("connection"));
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto next = c.read_response();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
}

// --- BODY_TIMEOUT_S -----------------------------------------------------------------

TEST_F(BodyTest, ABodySlowerThanTheBodyTimeoutIsCutOffWith408) {
  Connection c(server->port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"));
  const auto started = Clock::now();
  Trickle trickle(c, 100, milliseconds{50});  // steady progress, but 5 s for the whole body
  const auto r = c.read_response();
  const auto waited = Clock::now() - started;
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_GE(waited, milliseconds{900});
  EXPECT_LT(waited, milliseconds{2500}) << "BODY_TIMEOUT_S=1 is the time for the whole body";
  EXPECT_TRUE(c.wait_closed(seconds{5}));
}

TEST_F(BodyTest, AChunkedBodySlowerThanTheBodyTimeoutIsCutOffWith408) {
  Connection c(server->port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n"));
  const auto started = Clock::now();
  Trickle trickle(c, 100, milliseconds{50});
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_LT(Clock::now() - started, milliseconds{2500});
}

TEST_F(BodyTest, ABodyWithinTheBodyTimeoutIsServed) {
  Connection c(server->port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"));
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(milliseconds{50});
    ASSERT_TRUE(c.send("b"));
  }
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace hello::testing
