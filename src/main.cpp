#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli/cli.hpp"

// The composition root: everything is built by the subcommand; here only what must
// hold for the whole process.
int main(int argc, char** argv) {
  // A closed stdout pipe must not kill the process (sockets already use MSG_NOSIGNAL).
  std::signal(SIGPIPE, SIG_IGN);
  try {
    const std::vector<std::string> args(argv, argv + argc);
    return hello::cli::run(args, hello::platform::process_environment());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hello-service: fatal: %s\n", e.what());
    return hello::cli::kExitFailure;
  }
}
