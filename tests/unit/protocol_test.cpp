// The connection engine without sockets: bytes in, responses out.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "http/protocol.hpp"

namespace hello::http {
namespace {

const std::string kBigHeaderForHead = "X-Big: " + std::string(2000, 'a') + "\r\n";

// The hooks run after a response is in the output: none may throw into the response path
// (an exception there once wrote a second response, 200 then 500).
static_assert(noexcept(std::declval<Observer&>().on_request_started(0)));
static_assert(noexcept(std::declval<Observer&>().on_exchange(0, std::declval<const Exchange&>())));
static_assert(noexcept(std::declval<Observer&>().on_responses_written(0, 1)));
static_assert(noexcept(std::declval<Observer&>().on_connection_opened(0)));
static_assert(noexcept(std::declval<Observer&>().on_connection_closed(0)));
static_assert(noexcept(std::declval<Observer&>().on_connection_rejected(0)));
static_assert(noexcept(std::declval<Observer&>().on_buffers_resized(0, 1, 2)));

struct RecordingObserver : Observer {
  std::vector<Exchange> exchanges;
  std::vector<std::string> paths, ids, clients, errors;
  int started = 0;
  void on_request_started(std::size_t) noexcept override { ++started; }
  void on_exchange(std::size_t, const Exchange& e) noexcept override {
    exchanges.push_back(e);
    paths.emplace_back(e.path);
    ids.emplace_back(e.request_id);
    clients.emplace_back(e.client);
    errors.emplace_back(e.error);
  }
  void on_responses_written(std::size_t, std::size_t) noexcept override {}
  void on_connection_opened(std::size_t) noexcept override {}
  void on_connection_closed(std::size_t) noexcept override {}
  void on_connection_rejected(std::size_t) noexcept override {}
  void on_buffers_resized(std::size_t, std::size_t, std::size_t) noexcept override {}
};

class ProtocolTest : public ::testing::Test {
 protected:
  ProtocolTest() {
    router.get(
        "/health", [](const Request&) { return Response(200, R"({"status":"healthy"})"); }, true);
    router.get("/echo", [](const Request& r) { return Response::owned(200, std::string(r.target)); });
    router.get("/throw", [](const Request&) -> Response { throw std::runtime_error("bug"); });
    limits.max_header_bytes = 1024;
    limits.max_target_bytes = 256;
    limits.max_body_bytes = 100;
  }

  // Feeds `input` in one piece; returns the output.
  std::string feed(Protocol& p, const std::string& input) {
    std::string out;
    consumed = p.feed(input, out, Clock::now());
    return out;
  }

  static int count(const std::string& haystack, const std::string& needle) {
    int n = 0;
    for (std::size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) {
      ++n;
    }
    return n;
  }

