#include <gtest/gtest.h>

#include "platform/process_limits.hpp"

namespace hello::platform {
namespace {

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30U;

TEST(FitConnectionsTest, WithinEveryLimitNothingChanges) {
  const ConnectionFit fit = fit_connections(10000, 65536, files_kept(1), kGiB / 2, 16384);
  EXPECT_EQ(fit.max_connections, 10000U);
  EXPECT_TRUE(fit.warnings.empty());
}

TEST(FitConnectionsTest, TheOpenFileLimitLowersItWithOneLineNamingBothNumbers) {
  const ConnectionFit fit = fit_connections(10000, 1024, 30, kGiB, 16384);
  EXPECT_EQ(fit.max_connections, 994U);
  ASSERT_EQ(fit.warnings.size(), 1U);
  EXPECT_NE(fit.warnings[0].find("MAX_CONNECTIONS=10000"), std::string::npos) << fit.warnings[0];
  EXPECT_NE(fit.warnings[0].find("RLIMIT_NOFILE 1024"), std::string::npos) << fit.warnings[0];
  EXPECT_NE(fit.warnings[0].find("at most 994"), std::string::npos) << fit.warnings[0];
}

TEST(FitConnectionsTest, TheMemoryLimitLowersItWithOneLineNamingBothNumbers) {
  // A 128 MiB task: connections may take 64 MiB, 4096 at 16 KiB.
  const ConnectionFit fit = fit_connections(10000, 65536, 30, std::uint64_t{128} << 20U, 16384);
  EXPECT_EQ(fit.max_connections, 4096U);
  ASSERT_EQ(fit.warnings.size(), 1U);
  EXPECT_NE(fit.warnings[0].find("MAX_CONNECTIONS=10000"), std::string::npos) << fit.warnings[0];
  EXPECT_NE(fit.warnings[0].find("128 MiB"), std::string::npos) << fit.warnings[0];
}

TEST(FitConnectionsTest, TheDefaultFitsA512MiBFargateTask) {
  EXPECT_TRUE(fit_connections(10000, 65535, files_kept(1), std::uint64_t{512} << 20U, 16384).warnings.empty());
}

TEST(FitConnectionsTest, BothLimitsTakeTheTighterAndNeverZero) {
  const ConnectionFit fit = fit_connections(10000, 40, 30, std::uint64_t{1} << 20U, 16384);
  EXPECT_EQ(fit.max_connections, 10U);
  EXPECT_EQ(fit.warnings.size(), 1U) << "the memory limit allows 32, more than the files";
  EXPECT_GE(fit_connections(10, 5, 30, 0, 16384).max_connections, 1U);
}

}  // namespace
}  // namespace hello::platform
