#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "observability/log_sink.hpp"

namespace hello::observability {
namespace {

TEST(LogSinkTest, LinesFromManyThreadsNeverInterleave) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  constexpr int kThreads = 8;
  constexpr int kLines = 2000;
  std::string received;
  std::thread reader([&] {
    char buffer[65536];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) {
      received.append(buffer, static_cast<std::size_t>(n));
    }
  });
  {
    LogSink sink(fds[1], std::size_t{256} << 20U);  // room for everything: this test is about order
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&sink, t] {
        // Lines of different lengths, some longer than a pipe's atomic write size.
        for (int i = 0; i < kLines; ++i) {
          const std::string payload(static_cast<std::size_t>((i * 37) % 5000), static_cast<char>('a' + t));
          std::string line = "<";  // built by appends: GCC 12 at -O3 warns falsely on "<" + ...
          line.append(std::to_string(t)).append(":").append(std::to_string(i)).append(":");
          line.append(payload).append(">\n");
          sink.write(line);
        }
      });
    }
    for (auto& w : writers) {
      w.join();
    }
    EXPECT_EQ(sink.dropped(), 0U);
  }  // the destructor writes everything out
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);

  std::set<std::string> seen;
  std::size_t start = 0;
  int lines = 0;
  for (std::size_t nl = received.find('\n'); nl != std::string::npos; nl = received.find('\n', start)) {
    const std::string line = received.substr(start, nl - start);
    start = nl + 1;
    ++lines;
    ASSERT_GE(line.size(), 5U);
    ASSERT_EQ(line.front(), '<');
    ASSERT_EQ(line.back(), '>');
    const std::size_t c1 = line.find(':');
    const std::size_t c2 = line.find(':', c1 + 1);
    const int t = std::stoi(line.substr(1, c1 - 1));
    const int i = std::stoi(line.substr(c1 + 1, c2 - c1 - 1));
    const std::string payload = line.substr(c2 + 1, line.size() - c2 - 2);
    ASSERT_EQ(payload, std::string(static_cast<std::size_t>((i * 37) % 5000), static_cast<char>('a' + t)))
        << "line " << t << ":" << i << " was torn";
    seen.insert(line.substr(0, c2));
  }
  EXPECT_EQ(lines, kThreads * kLines);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kThreads * kLines));
}

TEST(LogSinkTest, DropsAndCountsInsteadOfBlockingWhenTheReaderStalls) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  // Nobody reads the pipe yet: once the pipe's buffer and the sink's cap are full, lines
  // are dropped and counted, and write() keeps returning at once.
  auto sink = std::make_unique<LogSink>(fds[1], 4096);
  const std::string line(1000, 'x');
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 500; ++i) {
    sink->write(line + "\n");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds{2});
  EXPECT_GT(sink->dropped(), 0U);
  std::size_t drained = 0;
  std::thread reader([&] {
    char buffer[65536];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) {
      drained += static_cast<std::size_t>(n);
    }
  });
  sink.reset();  // writes out what it kept
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  EXPECT_GT(drained, 0U);
  EXPECT_EQ(drained % 1001, 0U) << "only whole lines are written";
}

}  // namespace
}  // namespace hello::observability
