// The binary's command line: configuration errors, help, version, healthcheck, verify.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace hello::testing {
namespace {

using std::chrono::seconds;

// The harness itself: a sanitizer report on a child's stderr fails the test that ran it,
// whatever the test checked (a ThreadSanitizer report does not stop the server).
TEST(SanitizerReportTest, FindsEachKindFromTheStartOfItsLine) {
  EXPECT_EQ(sanitizer_report("listening\nall well\n"), std::nullopt);
  EXPECT_EQ(sanitizer_report("a\n==7==ERROR: AddressSanitizer: heap-use-after-free\n    #0 f\n"),
            "==7==ERROR: AddressSanitizer: heap-use-after-free\n    #0 f\n");
  EXPECT_EQ(sanitizer_report("WARNING: ThreadSanitizer: data race (pid=9)\n"),
            "WARNING: ThreadSanitizer: data race (pid=9)\n");
  EXPECT_EQ(sanitizer_report("x\nsrc/http/session.cpp:10:5: runtime error: signed integer overflow"),
            "src/http/session.cpp:10:5: runtime error: signed integer overflow");
  EXPECT_NE(sanitizer_report("==8==ERROR: LeakSanitizer: detected memory leaks\n"), std::nullopt);
}

// A report reaches the server's stderr here through a configuration error that quotes the
// value (the real binary; the test cannot make it race on purpose).
void serve_with_a_report_on_stderr() {
  ServerProcess server(Env{{"LOG_LEVEL", "WARNING: ThreadSanitizer: data race"}}, {"serve"}, false);
  server.wait(seconds{10});
}

TEST(SanitizerReportTest, AReportOnTheServersStderrFailsTheTest) {
  EXPECT_NONFATAL_FAILURE(serve_with_a_report_on_stderr(), "the server's stderr holds a sanitizer report");
  EXPECT_NONFATAL_FAILURE(run_binary({"serve"}, {{"LOG_LEVEL", "==1==ERROR: AddressSanitizer: SEGV"}}),
                          "hello-service's stderr holds a sanitizer report");
}

TEST(ConfigErrorTest, BadValueExitsTwoWithOneLineNamingIt) {
  const RunResult r = run_binary({"serve"}, {{"PORT", "http"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "hello-service: configuration error: PORT=\"http\" is not allowed: expected an integer from 0 to "
            "65535 (0: any free port)\n");
  EXPECT_EQ(r.out, "");
}

TEST(ConfigErrorTest, EveryValidatedVariableStopsStartUp) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{{"HOST", "nowhere"},
                                                                                    {"WORKERS", "0"},
                                                                                    {"LOG_LEVEL", "loud"},
                                                                                    {"LOG_FORMAT", "yaml"},
                                                                                    {"ACCESS_LOG", "sometimes"},
                                                                                    {"METRICS_ENABLED", "perhaps"},
                                                                                    {"MAX_HEADER_BYTES", "1"},
                                                                                    {"MAX_BODY_BYTES", "x"},
                                                                                    {"MAX_CONNECTIONS", "0"},
                                                                                    {"HEADER_TIMEOUT_S", "0"},
                                                                                    {"BODY_TIMEOUT_S", "0.01"},
                                                                                    {"IDLE_TIMEOUT_S", "never"},
                                                                                    {"DRAIN_DELAY_S", "-1"},
                                                                                    {"SHUTDOWN_TIMEOUT_S", "1"},
                                                                                    {"EMF_INTERVAL_S", "0.1"},
                                                                                    {"APP_ENV", "a b"}}) {
    const RunResult r = run_binary({"serve"}, {{name, value}});
    EXPECT_EQ(r.exit_code, 2) << name;
    EXPECT_NE(r.err.find(name + "=\"" + value + "\" is not allowed"), std::string::npos) << r.err;
  }
}

TEST(ConfigErrorTest, PortInUseExitsOneWithTheReason) {
  ServerProcess first({{"EMF_INTERVAL_S", "0"}});
  const RunResult r = run_binary({"serve"}, {{"PORT", std::to_string(first.port())}, {"HOST", "0.0.0.0"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("cannot bind"), std::string::npos) << r.out;
}

TEST(HelpTest, ListsEverySettingWithItsDefault) {
  const RunResult r = run_binary({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* name :
       {"PORT", "HOST", "WORKERS", "APP_ENV", "LOG_LEVEL", "LOG_FORMAT", "ACCESS_LOG", "METRICS_ENABLED",
        "MAX_HEADER_BYTES", "MAX_BODY_BYTES", "MAX_CONNECTIONS", "HEADER_TIMEOUT_S", "BODY_TIMEOUT_S", "IDLE_TIMEOUT_S",
        "DRAIN_DELAY_S", "SHUTDOWN_TIMEOUT_S", "EMF_INTERVAL_S"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }
  EXPECT_NE(r.out.find("healthcheck"), std::string::npos);
  EXPECT_NE(r.out.find("verify"), std::string::npos);
}

TEST(HelpTest, TheReadmeDocumentsEverySettingWithTheSameDefault) {
  // --help prints the settings table of the code; the README's must say the same.
  std::ifstream readme(std::string(HELLO_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(readme.good());
  const std::string text((std::istreambuf_iterator<char>(readme)), std::istreambuf_iterator<char>());
  const RunResult help = run_binary({"--help"});
  std::istringstream lines(help.out);
  int settings = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string name, word, value;
    if (!(words >> name >> word >> value) || word != "default") {
      continue;
    }
    ++settings;
    EXPECT_NE(text.find("| `" + name + "` | " + value + " |"), std::string::npos)
        << name << " (default " << value << ") is missing from the README's configuration table";
  }
  EXPECT_GE(settings, 19);
}

TEST(HelpTest, EverySettingTheReadmeDocumentsIsInHelpWithTheSameDefault) {
  // The other direction: no row of the README's configuration table is missing from
  // --help (a setting removed from the code, or one only the README knows).
  std::ifstream readme(std::string(HELLO_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(readme.good());
  const RunResult help = run_binary({"--help"});
  bool in_table = false;
  int rows = 0;
  for (std::string line; std::getline(readme, line);) {
    if (line.rfind("| variable | default |", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table || line.rfind("|---", 0) == 0) {
      continue;
    }
    if (line.rfind("| `", 0) != 0) {
      break;  // the end of the table
    }
    const std::size_t name_end = line.find('`', 3);
    const std::string name = line.substr(3, name_end - 3);
    const std::size_t value_start = line.find("| ", name_end) + 2;
    const std::string value = line.substr(value_start, line.find(" |", value_start) - value_start);
    ++rows;
    const std::size_t at = help.out.find("  " + name + " ");
    ASSERT_NE(at, std::string::npos) << name << " is in the README but not in --help";
    std::istringstream words(help.out.substr(at, help.out.find('\n', at) - at));
    std::string help_name, word, help_value;
    words >> help_name >> word >> help_value;
    EXPECT_EQ(help_value, value) << name << ": the README and --help disagree on the default";
  }
  EXPECT_GE(rows, 19);
}

TEST(HelpTest, UnknownCommandIsAUsageError) {
  const RunResult r = run_binary({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command \"frobnicate\""), std::string::npos);
  EXPECT_EQ(run_binary({"serve", "extra"}).exit_code, 2);
}

TEST(VersionTest, PrintsTheBuildIdentity) {
  const RunResult r = run_binary({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("hello-service ", 0), 0U);
  EXPECT_NE(r.out.find("commit "), std::string::npos);
}

TEST(HealthcheckTest, ExitCodesFollowTheAnswer) {
  ServerProcess server({{"DRAIN_DELAY_S", "5"}, {"SHUTDOWN_TIMEOUT_S", "10"}, {"EMF_INTERVAL_S", "0"}});
  const std::string port = std::to_string(server.port());
  RunResult r = run_binary({"healthcheck", "--port", port});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("healthy"), std::string::npos);
  // PORT from the environment is the default, as in the container.
  EXPECT_EQ(run_binary({"healthcheck"}, {{"PORT", port}}).exit_code, 0);
  EXPECT_EQ(run_binary({"healthcheck", "--port", port, "--path", "/nope"}).exit_code, 1);
  EXPECT_EQ(run_binary({"healthcheck", "--port", port, "--path", "/ready"}).exit_code, 0);

  server.signal(SIGTERM);
  ASSERT_TRUE(server.wait_for_line("drain started", seconds{5}).has_value());
  r = run_binary({"healthcheck", "--port", port, "--path", "/ready"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("answered 503"), std::string::npos) << r.err;
  EXPECT_EQ(run_binary({"healthcheck", "--port", port}).exit_code, 0) << "liveness stays 200 while draining";
}

TEST(HealthcheckTest, NothingListeningIsUnhealthyAndBadArgumentsAreUsageErrors) {
  const RunResult r = run_binary({"healthcheck", "--port", "9", "--timeout-ms", "500"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unhealthy"), std::string::npos);
  EXPECT_EQ(run_binary({"healthcheck", "--port", "0"}).exit_code, 2);
  EXPECT_EQ(run_binary({"healthcheck", "--colour", "red"}).exit_code, 2);
  EXPECT_EQ(run_binary({"healthcheck", "--path", "health"}).exit_code, 2);
}

TEST(VerifyTest, PassesWithTheExpectedVersionAndFailsWithAnother) {
  ServerProcess server({{"ACCESS_LOG", "off"}, {"EMF_INTERVAL_S", "0"}});
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
  const RunResult version = run_binary({"version"});
  const std::string v = version.out.substr(14, version.out.find(' ', 14) - 14);

  RunResult r =
      run_binary({"verify", "--url", url, "--expect-version", v, "--consecutive", "3", "--interval-ms", "50"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("verify: PASS", 0), 0U) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one verdict line";

  // One attempt with 5 s for its answers (the per-attempt cap under a 10 s deadline; the
  // interval leaves no time for a second): the verdict names the wrong version even on a
  // machine too loaded to answer within a second, and the test still takes one round trip.
  r = run_binary(
      {"verify", "--url", url + "/", "--expect-version", "9.9.9", "--deadline-s", "10", "--interval-ms", "60000"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.rfind("verify: FAIL", 0), 0U) << r.out;
  EXPECT_NE(r.out.find("expected 9.9.9"), std::string::npos) << r.out;
}

TEST(VerifyTest, NothingListeningFailsByTheDeadline) {
  const auto started = std::chrono::steady_clock::now();
  const RunResult r =
      run_binary({"verify", "--url", "http://127.0.0.1:9", "--deadline-s", "1", "--interval-ms", "200"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds{4});
  EXPECT_NE(r.out.find("verify: FAIL"), std::string::npos);
}

TEST(VerifyTest, UsageErrors) {
  EXPECT_EQ(run_binary({"verify"}).exit_code, 2);
  EXPECT_EQ(run_binary({"verify", "--url", "https://example.com"}).exit_code, 2);
  EXPECT_EQ(run_binary({"verify", "--url", "http://127.0.0.1:9", "--consecutive", "0"}).exit_code, 2);
}

TEST(HealthcheckTest, ProbesTheAddressTheServiceListensOn) {
  // A service told to listen on one loopback address is not reachable on 127.0.0.1.
  ServerProcess server({{"HOST", "127.0.0.2"}, {"EMF_INTERVAL_S", "0"}});
  const std::string port = std::to_string(server.port());
  const RunResult r = run_binary({"healthcheck"}, {{"HOST", "127.0.0.2"}, {"PORT", port}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("http://127.0.0.2:" + port + "/health"), std::string::npos) << r.out;
  // --host still wins over HOST.
  EXPECT_EQ(
      run_binary({"healthcheck", "--host", "127.0.0.1", "--timeout-ms", "500"}, {{"HOST", "127.0.0.2"}, {"PORT", port}})
          .exit_code,
      1);
}

TEST(HealthcheckTest, AWildcardHostIsProbedOnLoopbackOfItsFamily) {
  ServerProcess v6({{"HOST", "::"}, {"EMF_INTERVAL_S", "0"}});
  const std::string port6 = std::to_string(v6.port());
  RunResult r = run_binary({"healthcheck"}, {{"HOST", "::"}, {"PORT", port6}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("http://[::1]:" + port6 + "/health"), std::string::npos) << r.out;

  ServerProcess v4({{"HOST", "0.0.0.0"}, {"EMF_INTERVAL_S", "0"}});
  const std::string port4 = std::to_string(v4.port());
  r = run_binary({"healthcheck"}, {{"HOST", "0.0.0.0"}, {"PORT", port4}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("http://127.0.0.1:" + port4 + "/health"), std::string::npos) << r.out;
}

TEST(HealthcheckTest, ABadHostIsAUsageError) {
  const RunResult r = run_binary({"healthcheck"}, {{"HOST", "nowhere"}, {"PORT", "5000"}});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("HOST"), std::string::npos) << r.err;
}

TEST(VerifyTest, AHungNameLookupIsBoundedByTheDeadline) {
  // A network and mount namespace of its own, whose resolver asks a DNS server on its
  // loopback that never answers (and would keep getaddrinfo waiting for 20 s).
  const std::string script = R"sh(
    ip link set lo up || exit 90
    dir=$(mktemp -d)
    python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
time.sleep(60)' > "$dir/ready" &
    dns=$!
    for _ in $(seq 1 200); do [ -s "$dir/ready" ] && break; sleep 0.05; done
    [ -s "$dir/ready" ] || { kill $dns; echo "the DNS stand-in did not start" >&2; exit 91; }
    printf 'nameserver 127.0.0.1\noptions timeout:20 attempts:1\n' > "$dir/resolv.conf"
    mount --bind "$dir/resolv.conf" /etc/resolv.conf || { kill $dns; exit 90; }
    start=$(date +%s%N)
    rc=0
    "$1" verify --url http://hung.dns.invalid:8080 --deadline-s 1 --interval-ms 100 || rc=$?
    echo "took_ms=$(( ($(date +%s%N) - start) / 1000000 ))" >&2
    kill $dns
    rm -rf "$dir"
    exit $rc)sh";
  const RunResult r = run_program("unshare", {"--mount", "--net", "--", "sh", "-c", script, "sh", HELLO_SERVICE_BINARY},
                                  {}, seconds{60});
  if (r.exit_code == 90 || r.err.find("unshare:") != std::string::npos) {
    GTEST_SKIP() << "cannot make a network namespace with a resolver of its own here (needs root, unshare, ip): "
                 << r.err;
  }
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("verify: FAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cannot resolve hung.dns.invalid within"), std::string::npos) << r.out;
  const std::size_t at = r.err.find("took_ms=");
  ASSERT_NE(at, std::string::npos) << r.err;
  const long took_ms = std::stol(r.err.substr(at + 8));
  // The unanswered query would hold it 20 s; 10 s leaves room for a slow start (about 1 s
  // under ThreadSanitizer alone, more on a loaded machine) and still catches that wait.
  EXPECT_LT(took_ms, 10000) << "the 1 s deadline waited for the DNS query";
}

}  // namespace
}  // namespace hello::testing
