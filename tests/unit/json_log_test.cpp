#include <gtest/gtest.h>

#include <unistd.h>
#include <nlohmann/json.hpp>
#include <vector>

#include "observability/access_log.hpp"
#include "observability/json.hpp"
#include "observability/logger.hpp"

namespace hello::observability {
namespace {

std::string json_quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonStringTest, PlainTextIsQuotedAsIs) { EXPECT_EQ(json_quoted("GET /health"), R"("GET /health")"); }

TEST(JsonStringTest, QuotesBackslashesAndControlsAreEscaped) {
  EXPECT_EQ(json_quoted("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_quoted("line\nbreak\r\ttab"), R"("line\nbreak\r\ttab")");
  EXPECT_EQ(json_quoted(std::string("nul\0x", 5)), R"("nul\u0000x")");
  EXPECT_EQ(json_quoted("\x1b[31m"), R"("\u001b[31m")");
  EXPECT_EQ(json_quoted("\x7f"), R"("\u007f")");
}

TEST(JsonStringTest, ValidUtf8PassesInvalidBytesAreReplaced) {
  EXPECT_EQ(json_quoted("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(json_quoted("\xe2\x82\xac"), "\"\xe2\x82\xac\"");
  EXPECT_EQ(json_quoted("bad\xff"), R"("bad\ufffd")");
  EXPECT_EQ(json_quoted("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong
  EXPECT_EQ(json_quoted("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // surrogate
  EXPECT_EQ(json_quoted("\xe2\x82"), R"("\ufffd\ufffd")");            // truncated
}

// Plain text is scanned eight bytes at a time: every byte, at every offset of a word and
// beyond, must be escaped exactly as it is alone.
TEST(JsonStringTest, EachByteAtEachOffsetIsEscapedAsItIsAlone) {
  for (int b = 0; b < 256; ++b) {
    const std::string alone = json_quoted(std::string(1, static_cast<char>(b)));
    const std::string inner = alone.substr(1, alone.size() - 2);
    for (std::size_t at = 0; at < 20; ++at) {
      std::string text(20, 'a');
      text[at] = static_cast<char>(b);
      const std::string expected = '"' + std::string(at, 'a') + inner + std::string(19 - at, 'a') + '"';
      ASSERT_EQ(json_quoted(text), expected) << "byte " << b << " at offset " << at;
    }
  }
}

TEST(JsonStringTest, EveryByteStringGivesValidJson) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all.push_back(static_cast<char>(i));
  }
  const auto parsed = nlohmann::json::parse(json_quoted(all), nullptr, false);
  EXPECT_FALSE(parsed.is_discarded());
}

TEST(DecimalTest, TrimsTrailingZeros) {
  std::string s;
  append_decimal(s, 1.5, 3);
  s.push_back(' ');
  append_decimal(s, 2.0, 3);
  s.push_back(' ');
  append_decimal(s, 0.0125, 3);
  EXPECT_EQ(s, "1.5 2 0.013");
}

TEST(TimestampTest, IsRfc3339WithMilliseconds) {
  std::string s;
  append_timestamp(s, std::chrono::system_clock::time_point{std::chrono::milliseconds{1795650689254}});
  EXPECT_EQ(s, "2026-11-25T23:51:29.254Z");
}

// Log lines, read back through a pipe.
class LogLinesTest : public ::testing::Test {
 protected:
  LogLinesTest() { EXPECT_EQ(::pipe(fds), 0); }
  ~LogLinesTest() override {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  std::string read_back(LogSink& sink) {
    sink.flush();
    char buffer[65536];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  }
  int fds[2] = {-1, -1};
};

TEST_F(LogLinesTest, JsonLineHasFixedKeysThenFields) {
  LogSink sink(fds[1]);
  Logger log(sink, LogLevel::kInfo, LogFormat::kJson);
  log.info("listening", {{"port", 5000}, {"host", "0.0.0.0"}, {"ok", true}, {"ratio", 0.25}});
  const std::string line = read_back(sink);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["msg"], "listening");
  EXPECT_EQ(j["port"], 5000);
  EXPECT_EQ(j["host"], "0.0.0.0");
  EXPECT_EQ(j["ok"], true);
  EXPECT_DOUBLE_EQ(j["ratio"].get<double>(), 0.25);
  EXPECT_EQ(line.rfind(R"({"time":")", 0), 0U);
}

TEST_F(LogLinesTest, LevelsBelowTheThresholdAreDropped) {
  LogSink sink(fds[1]);
  Logger log(sink, LogLevel::kWarn, LogFormat::kJson);
  log.info("not shown");
  log.warn("shown");
  const std::string out = read_back(sink);
  EXPECT_EQ(out.find("not shown"), std::string::npos);
  EXPECT_NE(out.find("shown"), std::string::npos);
}

TEST_F(LogLinesTest, TextLineIsReadable) {
  LogSink sink(fds[1]);
  Logger log(sink, LogLevel::kDebug, LogFormat::kText);
  log.warn("disk slow", {{"path", "/var/x y"}, {"ms", 12}});
  const std::string line = read_back(sink);
  EXPECT_NE(line.find(" warn  disk slow path=\"/var/x y\" ms=12\n"), std::string::npos) << line;
}

TEST_F(LogLinesTest, AccessLogLineHasEveryField) {
  LogSink sink(fds[1]);
  AccessLog access(sink, LogFormat::kJson);
  http::Exchange e;
  e.method = http::Method::kGet;
  e.method_text = "GET";
  e.path = "/health\"\n";
  e.status = 200;
  e.body_bytes = 20;
  e.duration = std::chrono::microseconds{1500};
  e.request_id = "abc";
  e.client = "203.0.113.7";
  e.user_agent = "curl/8";
  access.write(e);
  const auto j = nlohmann::json::parse(read_back(sink));
  EXPECT_EQ(j["msg"], "request");
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/health\"\n");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["bytes"], 20);
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1.5);
  EXPECT_EQ(j["request_id"], "abc");
  EXPECT_EQ(j["client"], "203.0.113.7");
  EXPECT_EQ(j["user_agent"], "curl/8");
  EXPECT_FALSE(j.contains("error"));
}

TEST_F(LogLinesTest, AccessLogNamesAnUnknownMethodAsSentAndTheRefusal) {
  LogSink sink(fds[1]);
  AccessLog access(sink, LogFormat::kJson);
  http::Exchange e;
  e.method = http::Method::kOther;
  e.method_text = "BREW";
  e.status = 431;
  e.error = "request header too large";
  access.write(e);
  const auto j = nlohmann::json::parse(read_back(sink));
  EXPECT_EQ(j["method"], "BREW");
  EXPECT_EQ(j["error"], "request header too large");
}

// The access log writes its JSON line by hand, into a buffer sized for the longest line
// it could be; it must give exactly the line the generic builder gives for the same
// fields (the time aside: each reads the clock). Long lines come before short ones, so
// that a short line written into the grown buffer would show any stale byte.
TEST_F(LogLinesTest, AccessLogLineIsTheGenericBuildersLine) {
  std::string hostile;
  for (int i = 0; i < 256; ++i) {
    hostile.push_back(static_cast<char>(i));
  }
  const std::string long_path = "/" + std::string(12000, 'p') + "\"\xff";
  struct Case {
    http::Method method;
    std::string method_text, path, request_id, client, user_agent, error;
    int status;
    std::size_t bytes;
    std::chrono::microseconds duration;
  };
  const std::vector<Case> cases = {
      {http::Method::kGet, "GET", long_path, "id", "10.0.0.1", hostile, "", 200, 20, std::chrono::microseconds{1}},
      {http::Method::kOther, hostile, hostile, hostile, hostile, hostile, hostile, 431, 0, std::chrono::seconds{90061}},
      {http::Method::kPost, "POST", "/v1/greetings", std::string(200, 'r'), "::1", "curl/8.1", "", 413, 35,
       std::chrono::microseconds{1500}},
      {http::Method::kGet, "GET", "/health", "abc", "203.0.113.7", "", "", 200, 18, std::chrono::microseconds{0}},
      {http::Method::kHead, "HEAD", "", "", "", "", "request timeout", 408, 0, std::chrono::microseconds{120}},
  };
  for (const Case& c : cases) {
    LogSink sink(fds[1]);
    AccessLog access(sink, LogFormat::kJson);
    http::Exchange e;
    e.method = c.method;
    e.method_text = c.method_text;
    e.path = c.path;
    e.status = c.status;
    e.body_bytes = c.bytes;
    e.duration = c.duration;
    e.request_id = c.request_id;
    e.client = c.client;
    e.user_agent = c.user_agent;
    e.error = c.error;
    access.write(e);
    sink.flush();
    std::string written;
    char buffer[65536];
    while (written.empty() || written.back() != '\n') {
      const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
      ASSERT_GT(n, 0);
      written.append(buffer, static_cast<std::size_t>(n));
    }

    std::string expected;
    LineBuilder b(expected, LogFormat::kJson, LogLevel::kInfo, "request", std::chrono::system_clock::now());
    b.field("method", c.method == http::Method::kOther ? std::string_view(c.method_text) : http::method_name(c.method));
    b.field("path", c.path);
    b.field("status", static_cast<std::int64_t>(c.status));
    b.field("bytes", static_cast<std::uint64_t>(c.bytes));
    b.field("duration_ms", std::chrono::duration<double, std::milli>(c.duration).count(), 3);
    b.field("request_id", c.request_id);
    b.field("client", c.client);
    b.field("user_agent", c.user_agent);
    if (!c.error.empty()) {
      b.field("error", c.error);
    }
    b.end();
    // {"time":"2026-11-25T23:37:39.123Z", ...: the 24 bytes of the time are the clock's.
    constexpr std::size_t kTimeAt = 9;
    ASSERT_GT(written.size(), kTimeAt + kTimestampBytes);
    written.replace(kTimeAt, kTimestampBytes, kTimestampBytes, 'T');
    expected.replace(kTimeAt, kTimestampBytes, kTimestampBytes, 'T');
    EXPECT_EQ(written, expected) << "status " << c.status;
  }
}

}  // namespace
}  // namespace hello::observability
