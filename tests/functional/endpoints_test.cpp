// The real binary on a loopback port: every endpoint and the headers every response carries.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace hello::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class EndpointsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server = new ServerProcess({{"APP_ENV", "functional"}, {"EMF_INTERVAL_S", "0"}}); }
  static void TearDownTestSuite() {
    delete server;
    server = nullptr;
  }
  static HttpResponse get(const std::string& target, const std::string& headers = {},
                          const std::string& method = "GET") {
    const auto r = http_get(server->port(), target, headers, method);
    EXPECT_TRUE(r.has_value()) << method << " " << target << " got no answer";
    return r.value_or(HttpResponse{});
  }
  static ServerProcess* server;
};
ServerProcess* EndpointsTest::server = nullptr;

void expect_common_headers(const HttpResponse& r) {
  EXPECT_TRUE(r.has("date")) << r.head;
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  EXPECT_FALSE(r.header("x-request-id").empty());
  EXPECT_FALSE(r.has("server")) << "no server name or version";
  if (r.status != 204) {
    EXPECT_TRUE(r.has("content-type"));
    EXPECT_TRUE(r.has("content-length"));
  }
}

TEST_F(EndpointsTest, RootSaysHelloWithTheVersion) {
  const HttpResponse r = get("/");
  EXPECT_EQ(r.status, 200);
  expect_common_headers(r);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_FALSE(r.has("cache-control"));
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["message"], "Hello, World!");
  EXPECT_FALSE(j["version"].get<std::string>().empty());
}

TEST_F(EndpointsTest, HealthIsCheapAndUncached) {
  const HttpResponse r = get("/health");
  EXPECT_EQ(r.status, 200);
  expect_common_headers(r);
  EXPECT_EQ(r.body, R"({"status":"healthy"})");
  EXPECT_EQ(r.header("cache-control"), "no-store");
}

TEST_F(EndpointsTest, ReadyIs200WhileServing) {
  const HttpResponse r = get("/ready");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ready"})");
  EXPECT_EQ(r.header("cache-control"), "no-store");
}

TEST_F(EndpointsTest, InfoDescribesBuildAndProcess) {
  const HttpResponse r = get("/info");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("cache-control"), "no-store");
  const auto j = nlohmann::json::parse(r.body);
  for (const char* key : {"name", "version", "git_sha", "build_time", "compiler", "environment", "hostname", "pid",
                          "start_time", "uptime_seconds", "workers"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["name"], "hello-service");
  EXPECT_EQ(j["environment"], "functional");
  EXPECT_EQ(j["pid"], server->pid());
  EXPECT_GE(j["workers"].get<int>(), 1);
  EXPECT_FALSE(j.contains("ecs")) << "no ECS metadata outside ECS";
  EXPECT_FALSE(j.contains("fault"));
}

TEST_F(EndpointsTest, MetricsArePrometheusText) {
  get("/health");
  const HttpResponse r = get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.header("cache-control"), "no-store");
  for (const char* name :
       {"http_requests_total{route=\"/health\",method=\"GET\",code=\"200\"}", "http_request_duration_seconds_bucket",
        "http_requests_in_flight", "http_connections_open", "hello_build_info{", "process_start_time_seconds",
        "process_resident_memory_bytes", "process_cpu_seconds_total"}) {
    EXPECT_NE(r.body.find(name), std::string::npos) << name;
  }
  // The scrape itself is in flight while it is rendered.
  EXPECT_NE(r.body.find("\nhttp_requests_in_flight 1\n"), std::string::npos);
}

TEST_F(EndpointsTest, HeadAnswersEveryGetRouteWithoutBody) {
  for (const char* path : {"/", "/health", "/ready", "/info", "/metrics", "/missing"}) {
    const HttpResponse get_r = get(path);
    const HttpResponse head_r = get(path, {}, "HEAD");
    EXPECT_EQ(head_r.status, get_r.status) << path;
    EXPECT_TRUE(head_r.body.empty()) << path;
    EXPECT_TRUE(head_r.has("content-length")) << path;
    expect_common_headers(head_r);
  }
}

