// The graceful drain, end to end: what makes zero-downtime deploys possible.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace hello::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(DrainTest, SigtermDuringLoadLosesNoRequestBeforeTheListenerCloses) {
  constexpr auto kDrainDelay = milliseconds{1500};
  ServerProcess server(
      {{"DRAIN_DELAY_S", "1.5"}, {"SHUTDOWN_TIMEOUT_S", "6"}, {"ACCESS_LOG", "off"}, {"EMF_INTERVAL_S", "0"}});
  constexpr int kClients = 64;
  std::atomic<bool> stop{false};
  std::atomic<Clock::rep> signalled_at{0};
  std::atomic<long> ok{0}, ok_after_signal{0}, closing_answers{0}, refused_after_close{0};
  std::mutex failures_mutex;
  std::vector<milliseconds> failures;  // start time of each failed request, relative to the signal

  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&] {
      std::optional<Connection> c;
      for (int i = 0; i < 20000 && !stop; ++i) {
        if (!c) {
          c.emplace(server.port(), seconds{5});
          if (!c->connected()) {
            // New connections are refused once the listener is closed: expected.
            ++refused_after_close;
            return;
          }
        }
        const Clock::time_point started = Clock::now();
        const bool sent = c->send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto r = sent ? c->read_response() : std::nullopt;
        if (r && r->status == 200) {
          ++ok;
          const auto sig = signalled_at.load();
          if (sig != 0 && started.time_since_epoch().count() > sig) {
            ++ok_after_signal;
          }
          if (r->header("connection") == "close") {
            ++closing_answers;
            c.reset();
          }
        } else {
          const auto sig = signalled_at.load();
          const auto relative =
              sig == 0 ? milliseconds{-1}
                       : std::chrono::duration_cast<milliseconds>(started - Clock::time_point(Clock::duration(sig)));
          std::lock_guard lock(failures_mutex);
          failures.push_back(relative);
          c.reset();
        }
      }
    });
  }

  std::this_thread::sleep_for(milliseconds{500});
  const long ok_before = ok.load();
  signalled_at = Clock::now().time_since_epoch().count();
  const Clock::time_point signalled = Clock::now();
  server.signal(SIGTERM);

  // /ready turns 503 at once; /health stays 200; new connections are still accepted.
  std::this_thread::sleep_for(milliseconds{200});
  const auto ready = http_get(server.port(), "/ready");
  const auto health = http_get(server.port(), "/health");
  ASSERT_TRUE(ready.has_value());
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body, R"({"status":"draining"})");
  EXPECT_EQ(health->status, 200);

  const auto exit_code = server.wait(seconds{10});
  const auto took = Clock::now() - signalled;
  stop = true;
  for (auto& t : clients) {
    t.join();
  }

  ASSERT_TRUE(exit_code.has_value()) << "did not exit";
  EXPECT_EQ(*exit_code, 0) << server.stderr_text();
  EXPECT_LT(took, seconds{6}) << "exit must come before SHUTDOWN_TIMEOUT_S";
  EXPECT_GE(took, kDrainDelay) << "must keep serving for DRAIN_DELAY_S";
  EXPECT_GT(ok_before, 0);
  EXPECT_GT(ok_after_signal.load(), 0) << "requests must still be served during the drain delay";

  // Every request that started before the listener closed got its answer. (A request
  // sent on a keep-alive connection at the very moment the server closed it as idle
  // can fail: that race is why the drain delay exists, so that the load balancer has
  // stopped sending by then. Allow it only after the close.)
  const milliseconds close_time = kDrainDelay;
  int early_failures = 0;
  for (const milliseconds f : failures) {
    if (f < close_time - milliseconds{100}) {
      ++early_failures;
    }
  }
  EXPECT_EQ(early_failures, 0) << "requests failed before the listener closed";
  std::printf(
      "drain under load: %ld ok (%ld after SIGTERM), %ld answered with Connection: close, "
      "%zu failed after the listener closed, %ld connects refused after it\n",
      ok.load(), ok_after_signal.load(), closing_answers.load(), failures.size(), refused_after_close.load());

  // The log tells the story in order.
  const auto lines = server.stdout_lines();
  std::vector<std::string> story;
  for (const auto& l : lines) {
    for (const char* step : {"drain started", "stopped accepting", "drain complete", "\"msg\":\"stopped\""}) {
      if (l.find(step) != std::string::npos) {
        story.emplace_back(step);
      }
    }
  }
  EXPECT_EQ(story,
            (std::vector<std::string>{"drain started", "stopped accepting", "drain complete", "\"msg\":\"stopped\""}));
}