  Router router;
  Limits limits;
  RecordingObserver observer;
  WorkerContext worker{0, router, limits, observer, 42};
  std::size_t consumed = 0;
};

TEST_F(ProtocolTest, AnswersAGetWithEveryRequiredHeader) {
  Protocol p(worker, "10.0.0.1", Clock::now());
  const std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string out = feed(p, request);
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0U) << out;
  EXPECT_NE(out.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(out.find("Content-Length: 20\r\n"), std::string::npos);
  EXPECT_NE(out.find("Date: "), std::string::npos);
  EXPECT_NE(out.find("X-Content-Type-Options: nosniff\r\n"), std::string::npos);
  EXPECT_NE(out.find("X-Request-Id: "), std::string::npos);
  EXPECT_NE(out.find("Cache-Control: no-store\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Server:"), std::string::npos);
  EXPECT_EQ(out.find("Connection:"), std::string::npos);  // keep-alive is HTTP/1.1's default
  EXPECT_EQ(out.substr(out.size() - 20), R"({"status":"healthy"})");
  EXPECT_FALSE(p.closing());
  EXPECT_EQ(consumed, request.size());
}

TEST_F(ProtocolTest, AnswersPipelinedRequestsInOrderInOneOutput) {
  Protocol p(worker, "peer", Clock::now());
  std::string input;
  for (int i = 0; i < 100; ++i) {
    input += "GET /echo?n=" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  const std::string out = feed(p, input);
  EXPECT_EQ(consumed, input.size());
  EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 100);
  std::size_t pos = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string body = "/echo?n=" + std::to_string(i);
    const std::size_t at = out.find(body, pos);
    ASSERT_NE(at, std::string::npos) << "response " << i << " missing or out of order";
    pos = at + body.size();
  }
  EXPECT_EQ(p.take_answered(), 100U);
}

TEST_F(ProtocolTest, ParsesARequestSplitAcrossManyReads) {
  Protocol p(worker, "peer", Clock::now());
  const std::string request = "GET /health HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\n\r\n";
  std::string pending;
  std::string out;
  for (const char c : request) {
    pending.push_back(c);
    const std::size_t n = p.feed(pending, out, Clock::now());
    pending.erase(0, n);
    if (!out.empty()) {
      break;
    }
    EXPECT_TRUE(p.mid_request());
  }
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK", 0), 0U);
  EXPECT_TRUE(pending.empty());
  EXPECT_FALSE(p.mid_request());
}

TEST_F(ProtocolTest, HeadHasTheGetHeadersAndNoBody) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out = feed(p, "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(out.find("Content-Length: 20\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n");
}

TEST_F(ProtocolTest, ConnectionCloseIsHonoured) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out =
      feed(p, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(count(out, "HTTP/1.1 200"), 1);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(p.closing());
}

TEST_F(ProtocolTest, Http10ClosesUnlessKeepAliveIsAsked) {
  Protocol closes(worker, "peer", Clock::now());
  std::string out = feed(closes, "GET /health HTTP/1.0\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK", 0), 0U);
  EXPECT_TRUE(closes.closing());

  Protocol stays(worker, "peer", Clock::now());
  out = feed(stays, "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_NE(out.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_FALSE(stays.closing());
}

TEST_F(ProtocolTest, DrainingWorkerClosesAfterEachResponse) {
  Protocol p(worker, "peer", Clock::now());
  worker.closing = true;
  const std::string out = feed(p, "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(count(out, "HTTP/1.1 200"), 1);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(p.closing());
}

TEST_F(ProtocolTest, MaxRequestsPerConnectionEndsTheConnection) {
  limits.max_requests_per_connection = 2;
  Protocol p(worker, "peer", Clock::now());
  const std::string one = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string out = feed(p, one + one + one);
  EXPECT_EQ(count(out, "HTTP/1.1 200"), 2);
  EXPECT_EQ(count(out, "Connection: close"), 1);
  EXPECT_TRUE(p.closing());
}

TEST_F(ProtocolTest, RequestIdIsEchoedElseTraceIdElseGenerated) {
  Protocol p(worker, "peer", Clock::now());
  std::string out = feed(p,
                         "GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc-123\r\n"
                         "X-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793\r\n\r\n");
  EXPECT_NE(out.find("X-Request-Id: abc-123\r\n"), std::string::npos);
  out = feed(p, "GET /health HTTP/1.1\r\nHost: x\r\nX-Amzn-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793\r\n\r\n");
  EXPECT_NE(out.find("X-Request-Id: Root=1-5759e988-bd862e3fe1be46a994272793\r\n"), std::string::npos);
  out = feed(p, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::size_t at = out.find("X-Request-Id: ");
  ASSERT_NE(at, std::string::npos);
  const std::string id = out.substr(at + 14, out.find("\r\n", at) - at - 14);
  EXPECT_EQ(id.size(), 32U);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  out = feed(p, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(out.find(id), std::string::npos) << "generated ids must differ";
}

TEST_F(ProtocolTest, UnsafeRequestIdIsReplaced) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out = feed(p, "GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\"b\r\n\r\n");
  EXPECT_EQ(out.find("a\"b"), std::string::npos);
  EXPECT_EQ(observer.ids.back().size(), 32U);
}

TEST_F(ProtocolTest, ClientIsTheLastForwardedForEntryElseThePeer) {
  Protocol p(worker, "10.0.0.9", Clock::now());
  feed(p, "GET /health HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.1.1.1, 203.0.113.7\r\n\r\n");
  feed(p, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(observer.clients.size(), 2U);
  EXPECT_EQ(observer.clients[0], "203.0.113.7");
  EXPECT_EQ(observer.clients[1], "10.0.0.9");
}

TEST_F(ProtocolTest, AbsoluteFormTargetRoutesByItsPath) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out = feed(p, "GET http://example.com/health HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK", 0), 0U);
  EXPECT_EQ(observer.paths.back(), "/health");
}

TEST_F(ProtocolTest, QueryIsNotPartOfThePath) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out = feed(p, "GET /health?verbose=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK", 0), 0U);
}

