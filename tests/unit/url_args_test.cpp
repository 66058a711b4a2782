#include <gtest/gtest.h>

#include "cli/args.hpp"
#include "platform/http_client.hpp"

namespace hello {
namespace {

TEST(UrlTest, ParsesHostPortAndPath) {
  const auto u = platform::parse_url("http://alb-123.us-east-1.elb.amazonaws.com:8080/base?x=1");
  ASSERT_TRUE(u.ok()) << u.error();
  EXPECT_EQ(u.value().host, "alb-123.us-east-1.elb.amazonaws.com");
  EXPECT_EQ(u.value().port, "8080");
  EXPECT_EQ(u.value().target, "/base?x=1");
}

TEST(UrlTest, DefaultsToPort80AndRoot) {
  const auto u = platform::parse_url("HTTP://example.com");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.value().port, "80");
  EXPECT_EQ(u.value().target, "/");
}

TEST(UrlTest, Ipv6LiteralInBrackets) {
  const auto u = platform::parse_url("http://[::1]:5000/health");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.value().host, "::1");
  EXPECT_EQ(u.value().port, "5000");
}

TEST(UrlTest, RefusesWhatItCannotFetch) {
  for (const char* bad : {"https://example.com/", "ftp://x", "example.com", "http://", "http://host:99999/",
                          "http://host:12ab/", "http://[::1/", "http://[::1]x/"}) {
    const auto u = platform::parse_url(bad);
    EXPECT_FALSE(u.ok()) << bad;
    if (!u.ok()) {
      EXPECT_FALSE(u.error().empty());
    }
  }
  EXPECT_NE(platform::parse_url("https://x/").error().find("https is not supported"), std::string::npos);
}

TEST(OptionsTest, ReadsBothSpellings) {
  std::string error;
  const auto o = cli::Options::parse({"--port", "8080", "--path=/ready"}, {"port", "path"}, error);
  ASSERT_TRUE(o.has_value()) << error;
  EXPECT_EQ(o->get("port"), "8080");
  EXPECT_EQ(o->get("path"), "/ready");
  EXPECT_EQ(o->integer("port", 1, 1, 65535, error), 8080);
  EXPECT_EQ(o->integer("missing", 42, 1, 100, error), 42);
}

TEST(OptionsTest, RefusesUnknownRepeatedAndIncomplete) {
  std::string error;
  EXPECT_FALSE(cli::Options::parse({"--nope", "1"}, {"port"}, error).has_value());
  EXPECT_NE(error.find("unknown option --nope"), std::string::npos);
  EXPECT_FALSE(cli::Options::parse({"--port", "1", "--port", "2"}, {"port"}, error).has_value());
  EXPECT_NE(error.find("given twice"), std::string::npos);
  EXPECT_FALSE(cli::Options::parse({"--port"}, {"port"}, error).has_value());
  EXPECT_NE(error.find("needs a value"), std::string::npos);
  EXPECT_FALSE(cli::Options::parse({"stray"}, {"port"}, error).has_value());
  const auto o = cli::Options::parse({"--port", "x"}, {"port"}, error);
  ASSERT_TRUE(o.has_value());
  EXPECT_FALSE(o->integer("port", 1, 1, 65535, error).has_value());
  EXPECT_NE(error.find("--port=\"x\""), std::string::npos);
}

}  // namespace
}  // namespace hello
