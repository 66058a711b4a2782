#include "support/server_process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace hello::testing {

namespace {

struct Spawned {
  pid_t pid;
  int out;
  int err;
};

// Starts `program` (a path, or a name looked up in PATH) with `args`; with `launch`
// settings, `program` must be a path.
Spawned spawn(const std::string& program, const std::vector<std::string>& args, const Env& env,
              const Launch& launch = {}) {
  std::vector<std::string> argv_text{program};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<std::string> env_text;
  if (const char* path = std::getenv("PATH")) {
    env_text.push_back(std::string("PATH=") + path);
  }
  // Sanitizer settings pass through, so that the asan build's children report too.
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name)) {
      env_text.push_back(std::string(name) + "=" + value);
    }
  }
  for (const auto& [k, v] : env) {
    env_text.push_back(k + "=" + v);
  }
  std::vector<char*> argv;
  for (auto& a : argv_text) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : env_text) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);

  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  if (launch.open_files || !launch.cgroup.empty()) {
    // fork and exec, to set what posix_spawn cannot; between the two, only
    // async-signal-safe calls (this process has threads).
    const std::string procs = launch.cgroup.empty() ? std::string() : launch.cgroup + "/cgroup.procs";
    const pid_t pid = ::fork();
    if (pid < 0) {
      throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::dup2(err[1], STDERR_FILENO);
      if (launch.open_files) {
        const rlimit limit{static_cast<rlim_t>(*launch.open_files), static_cast<rlim_t>(*launch.open_files)};
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
          ::_exit(126);
        }
      }
      if (!procs.empty()) {
        const int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ::write(fd, "0", 1) != 1) {
          ::_exit(126);
        }
        ::close(fd);
      }
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    return {pid, out[0], err[0]};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    throw std::runtime_error(std::string("cannot start ") + argv[0] + ": " + std::strerror(rc));
  }
  return {pid, out[0], err[0]};
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

}  // namespace

ServerProcess::ServerProcess(Env env, std::vector<std::string> args, bool wait_listening, const Launch& launch) {
  bool has_port = false;
  for (const auto& [k, v] : env) {
    has_port = has_port || k == "PORT";
  }
  if (!has_port) {
    env.emplace_back("PORT", "0");
  }
  const Spawned s = spawn(HELLO_SERVICE_BINARY, args, env, launch);
  pid_ = s.pid;
  out_reader_ = std::thread([this, fd = s.out] { reader(fd, true); });
  err_reader_ = std::thread([this, fd = s.err] { reader(fd, false); });
  if (wait_listening) {
    const auto line = wait_for_line("\"msg\":\"listening\"", std::chrono::seconds{20});
    if (!line) {
      // The destructor does not run for a constructor that throws: stop the child and its
      // readers here, or the joinable threads would abort the whole test binary.
      ::kill(pid_, SIGKILL);
      wait(std::chrono::seconds{10});
      throw std::runtime_error("no listening line; stderr: " + stderr_text());
    }
    port_ = static_cast<std::uint16_t>(std::stoi(json_field(*line, "port").value_or("0")));
  }
}

ServerProcess::~ServerProcess() {
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (out_reader_.joinable()) {
    out_reader_.join();
  }
  if (err_reader_.joinable()) {
    err_reader_.join();
  }
  if (const auto report = sanitizer_report(err_text_)) {
    ADD_FAILURE() << "the server's stderr holds a sanitizer report:\n" << *report;
  }
}

void ServerProcess::signal(int sig) const { ::kill(pid_, sig); }

std::optional<int> ServerProcess::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) {
    return exit_code_;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = decode_status(status);
      // Let the readers see the end of the pipes.
      if (out_reader_.joinable()) {
        out_reader_.join();
      }
      if (err_reader_.joinable()) {
        err_reader_.join();
      }
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
}

void ServerProcess::reader(int fd, bool is_stdout) {
  std::string partial;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    std::lock_guard lock(mutex_);
    if (is_stdout) {
      partial.append(buffer, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (std::size_t nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n', start)) {
        out_lines_.push_back(partial.substr(start, nl - start));
        start = nl + 1;
      }
      partial.erase(0, start);
    } else {
      err_text_.append(buffer, static_cast<std::size_t>(n));
    }
    changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard lock(mutex_);
  if (is_stdout && !partial.empty()) {
    out_lines_.push_back(partial);
  }
  if (is_stdout) {
    out_closed_ = true;
  }
  changed_.notify_all();
}

std::optional<std::string> ServerProcess::wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::size_t checked = 0;
  std::optional<std::string> found;
  changed_.wait_for(lock, timeout, [&] {
    for (; checked < out_lines_.size(); ++checked) {
      if (out_lines_[checked].find(needle) != std::string::npos) {
        found = out_lines_[checked];
        return true;
      }
    }
    return out_closed_;  // the process closed its stdout (it exited): no line will come
  });
  return found;
}

std::vector<std::string> ServerProcess::stdout_lines() const {
  std::lock_guard lock(mutex_);
  return out_lines_;
}

std::string ServerProcess::stderr_text() const {
  std::lock_guard lock(mutex_);
  return err_text_;
}

RunResult run_binary(const std::vector<std::string>& args, const Env& env, std::chrono::milliseconds timeout) {
  RunResult result = run_program(HELLO_SERVICE_BINARY, args, env, timeout);
  if (const auto report = sanitizer_report(result.err)) {
    ADD_FAILURE() << "hello-service's stderr holds a sanitizer report:\n" << *report;
  }
  return result;
}

RunResult run_program(const std::string& program, const std::vector<std::string>& args, const Env& env,
                      std::chrono::milliseconds timeout) {
  const Spawned s = spawn(program, args, env);
  RunResult result;
  std::thread out([&] {
    char b[4096];
    for (ssize_t n; (n = ::read(s.out, b, sizeof b)) > 0;) {
      result.out.append(b, static_cast<std::size_t>(n));
    }
  });
  std::thread err([&] {
    char b[4096];
    for (ssize_t n; (n = ::read(s.err, b, sizeof b)) > 0;) {
      result.err.append(b, static_cast<std::size_t>(n));
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    if (::waitpid(s.pid, &status, WNOHANG) == s.pid) {
      result.exit_code = decode_status(status);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(s.pid, SIGKILL);
      ::waitpid(s.pid, &status, 0);
      result.exit_code = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  out.join();
  err.join();
  ::close(s.out);
  ::close(s.err);
  return result;
}

std::optional<std::string> sanitizer_report(const std::string& err) {
  // The first line of each kind of report (UBSan's is "<file>:<line>:<col>: runtime error:").
  static constexpr const char* kMarkers[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                             "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer", ": runtime error: "};
  std::size_t first = std::string::npos;
  for (const char* marker : kMarkers) {
    first = std::min(first, err.find(marker));
  }
  if (first == std::string::npos) {
    return std::nullopt;
  }
  const std::size_t line_start = err.rfind('\n', first);
  const std::size_t begin = line_start == std::string::npos ? 0 : line_start + 1;
  // Enough to name the kind and the first frames; the rest is in the test's log.
  std::size_t end = begin;
  for (int lines = 0; lines < 12 && end != std::string::npos; ++lines) {
    end = err.find('\n', end + 1);
  }
  return err.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::optional<std::string> json_field(const std::string& line, const std::string& key) {
  const auto json = nlohmann::json::parse(line, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains(key)) {
    return std::nullopt;
  }
  const auto& v = json[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace hello::testing