TEST_F(ProtocolTest, HandlerExceptionIs500AndClose) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out = feed(p, "GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 500 Internal Server Error", 0), 0U);
  EXPECT_EQ(count(out, "HTTP/1.1 "), 1) << "one request, one response";
  ASSERT_EQ(observer.exchanges.size(), 1U);
  EXPECT_EQ(observer.exchanges.back().status, 500);
  EXPECT_NE(out.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(p.closing());
}

TEST_F(ProtocolTest, ADiscardedBodyDoesNotDesynchronizeTheConnection) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out = feed(p,
                               "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                               "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(count(out, "HTTP/1.1 405"), 1);
  EXPECT_EQ(count(out, "HTTP/1.1 200"), 1);
  EXPECT_FALSE(p.closing());
}

TEST_F(ProtocolTest, ChunkedBodyIsReadAndDiscarded) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out = feed(p,
                               "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5\r\nhello\r\n0\r\n\r\n"
                               "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(count(out, "HTTP/1.1 405"), 1);
  EXPECT_EQ(count(out, "HTTP/1.1 200"), 1);
}

TEST_F(ProtocolTest, TimeoutMidRequestAnswers408AndCloses) {
  Protocol p(worker, "peer", Clock::now());
  std::string out = feed(p, "GET /hea");
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(p.mid_request());
  p.timeout({}, out, Clock::now());
  EXPECT_EQ(out.rfind("HTTP/1.1 408 Request Timeout", 0), 0U);
  EXPECT_NE(out.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(p.closing());
}

TEST_F(ProtocolTest, TimeoutWhenIdleClosesSilently) {
  Protocol p(worker, "peer", Clock::now());
  std::string out;
  p.timeout({}, out, Clock::now());
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(p.closing());
}

TEST_F(ProtocolTest, HeadThatMakesAHandlerThrowGets500WithoutBody) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out = feed(p, "HEAD /throw HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 500 Internal Server Error", 0), 0U);
  EXPECT_NE(out.find("Content-Length: "), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n") << "a HEAD answer carried a body: " << out;
}

