#pragma once

#include <string>
#include <vector>

#include "platform/config.hpp"

namespace hello::cli {

// Exit codes of every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // unhealthy, verification failed, forced shutdown, bind failure
inline constexpr int kExitUsage = 2;    // bad configuration or command line

// Dispatches `hello-service [serve|healthcheck|verify|version|help] [options]`.
int run(const std::vector<std::string>& args, const platform::Environment& env);

int serve(const platform::Environment& env);
int healthcheck(const std::vector<std::string>& args, const platform::Environment& env);
int verify(const std::vector<std::string>& args);
int version();
int help();

}  // namespace hello::cli
