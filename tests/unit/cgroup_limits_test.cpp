#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "platform/cgroup_limits.hpp"

namespace hello::platform {
namespace {

namespace fs = std::filesystem;

class CpuQuotaTest : public ::testing::Test {
 protected:
  CpuQuotaTest() {
    root = fs::temp_directory_path() / ("cgroup-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    fs::create_directories(root);
  }
  ~CpuQuotaTest() override { fs::remove_all(root); }

  void write(const std::string& relative, const std::string& content) {
    const fs::path p = root / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }

  fs::path root;
};

TEST_F(CpuQuotaTest, V2QuarterCpuIsAQuarter) {
  write("cpu.max", "25000 100000\n");
  const auto limit = cgroup_cpu_limit("0::/\n", root.string());
  ASSERT_TRUE(limit.has_value());
  EXPECT_DOUBLE_EQ(*limit, 0.25);
}

TEST_F(CpuQuotaTest, V2MaxMeansNoLimit) {
  write("cpu.max", "max 100000\n");
  EXPECT_FALSE(cgroup_cpu_limit("0::/\n", root.string()).has_value());
}

TEST_F(CpuQuotaTest, V2TheTightestLimitOnThePathWins) {
  // The task's cgroup limits the whole task; the container's own has none (Fargate).
  write("task/cpu.max", "50000 100000\n");
  write("task/container/cpu.max", "max 100000\n");
  const auto limit = cgroup_cpu_limit("0::/task/container\n", root.string());
  ASSERT_TRUE(limit.has_value());
  EXPECT_DOUBLE_EQ(*limit, 0.5);
}

TEST_F(CpuQuotaTest, V1QuotaOverPeriod) {
  write("cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "150000\n");
  write("cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  const auto limit = cgroup_cpu_limit("12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n", root.string());
  ASSERT_TRUE(limit.has_value());
  EXPECT_DOUBLE_EQ(*limit, 1.5);
}

TEST_F(CpuQuotaTest, V1MinusOneMeansNoLimit) {
  write("cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  write("cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  EXPECT_FALSE(cgroup_cpu_limit("4:cpu,cpuacct:/\n", root.string()).has_value());
}

TEST_F(CpuQuotaTest, NoFilesNoLimit) {
  EXPECT_FALSE(cgroup_cpu_limit("0::/somewhere\n", root.string()).has_value());
  EXPECT_FALSE(cgroup_cpu_limit("", root.string()).has_value());
}

TEST(AvailableCpusTest, AtLeastOne) { EXPECT_GE(available_cpus(), 1U); }

TEST_F(CpuQuotaTest, V2MemoryMaxIsTheTaskMemory) {
  write("memory.max", "536870912\n");
  EXPECT_EQ(cgroup_memory_limit("0::/\n", root.string()), std::uint64_t{536870912});
  write("memory.max", "max\n");
  EXPECT_EQ(cgroup_memory_limit("0::/\n", root.string()), std::nullopt);
}

TEST_F(CpuQuotaTest, V1MemoryTakesTheTightestOnThePathAndIgnoresNoLimit) {
  write("memory/memory.limit_in_bytes", "9223372036854771712\n");  // no limit
  write("memory/task/memory.limit_in_bytes", "268435456\n");
  write("memory/task/app/memory.limit_in_bytes", "9223372036854771712\n");
  EXPECT_EQ(cgroup_memory_limit("4:memory:/task/app\n", root.string()), std::uint64_t{268435456});
  EXPECT_EQ(cgroup_memory_limit("4:memory:/\n", root.string()), std::nullopt);
  EXPECT_EQ(cgroup_memory_limit("3:cpu:/task/app\n", root.string()), std::nullopt) << "not the memory hierarchy";
}

TEST(MemoryLimitTest, ThisProcessHasOne) { EXPECT_GT(memory_limit(), std::uint64_t{1} << 20U); }

}  // namespace
}  // namespace hello::platform
