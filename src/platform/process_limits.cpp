#include "platform/process_limits.hpp"

#include <algorithm>

#include <sys/resource.h>

namespace hello::platform {

std::uint64_t raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return 0;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      limit = raised;
    }
  }
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

namespace {

std::string mebibytes(std::uint64_t bytes) { return std::to_string(bytes >> 20U) + " MiB"; }

}  // namespace

ConnectionFit fit_connections(std::size_t wanted, std::uint64_t open_files, std::uint64_t kept_files,
                              std::uint64_t memory_bytes, std::size_t bytes_per_connection) {
  ConnectionFit fit{wanted, {}};
  const std::uint64_t by_files = open_files > kept_files ? open_files - kept_files : 1;
  if (fit.max_connections > by_files) {
    fit.max_connections = static_cast<std::size_t>(by_files);
    fit.warnings.push_back("MAX_CONNECTIONS=" + std::to_string(wanted) +
                           " is more than the open-file limit allows (RLIMIT_NOFILE " + std::to_string(open_files) +
                           ", of which " + std::to_string(kept_files) + " are kept for the process): serving at most " +
                           std::to_string(fit.max_connections) + " connections");
  }
  if (memory_bytes > 0 && bytes_per_connection > 0) {
    const std::uint64_t by_memory =
        std::max<std::uint64_t>(1, memory_bytes / kConnectionMemoryDivisor / bytes_per_connection);
    if (fit.max_connections > by_memory) {
      fit.max_connections = static_cast<std::size_t>(by_memory);
      fit.warnings.push_back("MAX_CONNECTIONS=" + std::to_string(wanted) + " at " +
                             std::to_string(bytes_per_connection >> 10U) +
                             " KiB each is more than the memory limit allows (" + mebibytes(memory_bytes) +
                             ", of which connections may take 1/" + std::to_string(kConnectionMemoryDivisor) +
                             "): serving at most " + std::to_string(fit.max_connections) + " connections");
    }
  }
  return fit;
}

}  // namespace hello::platform
