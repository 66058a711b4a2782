// What connections cost, over real sockets: the memory a connection keeps after a
// burst, and how MAX_CONNECTIONS meets the process's limits.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace hello::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The value of an unlabelled metric in a /metrics scrape, or -1.
long long metric(std::uint16_t port, const std::string& name) {
  const auto r = http_get(port, "/metrics");
  if (!r) {
    return -1;
  }
  const std::size_t at = r->body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stoll(r->body.substr(at + name.size() + 2));
}

TEST(ConnectionMemoryTest, BuffersGrownByABurstAreReturnedOnceTheConnectionIsIdle) {
  ServerProcess server({{"ACCESS_LOG", "off"}, {"EMF_INTERVAL_S", "0"}});
  constexpr int kConnections = 20;
  std::vector<Connection> connections;
  for (int i = 0; i < kConnections; ++i) {
    connections.emplace_back(server.port());
    ASSERT_TRUE(connections.back().send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(connections.back().read_response().has_value());
  }
  const long long before = metric(server.port(), "http_connection_buffer_bytes");
  ASSERT_GT(before, 0);

  // A pipelined burst of 10.8 KB on every connection (327 requests for /info, about
  // 200 KB of answers each), read to the end.
  std::string burst;
  for (int i = 0; i < 327; ++i) {
    burst += "GET /info HTTP/1.1\r\nHost: x\r\n\r\n";
  }
  for (auto& c : connections) {
    ASSERT_TRUE(c.send(burst));
  }
  for (auto& c : connections) {
    for (int i = 0; i < 327; ++i) {
      const auto r = c.read_response();
      ASSERT_TRUE(r.has_value()) << i;
      ASSERT_EQ(r->status, 200);
    }
  }
  std::this_thread::sleep_for(milliseconds{200});
  const long long after = metric(server.port(), "http_connection_buffer_bytes");
  std::printf("connection buffers: %lld bytes before the burst, %lld after it (%d connections)\n", before, after,
              kConnections);
  EXPECT_LE(after, before + kConnections * 1024LL) << "the burst's buffers are still held";
  EXPECT_LE(after / (kConnections + 1), 16 * 1024) << "more than 16 KiB per idle connection";
}

}  // namespace
}  // namespace hello::testing
