#pragma once

#include <cstdint>
#include <string>

namespace hello::observability {

// The process's own resource use, read from /proc when asked (scrapes only).
struct ProcessSample {
  std::uint64_t resident_bytes = 0;
  double cpu_seconds = 0;  // user + system
  std::uint64_t open_fds = 0;
  std::uint64_t threads = 0;
};

ProcessSample sample_process();

// Appends the process_* metrics in Prometheus text format.
void append_process_metrics(std::string& out, const ProcessSample& sample);

}  // namespace hello::observability
