// Framing over a real socket: every response is framed the one way the request's
// method and status allow, and a request is never read two ways. Where a defect would
// desynchronize the connection, the test sends a follow-up request on the same
// connection and checks what comes back.
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

const std::string kHealth = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

class FramingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server = new ServerProcess({{"MAX_HEADER_BYTES", "4096"},
                                {"MAX_TARGET_BYTES", "1024"},
                                {"MAX_BODY_BYTES", "1000"},
                                {"HEADER_TIMEOUT_S", "1"},
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

  // After a response, the connection is still in step: a follow-up GET /health on it
  // gets exactly its own answer.
  static void expect_in_step(Connection& c) {
    ASSERT_TRUE(c.send(kHealth));
    const auto next = c.read_response();
    ASSERT_TRUE(next.has_value()) << "no well-formed answer to the follow-up; stray bytes: " << c.buffered();
    EXPECT_EQ(next->status, 200);
    EXPECT_EQ(next->body, R"({"status":"healthy"})");
  }

  // A refused HEAD: the status, Content-Length announced but no body, then the close.
  static void expect_head_refusal(const std::string& bytes, int status) {
    Connection c(server->port());
    ASSERT_TRUE(c.connected());
    c.send(bytes);
    const auto r = c.read_response(/*head_request=*/true);
    ASSERT_TRUE(r.has_value()) << bytes.substr(0, 60);
    EXPECT_EQ(r->status, status) << bytes.substr(0, 60);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.wait_closed(seconds{5}));
    EXPECT_EQ(c.buffered(), "") << "a HEAD answer carried a body";
  }

  static ServerProcess* server;
};
ServerProcess* FramingTest::server = nullptr;

// --- HEAD never carries a body ---------------------------------------------------------

