// Which deadline applies when, over a real socket: the header timeout runs from the
// first moment the service waits for a request's header (from accept for a new
// connection, from the read that brought its first bytes for a pipelined request); the
// idle timeout only between requests of a kept-alive connection.
#include <gtest/gtest.h>

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

class TimeoutsTest : public ::testing::Test {
 protected:
  // A header timeout far below the idle timeout, so that the two cannot be confused.
  static void SetUpTestSuite() {
    server = new ServerProcess({{"HEADER_TIMEOUT_S", "0.5"}, {"IDLE_TIMEOUT_S", "6"}, {"EMF_INTERVAL_S", "0"}});
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server->stderr_text(), "");
    delete server;
    server = nullptr;
  }
  static ServerProcess* server;
};
ServerProcess* TimeoutsTest::server = nullptr;

TEST_F(TimeoutsTest, ANewConnectionThatSendsNothingIsClosedAfterTheHeaderTimeout) {
  Connection c(server->port());
  ASSERT_TRUE(c.connected());
  const auto started = Clock::now();
  EXPECT_TRUE(c.wait_closed(seconds{3})) << "a silent new connection got the idle timeout";
  const auto waited = Clock::now() - started;
  EXPECT_GE(waited, milliseconds{400});
  EXPECT_EQ(c.buffered(), "") << "nothing was asked, so nothing is answered";
}

TEST_F(TimeoutsTest, AKeptAliveConnectionGetsTheIdleTimeoutBetweenRequests) {
  Connection c(server->port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(c.read_response().has_value());
  EXPECT_TRUE(c.silent_for(milliseconds{1500})) << "closed long before the idle timeout";
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
}

TEST_F(TimeoutsTest, APipelinedRequestStartedInTheSameReadGetsTheHeaderTimeout) {
  Connection c(server->port());
  // The first request arrives in two pieces; the second piece also carries the start of
  // a second request, which never completes.
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost"));
  std::this_thread::sleep_for(milliseconds{100});
  ASSERT_TRUE(c.send(": x\r\n\r\nGET /health HTTP/1.1\r\nHo"));
  const auto started = Clock::now();
  const auto first = c.read_response();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200);
  const auto second = c.read_response();
  const auto waited = Clock::now() - started;
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 408);
  EXPECT_LT(waited, milliseconds{2000}) << "the unfinished second request got the idle timeout";
}

TEST_F(TimeoutsTest, EachPipelinedRequestGetsItsOwnHeaderTimeout) {
  Connection c(server->port());
  // A complete request, then the start of another, 300 ms apart, three times: every
  // request is well within its own header timeout although the connection is older.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\n"));
    std::this_thread::sleep_for(milliseconds{300});
    ASSERT_TRUE(c.send("Host: x\r\n\r\n"));
    const auto r = c.read_response();
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->status, 200) << i;
  }
}

}  // namespace
}  // namespace hello::testing