TEST_F(EndpointsTest, OptionsIs204WithAllow) {
  const HttpResponse r = get("/health", {}, "OPTIONS");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("allow"), "GET, HEAD, OPTIONS");
  EXPECT_TRUE(r.body.empty());
  expect_common_headers(r);
}

TEST_F(EndpointsTest, OtherMethodsAre405WithAllow) {
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "TRACE", "BREW"}) {
    const HttpResponse r = get("/health", "Content-Length: 0\r\n", method);
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.header("allow"), "GET, HEAD, OPTIONS") << method;
    expect_common_headers(r);
  }
}

TEST_F(EndpointsTest, UnknownPathIs404Json) {
  const HttpResponse r = get("/does/not/exist");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"], "not found");
}

TEST_F(EndpointsTest, RequestIdIsEchoedOrTakenFromTheTraceIdOrGenerated) {
  EXPECT_EQ(get("/health", "X-Request-Id: req-42\r\n").header("x-request-id"), "req-42");
  EXPECT_EQ(get("/health", "X-Amzn-Trace-Id: Root=1-67891233-abcdef012345678912345678\r\n").header("x-request-id"),
            "Root=1-67891233-abcdef012345678912345678");
  const std::string a = get("/health").header("x-request-id");
  const std::string b = get("/health").header("x-request-id");
  EXPECT_EQ(a.size(), 32U);
  EXPECT_NE(a, b);
}

TEST_F(EndpointsTest, AccessLogLineCarriesTheRequest) {
  get("/health?probe=access-log",
      "X-Request-Id: access-log-probe\r\nUser-Agent: probe/1.0\r\n"
      "X-Forwarded-For: 198.51.100.1, 203.0.113.9\r\n");
  const auto line = server->wait_for_line("access-log-probe", seconds{5});
  ASSERT_TRUE(line.has_value());
  const auto j = nlohmann::json::parse(*line);
  EXPECT_EQ(j["msg"], "request");
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/health");
  EXPECT_EQ(j["status"], 200);
  EXPECT_EQ(j["bytes"], 20);
  EXPECT_GE(j["duration_ms"].get<double>(), 0.0);
  EXPECT_EQ(j["client"], "203.0.113.9");
  EXPECT_EQ(j["user_agent"], "probe/1.0");
  EXPECT_TRUE(j.contains("time"));
}