TEST(DrainTest, RequestInProgressIsAnsweredWithConnectionClose) {
  ServerProcess server({{"DRAIN_DELAY_S", "0.3"}, {"SHUTDOWN_TIMEOUT_S", "10"}, {"EMF_INTERVAL_S", "0"}});
  Connection c(server.port());
  ASSERT_TRUE(c.send("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhello"));  // half a body
  Connection idle(server.port());
  ASSERT_TRUE(idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(idle.read_response().has_value());

  server.signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_line("stopped accepting", seconds{5}).has_value());
  // The idle keep-alive connection is closed; the one with a request in progress is not.
  EXPECT_TRUE(idle.wait_closed(seconds{2}));
  EXPECT_FALSE(server.wait(milliseconds{300}).has_value()) << "exited with a request in progress";
  ASSERT_TRUE(c.send("world"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.wait_closed(seconds{2}));
  const auto code = server.wait(seconds{5});
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

TEST(DrainTest, DeadlineClosesWhatIsLeftAndExitsNonZero) {
  ServerProcess server(
      {{"DRAIN_DELAY_S", "0.2"}, {"SHUTDOWN_TIMEOUT_S", "1"}, {"HEADER_TIMEOUT_S", "60"}, {"EMF_INTERVAL_S", "0"}});
  Connection stuck(server.port());
  ASSERT_TRUE(stuck.send("GET /health HTTP/1.1\r\n"));  // never finished
  std::this_thread::sleep_for(milliseconds{100});
  const auto started = Clock::now();
  server.signal(SIGTERM);
  const auto code = server.wait(seconds{5});
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_LT(Clock::now() - started, milliseconds{2500});
  EXPECT_TRUE(server.wait_for_line("shutdown deadline reached", seconds{1}).has_value());
}

TEST(DrainTest, SecondSignalClosesAtOnce) {
  ServerProcess server({{"DRAIN_DELAY_S", "30"}, {"SHUTDOWN_TIMEOUT_S", "60"}, {"EMF_INTERVAL_S", "0"}});
  server.signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_line("drain started", seconds{5}).has_value());
  const auto started = Clock::now();
  server.signal(SIGINT);
  const auto code = server.wait(seconds{5});
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_LT(Clock::now() - started, seconds{2});
}

TEST(DrainTest, NoDrainDelayStopsPromptly) {
  ServerProcess server({{"DRAIN_DELAY_S", "0"}, {"EMF_INTERVAL_S", "5"}});
  ASSERT_EQ(http_get(server.port(), "/health")->status, 200);
  server.signal(SIGINT);
  const auto code = server.wait(seconds{5});
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  // The last, partial EMF interval is written on the way out.
  EXPECT_TRUE(server.wait_for_line("\"_aws\"", seconds{1}).has_value());
}

TEST(DrainTest, AConnectionAcceptedBeforeTheListenerClosesIsServedWhenItsRequestComesLater) {
  ServerProcess server({{"DRAIN_DELAY_S", "0.5"}, {"SHUTDOWN_TIMEOUT_S", "5"}, {"EMF_INTERVAL_S", "0"}});
  server.signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_line("drain started", seconds{5}).has_value());
  Connection late(server.port());  // accepted while the drain delay runs
  ASSERT_TRUE(late.connected());
  ASSERT_TRUE(server.wait_for_line("stopped accepting", seconds{5}).has_value());
  std::this_thread::sleep_for(milliseconds{100});
  // Its first request arrives after the listener closed: it is answered, not reset.
  ASSERT_TRUE(late.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  const auto r = late.read_response();
  ASSERT_TRUE(r.has_value()) << "the connection was closed under its request";
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(late.wait_closed(seconds{2}));
  const auto code = server.wait(seconds{5});
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

}  // namespace
}  // namespace hello::testing
