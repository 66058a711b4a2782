// Many clients at once, on loopback.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include <sys/resource.h>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace hello::testing {
namespace {

TEST(LoadTest, ThousandConcurrentConnectionsAreAllServed) {
  // The test process itself holds 1,000 sockets.
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < 1200 && limit.rlim_max >= 1200) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  ASSERT_GE(limit.rlim_cur, 1200U) << "this machine allows too few open files for the test";

  ServerProcess server({{"ACCESS_LOG", "off"}, {"EMF_INTERVAL_S", "0"}});
  constexpr int kConnections = 1000;
  std::vector<Connection> connections;
  connections.reserve(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    connections.emplace_back(server.port());
    ASSERT_TRUE(connections.back().connected()) << "connection " << i;
  }
  // All open at once; now every one sends a request, then every one reads its answer.
  for (auto& c : connections) {
    ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  int ok = 0;
  for (auto& c : connections) {
    const auto r = c.read_response();
    ok += r.has_value() && r->status == 200 ? 1 : 0;
  }
  EXPECT_EQ(ok, kConnections);
  const auto metrics = http_get(server.port(), "/metrics");
  ASSERT_TRUE(metrics.has_value());
  // The 1,000 plus the scrape's own connection.
  EXPECT_NE(metrics->body.find("\nhttp_connections_open 1001\n"), std::string::npos) << metrics->body;
}

TEST(LoadTest, ConcurrentClientsOnSeveralWorkersGetConsistentAnswers) {
  ServerProcess server({{"WORKERS", "4"}, {"ACCESS_LOG", "off"}, {"EMF_INTERVAL_S", "0"}});
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 16; ++t) {
    clients.emplace_back([&] {
      Connection c(server.port());
      for (int i = 0; i < 200; ++i) {
        c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto r = c.read_response();
        if (!r || r->status != 200 || r->body.find("Hello") == std::string::npos) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  const auto metrics = http_get(server.port(), "/metrics");
  ASSERT_TRUE(metrics.has_value());
  EXPECT_NE(metrics->body.find("http_requests_total{route=\"/\",method=\"GET\",code=\"200\"} 3200\n"),
            std::string::npos);
}

}  // namespace
}  // namespace hello::testing