TEST_F(FramingTest, HeadOfAsteriskIs400WithoutBodyAndTheConnectionStaysInStep) {
  Connection c(server->port());
  ASSERT_TRUE(c.send("HEAD * HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto r = c.read_response(/*head_request=*/true);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  expect_in_step(c);
}

TEST_F(FramingTest, HeadWithATooLongTargetGets414WithoutBody) {
  expect_head_refusal("HEAD /" + std::string(2000, 't') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
}

TEST_F(FramingTest, HeadWithATargetLongerThanTheHeaderLimitGets414WithoutBody) {
  expect_head_refusal("HEAD /" + std::string(5000, 't') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414);
}

TEST_F(FramingTest, HeadWithATooLargeBodyGets413WithoutBody) {
  expect_head_refusal("HEAD /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413);
}

TEST_F(FramingTest, HeadWithATooLargeHeaderGets431WithoutBody) {
  expect_head_refusal("HEAD /health HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(5000, 'p') + "\r\n\r\n", 431);
}

TEST_F(FramingTest, HeadThatTimesOutGets408WithoutBody) {
  expect_head_refusal("HEAD /health HTTP/1.1\r\nHost: x\r\n", 408);
}

TEST_F(FramingTest, HeadWithABadHeaderGets400WithoutBody) {
  expect_head_refusal("HEAD /health HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n", 400);
}

// --- HTTP/1.0 with Transfer-Encoding ---------------------------------------------------

TEST_F(FramingTest, Http10WithTransferEncodingIs400AndTheConnectionCloses) {
  // RFC 9112 6.1: the framing is faulty; answering and reading on would let this hop and
  // another disagree about where the next request starts.
  Connection c(server->port());
  ASSERT_TRUE(c.send("POST /health HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
                     kHealth));
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(seconds{5}));
  EXPECT_EQ(c.buffered(), "") << "the request after it was answered";
}

// --- Host ---------------------------------------------------------------------------

TEST_F(FramingTest, AnInvalidHostIs400) {
  for (const char* host :
       {"a b/c", "a/b", "[::1", "[zz::1]", "[::1]x", "host:http", "a@b", "ex ample.com", "host:123456", "a\"b"}) {
    Connection c(server->port());
    ASSERT_TRUE(c.send(std::string("GET /health HTTP/1.1\r\nHost: ") + host + "\r\n\r\n"));
    const auto r = c.read_response();
    ASSERT_TRUE(r.has_value()) << host;
    EXPECT_EQ(r->status, 400) << host;
    EXPECT_EQ(r->header("connection"), "close") << host;
  }
}

TEST_F(FramingTest, AValidHostIsServed) {
  for (const char* host : {"example.com", "example.com:8080", "127.0.0.1", "127.0.0.1:5000", "[::1]", "[::1]:5000",
                           "[2001:db8::7]:80", "xn--bcher-kva.example", "my_host.internal", "a-b.c~d", "", "x:"}) {
    Connection c(server->port());
    ASSERT_TRUE(c.send(std::string("GET /health HTTP/1.1\r\nHost: ") + host + "\r\n\r\n"));
    const auto r = c.read_response();
    ASSERT_TRUE(r.has_value()) << host;
    EXPECT_EQ(r->status, 200) << "Host: " << host;
  }
}

// --- The request line and the version -----------------------------------------------

TEST_F(FramingTest, ASpaceInTheTargetIs400NotAVersionProblem) {
  Connection c(server->port());
  ASSERT_TRUE(c.send("GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("connection"), "close");
}

TEST_F(FramingTest, LaterHttp1MinorVersionsAreAnsweredAsHttp11) {
  // RFC 9110 2.5: a server answers a higher minor version of its major version as the
  // highest it speaks. The connection stays open (1.1 semantics).
  for (const char* version : {"HTTP/1.2", "HTTP/1.9"}) {
    Connection c(server->port());
    ASSERT_TRUE(c.send(std::string("GET /health ") + version + "\r\nHost: x\r\n\r\n"));
    const auto r = c.read_response();
    ASSERT_TRUE(r.has_value()) << version;
    EXPECT_EQ(r->status, 200) << version;
    EXPECT_FALSE(r->has("connection")) << version;
    expect_in_step(c);
  }
}

TEST_F(FramingTest, OtherMajorVersionsAre505AndGarbageIs400) {
  for (const auto& [line, status] : std::vector<std::pair<std::string, int>>{{"GET /health HTTP/2.0", 505},
                                                                             {"GET /health HTTP/0.9", 505},
                                                                             {"GET /health HTTP/1.x", 400},
                                                                             {"GET /health HTTP/1.1 extra", 400}}) {
    Connection c(server->port());
    ASSERT_TRUE(c.send(line + "\r\nHost: x\r\n\r\n"));
    const auto r = c.read_response();
    ASSERT_TRUE(r.has_value()) << line;
    EXPECT_EQ(r->status, status) << line;
  }
}

// --- Chunked framing: sizes of chunk lines and trailers, and line endings -------------

// Sends a chunked GET /health whose body is `chunked`; expects `status`, promptly, and a
// close with nothing after it.
void expect_chunked_refusal(std::uint16_t port, const std::string& chunked, int status) {
  Connection c(port);
  ASSERT_TRUE(c.connected());
  const auto started = Clock::now();
  c.send("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked);
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value()) << "no answer (silent close or timeout) to: " << chunked.substr(0, 40);
  EXPECT_EQ(r->status, status) << chunked.substr(0, 40);
  EXPECT_LT(Clock::now() - started, milliseconds{800}) << "refused only after waiting for more bytes";
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(seconds{5}));
}

TEST_F(FramingTest, AChunkExtensionLargerThanTheHeaderLimitIs400) {
  expect_chunked_refusal(server->port(), "5;ext=" + std::string(6000, 'e'), 400);
}

TEST_F(FramingTest, ATrailerSectionLargerThanTheHeaderLimitIs431) {
  expect_chunked_refusal(server->port(), "5\r\nhello\r\n0\r\nX-Trailer: " + std::string(6000, 't'), 431);
}

TEST_F(FramingTest, ManySmallTrailersPastTheHeaderLimitAre431) {
  std::string trailers;
  for (int i = 0; i < 100; ++i) {
    trailers += "X-T" + std::to_string(i) + ": " + std::string(60, 'v') + "\r\n";
  }
  expect_chunked_refusal(server->port(), "0\r\n" + trailers, 431);
}

TEST_F(FramingTest, RefusedChunkFramingIsLoggedWithItsReason) {
  Connection c(server->port());
  c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: chunk-log-probe\r\nTransfer-Encoding: chunked\r\n\r\n5;" +
         std::string(6000, 'f'));
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  const auto line = server->wait_for_line("chunk-log-probe", seconds{5});
  ASSERT_TRUE(line.has_value()) << "no access-log line for the refused request";
  EXPECT_EQ(json_field(*line, "status").value_or(""), "400") << *line;
  EXPECT_FALSE(json_field(*line, "error").value_or("").empty()) << *line;
}

TEST_F(FramingTest, BareLfInAChunkSizeLineIsRefusedAtOnce) {
  expect_chunked_refusal(server->port(), "5\nhello\n", 400);
}

TEST_F(FramingTest, BareLfAfterChunkDataIsRefusedAtOnce) {
  expect_chunked_refusal(server->port(), "5\r\nhello\n", 400);
}

TEST_F(FramingTest, BareLfAfterTheLastChunkIsRefusedAtOnce) { expect_chunked_refusal(server->port(), "0\n", 400); }

TEST_F(FramingTest, BareLfInATrailerIsRefusedAtOnce) { expect_chunked_refusal(server->port(), "0\r\nX-T: v\n", 400); }

TEST_F(FramingTest, WellFormedChunkedBodyWithExtensionsAndTrailersIsServedAndKeptInStep) {
  Connection c(server->port());
  ASSERT_TRUE(
      c.send("GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5;name=value\r\nhello\r\n0\r\nX-Trailer: done\r\n\r\n"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  expect_in_step(c);
}

}  // namespace
}  // namespace hello::testing
