#include <gtest/gtest.h>

#include <unistd.h>
#include <nlohmann/json.hpp>

#include "observability/emf.hpp"
#include "observability/latency_histogram.hpp"
#include "observability/metrics.hpp"

namespace hello::observability {
namespace {

using std::chrono::microseconds;

http::Exchange exchange(std::size_t route, http::Method method, int status, microseconds duration) {
  http::Exchange e;
  e.route = route;
  e.method = method;
  e.status = status;
  e.duration = duration;
  return e;
}

Metrics::Labels labels() {
  Metrics::Labels l;
  l.routes = {"/", "/health", "unmatched"};
  l.build = {{"version", "1.2.3"}, {"revision", "abc"}};
  l.start_time_seconds = 1700000000.5;
  return l;
}

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(MetricsTest, CountsByRouteMethodAndCodeAcrossWorkers) {
  Metrics m(labels(), 2);
  m.record(0, exchange(1, http::Method::kGet, 200, microseconds{50}));
  m.record(1, exchange(1, http::Method::kGet, 200, microseconds{70}));
  m.record(1, exchange(1, http::Method::kHead, 200, microseconds{70}));
  m.record(0, exchange(2, http::Method::kPost, 404, microseconds{30}));
  const std::string text = m.render("");
  EXPECT_TRUE(contains(text, "http_requests_total{route=\"/health\",method=\"GET\",code=\"200\"} 2\n")) << text;
  EXPECT_TRUE(contains(text, "http_requests_total{route=\"/health\",method=\"HEAD\",code=\"200\"} 1\n"));
  EXPECT_TRUE(contains(text, "http_requests_total{route=\"unmatched\",method=\"POST\",code=\"404\"} 1\n"));
  EXPECT_FALSE(contains(text, "route=\"/\",method")) << "no series for what never happened";
  EXPECT_TRUE(contains(text, "# TYPE http_requests_total counter\n"));
}

TEST(MetricsTest, HistogramIsCumulativeWithSumAndCount) {
  Metrics m(labels(), 1);
  m.record(0, exchange(1, http::Method::kGet, 200, microseconds{50}));    // <= 0.0001
  m.record(0, exchange(1, http::Method::kGet, 200, microseconds{300}));   // <= 0.0005
  m.record(0, exchange(1, http::Method::kGet, 200, microseconds{7000}));  // <= 0.01
  const std::string text = m.render("");
  EXPECT_TRUE(contains(text, "http_request_duration_seconds_bucket{route=\"/health\",le=\"0.0001\"} 1\n")) << text;
  EXPECT_TRUE(contains(text, "http_request_duration_seconds_bucket{route=\"/health\",le=\"0.00025\"} 1\n"));
  EXPECT_TRUE(contains(text, "http_request_duration_seconds_bucket{route=\"/health\",le=\"0.0005\"} 2\n"));
  EXPECT_TRUE(contains(text, "http_request_duration_seconds_bucket{route=\"/health\",le=\"0.01\"} 3\n"));
  EXPECT_TRUE(contains(text, "http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(contains(text, "http_request_duration_seconds_count{route=\"/health\"} 3\n"));
  EXPECT_TRUE(contains(text, "http_request_duration_seconds_sum{route=\"/health\"} 0.00735\n"));
}

TEST(MetricsTest, TheBufferGaugeIsWhatConnectionsHoldNow) {
  Metrics m(labels(), 2);
  m.buffers_resized(0, 0, 4096);
  m.buffers_resized(1, 0, 4096);
  m.buffers_resized(0, 4096, 70000);  // a burst
  m.buffers_resized(0, 70000, 4400);  // returned
  m.buffers_resized(1, 4096, 0);      // closed
  EXPECT_TRUE(contains(m.render({}), "\nhttp_connection_buffer_bytes 4400\n"));
}

TEST(MetricsTest, GaugesFollowConnectionsAndInFlightRequests) {
  Metrics m(labels(), 1);
  m.connection_opened(0);
  m.connection_opened(0);
  m.connection_closed(0);
  m.connection_rejected(0);
  m.request_started(0);
  m.record(0, exchange(0, http::Method::kGet, 200, microseconds{1}));
  m.request_started(0);
  m.record(0, exchange(0, http::Method::kGet, 200, microseconds{1}));
  m.responses_written(0, 1);
  const std::string text = m.render("extra_metric 7\n");
  EXPECT_TRUE(contains(text, "\nhttp_connections_open 1\n")) << text;
  EXPECT_TRUE(contains(text, "\nhttp_connections_total 2\n"));
  EXPECT_TRUE(contains(text, "\nhttp_connections_rejected_total 1\n"));
  EXPECT_TRUE(contains(text, "\nhttp_requests_in_flight 1\n"));
  EXPECT_TRUE(contains(text, "hello_build_info{version=\"1.2.3\",revision=\"abc\"} 1\n"));
  EXPECT_TRUE(contains(text, "process_start_time_seconds 1700000000.5\n"));
  EXPECT_TRUE(contains(text, "\nextra_metric 7\n"));
}

TEST(MetricsTest, TotalsSplitClientAndServerErrors) {
  Metrics m(labels(), 2);
  m.record(0, exchange(0, http::Method::kGet, 200, microseconds{1}));
  m.record(1, exchange(0, http::Method::kGet, 404, microseconds{1}));
  m.record(1, exchange(0, http::Method::kGet, 431, microseconds{1}));
  m.record(0, exchange(0, http::Method::kGet, 503, microseconds{1}));
  const Metrics::Totals t = m.totals();
  EXPECT_EQ(t.requests, 4U);
  EXPECT_EQ(t.client_errors, 2U);
  EXPECT_EQ(t.server_errors, 1U);
  EXPECT_EQ(t.latency.total(), 4U);
}

TEST(LatencyBucketsTest, IndexAndBoundAgree) {
  for (std::uint64_t v : {0ULL, 1ULL, 15ULL, 16ULL, 17ULL, 100ULL, 1000ULL, 123456ULL, 99999999ULL}) {
    const std::size_t i = LatencyBuckets::index(v);
    EXPECT_GE(LatencyBuckets::upper_bound(i), v) << v;
    if (i > 0) {
      EXPECT_LT(LatencyBuckets::upper_bound(i - 1), v) << v;
    }
  }
  // Neighbouring buckets are at most 12.5 % apart.
  for (std::size_t i = LatencyBuckets::kLinear + 1; i + 1 < LatencyBuckets::kCount; ++i) {
    const double lo = static_cast<double>(LatencyBuckets::upper_bound(i - 1) + 1);
    const double hi = static_cast<double>(LatencyBuckets::upper_bound(i) + 1);
    EXPECT_LE(hi / lo, 1.125 + 1e-9) << i;
  }
}

TEST(LatencyCountsTest, QuantilesNeverUnderstate) {
  LatencyHistogram h;
  for (int i = 1; i <= 100; ++i) {
    h.record(microseconds{i * 100});  // 0.1 ms .. 10 ms
  }
  LatencyCounts c;
  c.add(h);
  const double p50 = c.quantile_ms(0.50);
  const double p99 = c.quantile_ms(0.99);
  EXPECT_GE(p50, 5.0);
  EXPECT_LE(p50, 5.0 * 1.126);
  EXPECT_GE(p99, 9.9);
  EXPECT_LE(p99, 9.9 * 1.126);
  EXPECT_EQ(LatencyCounts{}.quantile_ms(0.5), 0.0);
}

TEST(EmfTest, RecordIsValidEmfWithTheIntervalsFigures) {
  Metrics::Totals t;
  t.requests = 10;
  t.client_errors = 2;
  t.server_errors = 1;
  LatencyHistogram h;
  for (int i = 0; i < 10; ++i) {
    h.record(microseconds{1000});
  }
  t.latency.add(h);
  const std::string line =
      EmfReporter::format(t, "production", std::chrono::system_clock::time_point{std::chrono::seconds{1700000000}});
  ASSERT_EQ(line.back(), '\n');
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["_aws"]["Timestamp"], 1700000000000LL);
  const auto& directive = j["_aws"]["CloudWatchMetrics"][0];
  EXPECT_EQ(directive["Namespace"], "HelloService");
  EXPECT_EQ(directive["Dimensions"][0], nlohmann::json::array({"Service", "Environment"}));
  EXPECT_EQ(directive["Metrics"].size(), 5U);
  for (const auto& metric : directive["Metrics"]) {
    EXPECT_TRUE(j.contains(metric["Name"].get<std::string>())) << metric["Name"] << " has no value";
  }
  EXPECT_EQ(j["Service"], "hello-service");
  EXPECT_EQ(j["Environment"], "production");
  EXPECT_EQ(j["Requests"], 10);
  EXPECT_EQ(j["Errors4xx"], 2);
  EXPECT_EQ(j["Errors5xx"], 1);
  EXPECT_GE(j["LatencyP50"].get<double>(), 1.0);
  EXPECT_LE(j["LatencyP99"].get<double>(), 1.125);
}

TEST(EmfTest, AnEmptyIntervalHasCountsButNoLatency) {
  const auto j = nlohmann::json::parse(EmfReporter::format({}, "staging", std::chrono::system_clock::now()));
  EXPECT_EQ(j["Requests"], 0);
  EXPECT_FALSE(j.contains("LatencyP50"));
  EXPECT_EQ(j["_aws"]["CloudWatchMetrics"][0]["Metrics"].size(), 3U);
}

TEST(EmfTest, ReporterCoversOnlyItsInterval) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    Metrics m(labels(), 1);
    m.record(0, exchange(0, http::Method::kGet, 200, microseconds{1}));  // before the reporter: not counted
    LogSink sink(fds[1]);
    EmfReporter reporter(m, sink, "test");
    m.record(0, exchange(0, http::Method::kGet, 500, microseconds{1}));
    reporter.report(std::chrono::system_clock::now());
    reporter.report(std::chrono::system_clock::now());
  }
  ::close(fds[1]);
  std::string out;
  char b[8192];
  for (ssize_t n; (n = ::read(fds[0], b, sizeof b)) > 0;) {
    out.append(b, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  const std::size_t nl = out.find('\n');
  const auto first = nlohmann::json::parse(out.substr(0, nl));
  const auto second = nlohmann::json::parse(out.substr(nl + 1));
  EXPECT_EQ(first["Requests"], 1);
  EXPECT_EQ(first["Errors5xx"], 1);
  EXPECT_EQ(second["Requests"], 0);
}

}  // namespace
}  // namespace hello::observability
