#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "platform/ecs_metadata.hpp"

namespace hello::platform {
namespace {

// Shaped like the answers of the ECS task metadata endpoint v4 on Fargate.
constexpr const char* kTask = R"({
  "Cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/hello-production",
  "TaskARN": "arn:aws:ecs:us-east-1:123456789012:task/hello-production/0123456789abcdef",
  "Family": "hello-service",
  "Revision": "42",
  "DesiredStatus": "RUNNING",
  "KnownStatus": "RUNNING",
  "Limits": {"CPU": 0.25, "Memory": 512},
  "AvailabilityZone": "us-east-1b",
  "LaunchType": "FARGATE",
  "Containers": []
})";
constexpr const char* kContainer = R"({
  "DockerId": "0123456789abcdef-1234567890",
  "Name": "hello-service",
  "Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service@sha256:abcd",
  "ImageID": "sha256:abcd",
  "Labels": {}
})";

TEST(EcsMetadataTest, ParsesTheFieldsInfoReports) {
  const auto r = parse_task_metadata(kTask, kContainer);
  ASSERT_TRUE(r.ok()) << r.error();
  const TaskMetadata& m = r.value();
  EXPECT_EQ(m.task_arn, "arn:aws:ecs:us-east-1:123456789012:task/hello-production/0123456789abcdef");
  EXPECT_EQ(m.cluster, "arn:aws:ecs:us-east-1:123456789012:cluster/hello-production");
  EXPECT_EQ(m.family, "hello-service");
  EXPECT_EQ(m.revision, "42");
  EXPECT_EQ(m.availability_zone, "us-east-1b");
  EXPECT_EQ(m.launch_type, "FARGATE");
  EXPECT_EQ(m.container_name, "hello-service");
  EXPECT_EQ(m.image_digest, "sha256:abcd");
}

TEST(EcsMetadataTest, RefusesWhatIsNotMetadata) {
  EXPECT_FALSE(parse_task_metadata("not json", kContainer).ok());
  EXPECT_FALSE(parse_task_metadata("[]", kContainer).ok());
  EXPECT_FALSE(parse_task_metadata(R"({"Cluster":"x"})", kContainer).ok());
  EXPECT_FALSE(parse_task_metadata(kTask, "{").ok());
}

TEST(EcsMetadataTest, FetchFailsWithinTheTimeoutWhenNothingListens) {
  // Port 9 on loopback: nothing listens, the connection is refused at once.
  const auto started = std::chrono::steady_clock::now();
  const auto r = fetch_task_metadata("http://127.0.0.1:9/v4/abc", std::chrono::milliseconds{500});
  EXPECT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds{1500});
}

TEST(EcsMetadataTest, SlotStartsEmpty) {
  TaskMetadataSlot slot;
  EXPECT_EQ(slot.get(), nullptr);
  TaskMetadata m;
  m.task_arn = "x";
  slot.set(m);
  ASSERT_NE(slot.get(), nullptr);
  EXPECT_EQ(slot.get()->task_arn, "x");
}

TEST(TaskMetadataFetchTest, AnExceptionWhileTheFetchRunsJoinsItInsteadOfTerminating) {
  // A loopback listener that never accepts: the kernel completes the handshake and the
  // fetch waits for an answer until its timeout.
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string uri = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v4/silent";

  std::atomic<bool> finished{false};
  std::string error;
  try {
    TaskMetadataFetch fetch(uri, std::chrono::milliseconds{300}, [&](Result<TaskMetadata> r) {
      error = r ? "" : r.error();
      finished = true;
    });
    throw std::runtime_error("the caller fails while the fetch is running");
  } catch (const std::runtime_error&) {
  }
  // Still alive, and the fetch ran to its end before the scope was left.
  EXPECT_TRUE(finished.load());
  EXPECT_FALSE(error.empty()) << "the silent endpoint cannot have answered";
  ::close(listener);
}

}  // namespace
}  // namespace hello::platform