TEST_F(ProtocolTest, HeadRefusedAtAnyStageGetsNoBody) {
  for (const std::string& request : {std::string("HEAD * HTTP/1.1\r\nHost: x\r\n\r\n"),
                                     "HEAD /" + std::string(300, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
                                     "HEAD /" + std::string(3000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
                                     std::string("HEAD /health HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n"),
                                     "HEAD /health HTTP/1.1\r\nHost: x\r\n" + kBigHeaderForHead + "\r\n",
                                     std::string("HEAD /health HTTP/2.0\r\nHost: x\r\n\r\n")}) {
    Protocol p(worker, "peer", Clock::now());
    const std::string out = feed(p, request);
    ASSERT_EQ(out.rfind("HTTP/1.1 ", 0), 0U) << request.substr(0, 40);
    EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n") << request.substr(0, 40) << " answered with a body: " << out;
  }
}

TEST_F(ProtocolTest, HeadTimingOutBeforeItsRequestLineIsCompleteGetsNoBody) {
  Protocol p(worker, "peer", Clock::now());
  std::string out = feed(p, "HEAD /hea");
  ASSERT_TRUE(out.empty());
  p.timeout("HEAD /hea", out, Clock::now());
  EXPECT_EQ(out.rfind("HTTP/1.1 408 Request Timeout", 0), 0U);
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n") << out;
  EXPECT_EQ(observer.exchanges.back().method, Method::kHead);
}

TEST_F(ProtocolTest, ExpectContinueGets100WhenTheHandlerWaitsForTheBody) {
  Protocol p(worker, "peer", Clock::now());
  std::string out = feed(p, "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(out, "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(p.take_answered(), 0U) << "an interim answer is not the request's answer";
  out = feed(p, "hello");
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK", 0), 0U) << out;
  EXPECT_FALSE(p.closing());
}

TEST_F(ProtocolTest, ExpectContinueWithAKnownAnswerGetsItAtOnceAndCloses) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out =
      feed(p, "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 405 ", 0), 0U) << out;
  EXPECT_EQ(out.find("100 Continue"), std::string::npos);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(p.closing());
}

TEST_F(ProtocolTest, AKnownAnswerDoesNotWaitForTheBody) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out = feed(p, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nhalf");
  EXPECT_EQ(out.rfind("HTTP/1.1 405 ", 0), 0U) << out;
  EXPECT_TRUE(p.closing());
  ASSERT_EQ(observer.exchanges.size(), 1U);
  EXPECT_EQ(observer.exchanges.back().status, 405);
}

TEST_F(ProtocolTest, DeadlinesComeFromTheRequestNotTheConnection) {
  limits.header_timeout = std::chrono::seconds{1};
  limits.body_timeout = std::chrono::seconds{2};
  limits.idle_timeout = std::chrono::seconds{3};
  const Clock::time_point opened = Clock::now();
  Protocol p(worker, "peer", opened);
  // A new connection: its first request's header is due from the accept.
  EXPECT_EQ(p.read_deadline(opened + std::chrono::milliseconds{500}), opened + std::chrono::seconds{1});
  std::string out;
  const Clock::time_point t1 = opened + std::chrono::milliseconds{100};
  // The tail of a request and the start of the next in one read.
  p.feed("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HT", out, t1);
  EXPECT_EQ(p.read_deadline(t1), t1 + std::chrono::seconds{1});
  // Its header completes, its body does not: the body timeout from now.
  out.clear();
  const Clock::time_point t2 = t1 + std::chrono::milliseconds{300};
  const std::size_t n = p.feed("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n", out, t2);
  EXPECT_GT(n, 0U);
  EXPECT_EQ(p.read_deadline(t2), t2 + std::chrono::seconds{2});
  out.clear();
  const Clock::time_point t3 = t2 + std::chrono::milliseconds{100};
  p.feed("abc", out, t3);
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0U);
  // Between requests: the idle timeout.
  EXPECT_EQ(p.read_deadline(t3), t3 + std::chrono::seconds{3});
}

TEST_F(ProtocolTest, ABodyTimeoutIs408WithItsReason) {
  Protocol p(worker, "peer", Clock::now());
  std::string out = feed(p, "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nhalf");
  EXPECT_TRUE(out.empty());
  p.timeout({}, out, Clock::now());
  EXPECT_EQ(out.rfind("HTTP/1.1 408 ", 0), 0U);
  EXPECT_EQ(observer.errors.back(), "request body timeout");
}

