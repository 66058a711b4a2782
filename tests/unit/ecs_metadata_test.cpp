#include <gtest/gtest.h>

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

}  // namespace
}  // namespace hello::platform