TEST_F(EndpointsTest, StartupLineHasTheEffectiveConfiguration) {
  const auto line = server->wait_for_line("\"msg\":\"listening\"", seconds{1});
  ASSERT_TRUE(line.has_value());
  const auto j = nlohmann::json::parse(*line);
  for (const char* key : {"host", "port", "workers", "environment", "log_level", "access_log", "max_header_bytes",
                          "max_body_bytes", "max_connections", "header_timeout_s", "idle_timeout_s", "drain_delay_s",
                          "shutdown_timeout_s", "emf_interval_s", "version"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

TEST(MetricsSwitchTest, MetricsEnabledFalseMakesIt404) {
  ServerProcess server({{"METRICS_ENABLED", "false"}, {"ACCESS_LOG", "off"}});
  const auto r = http_get(server.port(), "/metrics");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(http_get(server.port(), "/health")->status, 200);
  // ACCESS_LOG=off: no request lines.
  std::this_thread::sleep_for(milliseconds{100});
  for (const auto& line : server.stdout_lines()) {
    EXPECT_EQ(line.find("\"msg\":\"request\""), std::string::npos) << line;
  }
}

TEST(TextLogTest, LogFormatTextIsNotJson) {
  ServerProcess server({{"LOG_FORMAT", "text"}}, {"serve"}, false);
  const auto line = server.wait_for_line(" listening ", seconds{10});
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->front(), '{');
  EXPECT_NE(line->find("port="), std::string::npos);
}

// A stand-in for the ECS agent's task metadata endpoint (the agent does not run here):
// a loopback listener that answers like the v4 endpoint, or never answers at all.
class FakeMetadataEndpoint {
 public:
  explicit FakeMetadataEndpoint(bool answer) : answer_(answer) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeMetadataEndpoint() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (const int c : held_) {
      ::close(c);
    }
  }
  std::string uri() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v4/container-id"; }

 private:
  void serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) {
        return;
      }
      if (!answer_) {
        held_.push_back(c);  // accept, never answer
        continue;
      }
      char buffer[4096];
      const ssize_t n = ::recv(c, buffer, sizeof buffer, 0);
      const std::string request(buffer, n > 0 ? static_cast<std::size_t>(n) : 0);
      const bool task = request.find("GET /v4/container-id/task ") == 0;
      const std::string body =
          task ? R"({"Cluster":"hello-test","TaskARN":"arn:aws:ecs:us-east-1:123456789012:task/hello-test/abc",)"
                 R"("Family":"hello-service","Revision":"7","AvailabilityZone":"us-east-1a","LaunchType":"FARGATE"})"
               : R"({"Name":"hello-service","Image":"repo/hello-service:1","ImageID":"sha256:feedface"})";
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      ::send(c, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  bool answer_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> held_;
  std::thread thread_;
};

TEST(EcsMetadataTest, InfoCarriesTheTaskMetadataWhenTheEndpointAnswers) {
  FakeMetadataEndpoint endpoint(true);
  ServerProcess server({{"ECS_CONTAINER_METADATA_URI_V4", endpoint.uri()}});
  ASSERT_TRUE(server.wait_for_line("\"msg\":\"ECS task metadata\"", seconds{5}).has_value());
  const auto r = http_get(server.port(), "/info");
  ASSERT_TRUE(r.has_value());
  const auto ecs = nlohmann::json::parse(r->body)["ecs"];
  EXPECT_EQ(ecs["task_arn"], "arn:aws:ecs:us-east-1:123456789012:task/hello-test/abc");
  EXPECT_EQ(ecs["cluster"], "hello-test");
  EXPECT_EQ(ecs["family"], "hello-service");
  EXPECT_EQ(ecs["revision"], "7");
  EXPECT_EQ(ecs["availability_zone"], "us-east-1a");
  EXPECT_EQ(ecs["launch_type"], "FARGATE");
  EXPECT_EQ(ecs["image_digest"], "sha256:feedface");
}

TEST(EcsMetadataTest, ASilentEndpointNeitherDelaysStartNorBreaksInfo) {
  FakeMetadataEndpoint endpoint(false);
  ServerProcess server({{"ECS_CONTAINER_METADATA_URI_V4", endpoint.uri()}});
  const auto r = http_get(server.port(), "/health");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  const auto warning = server.wait_for_line("ECS task metadata unavailable", seconds{5});
  ASSERT_TRUE(warning.has_value());
  EXPECT_NE(warning->find("\"level\":\"warn\""), std::string::npos);
  // Serving starts at once: the service listens before the fetch gives up (after 1 s) with
  // its warning. The order of the two lines says so whatever the machine's speed (a time
  // bound on start-up failed under ThreadSanitizer, whose start-up alone takes about 1 s).
  const auto lines = server.stdout_lines();
  const auto position = [&lines](const std::string& needle) {
    return std::find_if(lines.begin(), lines.end(),
                        [&needle](const std::string& line) { return line.find(needle) != std::string::npos; }) -
           lines.begin();
  };
  EXPECT_LT(position("\"msg\":\"listening\""), position("ECS task metadata unavailable"));
  EXPECT_FALSE(nlohmann::json::parse(http_get(server.port(), "/info")->body).contains("ecs"));
}

}  // namespace
}  // namespace hello::testing