TEST_F(ProtocolTest, LaterHttp1MinorVersionsAreServedAsHttp11) {
  Protocol p(worker, "peer", Clock::now());
  const std::string out = feed(p,
                               "GET /health HTTP/1.5\r\nHost: x\r\n\r\n"
                               "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(count(out, "HTTP/1.1 200 OK"), 2) << out;
  EXPECT_FALSE(p.closing());
}

TEST(HostTest, ValidAndInvalidHostValues) {
  for (const char* host : {"", "example.com", "example.com:80", "x:", "127.0.0.1:5000", "[::1]", "[::1]:8080",
                           "[2001:db8::1]", "a%20b", "my_host", "a-b.c~d!$&'()*+,;="}) {
    EXPECT_TRUE(is_valid_host(host)) << host;
  }
  for (const char* host :
       {"a b", "a/b", "a@b", "[::1", "[::1]x", "[zz::1]", "[]", "h:x", "h:123456", "a%2", "a%zz", "a\"b", "[::1]:8o"}) {
    EXPECT_FALSE(is_valid_host(host)) << host;
  }
}

// Every way a request can be refused: the status, Connection: close, and nothing after.
struct Refusal {
  const char* name;
  std::string request;
  int status;
};

void PrintTo(const Refusal& r, std::ostream* os) { *os << r.name; }

class RefusalTest : public ProtocolTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(RefusalTest, IsAnsweredWithItsStatusAndCloses) {
  const Refusal& r = GetParam();
  Protocol p(worker, "peer", Clock::now());
  const std::string out = feed(p, r.request + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string status_line = "HTTP/1.1 " + std::to_string(r.status) + " ";
  EXPECT_EQ(out.rfind(status_line, 0), 0U) << out;
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(count(out, "HTTP/1.1 "), 1) << "nothing may be parsed after a refusal";
  EXPECT_TRUE(p.closing());
  ASSERT_FALSE(observer.errors.empty());
  EXPECT_FALSE(observer.errors.back().empty());
}

const std::string kBigHeader = "X-Big: " + std::string(2000, 'a') + "\r\n";

INSTANTIATE_TEST_SUITE_P(
    Limits, RefusalTest,
    ::testing::Values(
        Refusal{"garbage", "this is not http\r\n\r\n", 400},
        Refusal{"bad_version", "GET / HTTP/x\r\nHost: x\r\n\r\n", 400},
        Refusal{"http2", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
        Refusal{"space_in_target", "GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        Refusal{"bad_host", "GET / HTTP/1.1\r\nHost: a b/c\r\n\r\n", 400},
        Refusal{"http10_with_te", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
        Refusal{"bare_lf_chunk_size", "GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello",
                400},
        Refusal{"bare_lf_after_data",
                "GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n", 400},
        Refusal{"long_chunk_line",
                "GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;" + std::string(1100, 'e'),
                400},
        Refusal{
            "long_trailers",
            "GET /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " + std::string(1100, 't'),
            431},
        Refusal{"space_in_field_name", "GET / HTTP/1.1\r\nHost: x\r\nBad Field: y\r\n\r\n", 400},
        Refusal{"no_host", "GET /health HTTP/1.1\r\n\r\n", 400},
        Refusal{"two_hosts", "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        Refusal{"relative_target", "GET health HTTP/1.1\r\nHost: x\r\n\r\n", 400},
        Refusal{"cl_and_te", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                400},
        Refusal{"te_and_cl", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                400},
        Refusal{"two_different_lengths",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
        Refusal{"length_list_differs", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd", 400},
        Refusal{"bad_length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
        Refusal{"unknown_coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
        Refusal{"coding_list", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400},
        Refusal{"te_twice",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        Refusal{"gzip_then_length",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 1\r\n\r\na", 400},
        Refusal{"bad_chunk_size",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400},
        Refusal{"chunk_overrun",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n", 400},
        Refusal{"header_too_large", "GET / HTTP/1.1\r\nHost: x\r\n" + kBigHeader + "\r\n", 431},
        Refusal{"target_too_long", "GET /" + std::string(300, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
        Refusal{"target_longer_than_header_limit", "GET /" + std::string(3000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
                414},
        Refusal{"body_too_large", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n", 413},
        Refusal{"chunked_body_too_large",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + std::string(64, 'a') +
                    "\r\n40\r\n" + std::string(64, 'a') + "\r\n0\r\n\r\n",
                413}),
    [](const ::testing::TestParamInfo<Refusal>& param_info) { return std::string(param_info.param.name); });

}  // namespace
}  // namespace hello::http
