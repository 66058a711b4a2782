#include "cli/cli.hpp"

#include <cstdio>

#include "app/build_info.hpp"

namespace hello::cli {

int run(const std::vector<std::string>& args, const platform::Environment& env) {
  const std::string command = args.size() > 1 ? args[1] : "serve";
  const std::vector<std::string> rest(args.size() > 2 ? args.begin() + 2 : args.end(), args.end());
  if (command == "serve") {
    if (!rest.empty()) {
      std::fprintf(stderr,
                   "hello-service serve: takes no arguments (settings come from the environment; see --help)\n");
      return kExitUsage;
    }
    return serve(env);
  }
  if (command == "healthcheck") {
    return healthcheck(rest, env);
  }
  if (command == "verify") {
    return verify(rest);
  }
  if (command == "version" || command == "--version") {
    return version();
  }
  if (command == "help" || command == "--help" || command == "-h") {
    return help();
  }
  std::fprintf(stderr, "hello-service: unknown command \"%s\" (try --help)\n", command.c_str());
  return kExitUsage;
}

int version() {
  const app::BuildInfo b = app::build_info();
  std::printf("%.*s %.*s (commit %.*s, built %.*s, %.*s, %.*s)\n", static_cast<int>(b.name.size()), b.name.data(),
              static_cast<int>(b.version.size()), b.version.data(), static_cast<int>(b.git_sha.size()),
              b.git_sha.data(), static_cast<int>(b.build_time.size()), b.build_time.data(),
              static_cast<int>(b.compiler.size()), b.compiler.data(), static_cast<int>(b.build_type.size()),
              b.build_type.data());
  return kExitOk;
}

int help() {
  std::printf(
      "Usage: hello-service [COMMAND] [OPTIONS]\n"
      "\n"
      "Commands:\n"
      "  serve                 serve HTTP (the default); settings come from the environment\n"
      "  healthcheck [--port N] [--path P] [--host H] [--timeout-ms T]\n"
      "                        GET http://H:N/P; exit 0 only on 200 (the container's HEALTHCHECK)\n"
      "                        defaults: PORT from the environment (else 5000), /health, HOST from the\n"
      "                        environment (0.0.0.0 becomes 127.0.0.1 and :: becomes ::1; unset:\n"
      "                        127.0.0.1), 2000 ms\n"
      "  verify --url URL [--expect-version V] [--consecutive N] [--deadline-s S] [--interval-ms I]\n"
      "                        poll URL's /health and /info until N consecutive healthy answers\n"
      "                        (with version V, if given); one verdict line; exit 0 or 1\n"
      "                        defaults: N=5, S=300, I=2000\n"
      "  version               print the build identity\n"
      "  help                  this text\n"
      "\n"
      "Settings (environment variables; a bad value stops start-up with exit code 2):\n");
  for (const platform::SettingDoc& s : platform::setting_docs()) {
    std::printf("  %-28.*s default %-12.*s %.*s\n  %-28s allowed: %.*s\n", static_cast<int>(s.name.size()),
                s.name.data(), static_cast<int>(s.default_value.size()), s.default_value.data(),
                static_cast<int>(s.description.size()), s.description.data(), "", static_cast<int>(s.allowed.size()),
                s.allowed.data());
  }
  std::printf(
      "\n"
      "Signals: SIGTERM or SIGINT drains (see DRAIN_DELAY_S, SHUTDOWN_TIMEOUT_S); a second one closes at once.\n"
      "Exit codes: 0 ok or clean shutdown; 1 unhealthy, verification failed, cannot listen, or forced\n"
      "            shutdown; 2 bad configuration or command line.\n");
  return kExitOk;
}

}  // namespace hello::cli
