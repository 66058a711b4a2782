#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace hello::testing {

using Env = std::vector<std::pair<std::string, std::string>>;

// How the child starts, beyond its environment.
struct Launch {
  std::optional<std::uint64_t> open_files;  // RLIMIT_NOFILE, soft and hard
  std::string cgroup;                       // a cgroup directory to start in (cgroup.procs)
};

// The real hello-service binary in a child process with its own environment (nothing is
// inherited but PATH), its stdout and stderr captured line by line.
class ServerProcess {
 public:
  // Starts `hello-service <args>`; with `wait_listening`, waits for the start-up line
  // and reads the port from it (PORT defaults to 0: any free port).
  ServerProcess(Env env, std::vector<std::string> args, bool wait_listening, const Launch& launch = {});
  // `hello-service serve` with these settings, once it listens.
  explicit ServerProcess(std::initializer_list<std::pair<std::string, std::string>> env = {})
      : ServerProcess(Env(env), {"serve"}, true) {}
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }
  void signal(int sig) const;

  // The exit code (or 128 + signal), or nothing if it did not exit within `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  // Waits for a stdout line containing `needle`; returns it. Nothing once stdout is closed.
  std::optional<std::string> wait_for_line(const std::string& needle, std::chrono::milliseconds timeout);
  std::vector<std::string> stdout_lines() const;
  std::string stderr_text() const;

 private:
  void reader(int fd, bool is_stdout);

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::optional<int> exit_code_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> out_lines_;
  bool out_closed_ = false;
  std::string err_text_;
  std::thread out_reader_;
  std::thread err_reader_;
};

// Runs the binary to completion (CLI tests).
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult run_binary(const std::vector<std::string>& args, const Env& env = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds{30});
// Runs another program (a path, or a name looked up in PATH) to completion.
RunResult run_program(const std::string& program, const std::vector<std::string>& args, const Env& env = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds{30});

// The first lines of a sanitizer report (ASan, LSan, UBSan, TSan) in a child's stderr, or
// nothing. A ThreadSanitizer report does not stop the process, and a server that a test
// kills never reaches the leak check's exit code: the report on stderr is the only trace.
// ~ServerProcess and run_binary fail the running test when there is one.
std::optional<std::string> sanitizer_report(const std::string& err);

// A JSON field of a log line, crudely: the text of "key":<value> (strings unquoted).
std::optional<std::string> json_field(const std::string& line, const std::string& key);

}  // namespace hello::testing
