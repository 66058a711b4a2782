#include <gtest/gtest.h>

#include <map>

#include "platform/config.hpp"

namespace hello::platform {
namespace {

using std::chrono::milliseconds;

Environment env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    const auto it = values.find(std::string(name));
    if (it == values.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

TEST(ConfigTest, DefaultsAreTheDocumentedOnes) {
  const auto r = load_config(env_of({}), 3);
  ASSERT_TRUE(r.ok()) << r.error();
  const Config& c = r.value();
  EXPECT_EQ(c.port, 5000);
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.workers, 3U);
  EXPECT_TRUE(c.workers_from_cpu_quota);
  EXPECT_EQ(c.app_env, "development");
  EXPECT_EQ(c.log_level, observability::LogLevel::kInfo);
  EXPECT_EQ(c.log_format, observability::LogFormat::kJson);
  EXPECT_TRUE(c.access_log);
  EXPECT_TRUE(c.metrics_enabled);
  EXPECT_EQ(c.limits.max_header_bytes, 16384U);
  EXPECT_EQ(c.limits.max_target_bytes, 8192U);
  EXPECT_EQ(c.limits.max_body_bytes, 1048576U);
  EXPECT_EQ(c.limits.max_connections, 10000U);
  EXPECT_EQ(c.limits.header_timeout, milliseconds{10000});
  EXPECT_EQ(c.limits.idle_timeout, milliseconds{75000});
  EXPECT_GT(c.limits.idle_timeout, milliseconds{60000}) << "must exceed the ALB idle timeout";
  EXPECT_EQ(c.drain_delay, milliseconds{10000});
  EXPECT_EQ(c.shutdown_timeout, milliseconds{25000});
  EXPECT_EQ(c.emf_interval, milliseconds{60000});
  EXPECT_TRUE(config_warnings(c).empty());
}

TEST(ConfigTest, DocumentedDefaultsMatchTheParsedDefaults) {
  // --help prints the table; its defaults must be what the parser uses.
  std::map<std::string, std::string> env;
  for (const SettingDoc& d : setting_docs()) {
    env[std::string(d.name)] = std::string(d.default_value);
  }
  const auto from_docs = load_config(env_of(env), 3);
  const auto from_nothing = load_config(env_of({}), 3);
  ASSERT_TRUE(from_docs.ok()) << from_docs.error();
  EXPECT_EQ(from_docs.value().port, from_nothing.value().port);
  EXPECT_EQ(from_docs.value().limits.max_header_bytes, from_nothing.value().limits.max_header_bytes);
  EXPECT_EQ(from_docs.value().limits.idle_timeout, from_nothing.value().limits.idle_timeout);
  EXPECT_EQ(from_docs.value().drain_delay, from_nothing.value().drain_delay);
  EXPECT_EQ(from_docs.value().shutdown_timeout, from_nothing.value().shutdown_timeout);
  EXPECT_EQ(from_docs.value().workers, from_nothing.value().workers);
}

TEST(ConfigTest, ReadsEverySetting) {
  const auto r = load_config(env_of({{"PORT", "8080"},
                                     {"HOST", "::1"},
                                     {"WORKERS", "4"},
                                     {"APP_ENV", "staging"},
                                     {"LOG_LEVEL", "debug"},
                                     {"LOG_FORMAT", "text"},
                                     {"ACCESS_LOG", "off"},
                                     {"METRICS_ENABLED", "false"},
                                     {"MAX_HEADER_BYTES", "4096"},
                                     {"MAX_TARGET_BYTES", "1024"},
                                     {"MAX_BODY_BYTES", "0"},
                                     {"MAX_CONNECTIONS", "50"},
                                     {"MAX_REQUESTS_PER_CONNECTION", "7"},
                                     {"HEADER_TIMEOUT_S", "0.5"},
                                     {"IDLE_TIMEOUT_S", "90"},
                                     {"DRAIN_DELAY_S", "0"},
                                     {"SHUTDOWN_TIMEOUT_S", "1.25"},
                                     {"EMF_INTERVAL_S", "0"},
                                     {"ECS_CONTAINER_METADATA_URI_V4", "http://169.254.170.2/v4/abc"}}),
                             1);
  ASSERT_TRUE(r.ok()) << r.error();
  const Config& c = r.value();
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.workers, 4U);
  EXPECT_FALSE(c.workers_from_cpu_quota);
  EXPECT_EQ(c.app_env, "staging");
  EXPECT_EQ(c.log_level, observability::LogLevel::kDebug);
  EXPECT_EQ(c.log_format, observability::LogFormat::kText);
  EXPECT_FALSE(c.access_log);
  EXPECT_FALSE(c.metrics_enabled);
  EXPECT_EQ(c.limits.max_header_bytes, 4096U);
  EXPECT_EQ(c.limits.max_target_bytes, 1024U);
  EXPECT_EQ(c.limits.max_body_bytes, 0U);
  EXPECT_EQ(c.limits.max_connections, 50U);
  EXPECT_EQ(c.limits.max_requests_per_connection, 7U);
  EXPECT_EQ(c.limits.header_timeout, milliseconds{500});
  EXPECT_EQ(c.limits.idle_timeout, milliseconds{90000});
  EXPECT_EQ(c.drain_delay, milliseconds{0});
  EXPECT_EQ(c.shutdown_timeout, milliseconds{1250});
  EXPECT_EQ(c.emf_interval, milliseconds{0});
  EXPECT_EQ(c.ecs_metadata_uri, "http://169.254.170.2/v4/abc");
}

TEST(ConfigTest, BooleansAcceptTheUsualSpellings) {
  for (const char* yes : {"on", "true", "1", "yes", "ON", "True"}) {
    EXPECT_TRUE(load_config(env_of({{"ACCESS_LOG", yes}}), 1).value().access_log) << yes;
  }
  for (const char* no : {"off", "false", "0", "no", "OFF"}) {
    EXPECT_FALSE(load_config(env_of({{"METRICS_ENABLED", no}}), 1).value().metrics_enabled) << no;
  }
}

TEST(ConfigTest, WorkersAutoUsesTheCpuCountAtLeastOne) {
  EXPECT_EQ(load_config(env_of({{"WORKERS", "auto"}}), 2).value().workers, 2U);
  EXPECT_EQ(load_config(env_of({}), 0).value().workers, 1U);
}

TEST(ConfigTest, IdleTimeoutAtOrBelowTheAlbsIsAWarning) {
  const auto r = load_config(env_of({{"IDLE_TIMEOUT_S", "60"}}), 1);
  ASSERT_TRUE(r.ok());
  const auto warnings = config_warnings(r.value());
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_NE(warnings[0].find("IDLE_TIMEOUT_S"), std::string::npos);
}

// Every kind of bad value: the message names the variable, the value and what is allowed.
struct Bad {
  const char* variable;
  const char* value;
  const char* allowed_fragment;
};

void PrintTo(const Bad& b, std::ostream* os) { *os << b.variable << "=" << b.value; }

class BadValueTest : public ::testing::TestWithParam<Bad> {};

TEST_P(BadValueTest, IsRefusedWithAMessageNamingIt) {
  const Bad& b = GetParam();
  const auto r = load_config(env_of({{b.variable, b.value}}), 1);
  ASSERT_FALSE(r.ok()) << b.variable << "=" << b.value << " was accepted";
  const std::string& m = r.error();
  EXPECT_EQ(m.rfind(std::string(b.variable) + "=\"" + b.value + "\"", 0), 0U) << m;
  EXPECT_NE(m.find(b.allowed_fragment), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << "one line";
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, BadValueTest,
    ::testing::Values(
        Bad{"PORT", "abc", "integer from 0 to 65535"}, Bad{"PORT", "65536", "0 to 65535"},
        Bad{"PORT", "-1", "0 to 65535"}, Bad{"PORT", "", "0 to 65535"}, Bad{"PORT", "80x", "0 to 65535"},
        Bad{"PORT", " 80", "0 to 65535"}, Bad{"HOST", "localhost", "IPv4 or IPv6"},
        Bad{"HOST", "999.1.1.1", "IPv4 or IPv6"}, Bad{"WORKERS", "0", "auto, or an integer from 1 to 256"},
        Bad{"WORKERS", "many", "1 to 256"}, Bad{"WORKERS", "257", "1 to 256"}, Bad{"APP_ENV", "", "1 to 64 characters"},
        Bad{"APP_ENV", "prod uction", "1 to 64 characters"}, Bad{"APP_ENV", "a\"b", "A-Z"},
        Bad{"LOG_LEVEL", "verbose", "debug, info, warn or error"},
        Bad{"LOG_LEVEL", "INFO", "debug, info, warn or error"}, Bad{"LOG_FORMAT", "xml", "json or text"},
        Bad{"ACCESS_LOG", "maybe", "on or off"}, Bad{"METRICS_ENABLED", "2", "true or false"},
        Bad{"MAX_HEADER_BYTES", "100", "1024 to 1048576"}, Bad{"MAX_HEADER_BYTES", "1e6", "1024 to 1048576"},
        Bad{"MAX_TARGET_BYTES", "20000", "at most MAX_HEADER_BYTES"},
        Bad{"MAX_BODY_BYTES", "2000000000", "0 to 1073741824"}, Bad{"MAX_CONNECTIONS", "0", "1 to 1000000"},
        Bad{"MAX_REQUESTS_PER_CONNECTION", "-5", "0 to 1000000000"}, Bad{"HEADER_TIMEOUT_S", "0", "0.05 to 3600"},
        Bad{"HEADER_TIMEOUT_S", "ten", "0.05 to 3600"}, Bad{"HEADER_TIMEOUT_S", "nan", "0.05 to 3600"},
        Bad{"HEADER_TIMEOUT_S", "inf", "0.05 to 3600"}, Bad{"IDLE_TIMEOUT_S", "-1", "0.05 to 3600"},
        Bad{"DRAIN_DELAY_S", "4000", "0 to 3600"}, Bad{"SHUTDOWN_TIMEOUT_S", "5", "more than DRAIN_DELAY_S (10 s)"},
        Bad{"EMF_INTERVAL_S", "0.5", "0 (off) or seconds from 1 to 3600"}),
    [](const ::testing::TestParamInfo<Bad>& param_info) {
      return std::to_string(param_info.index) + "_" + param_info.param.variable;
    });

TEST(ConfigTest, ShutdownMustExceedTheDrainDelayEvenWhenBothAreSet) {
  const auto r = load_config(env_of({{"DRAIN_DELAY_S", "3"}, {"SHUTDOWN_TIMEOUT_S", "3"}}), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("SHUTDOWN_TIMEOUT_S=\"3\""), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("DRAIN_DELAY_S (3 s)"), std::string::npos) << r.error();
}

TEST(ConfigTest, TheFirstBadValueIsReported) {
  const auto r = load_config(env_of({{"PORT", "x"}, {"LOG_LEVEL", "y"}}), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rfind("PORT=", 0), 0U);
}

TEST(ConfigTest, TheLocalAddressOfAListenAddress) {
  EXPECT_EQ(local_address_for("0.0.0.0"), "127.0.0.1");
  EXPECT_EQ(local_address_for("::"), "::1");
  EXPECT_EQ(local_address_for("127.0.0.2"), "127.0.0.2");
  EXPECT_EQ(local_address_for("::1"), "::1");
  EXPECT_EQ(local_address_for("10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(local_address_for("nowhere"), std::nullopt);
}

}  // namespace
}  // namespace hello::platform
