#include "observability/process_stats.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include <dirent.h>
#include <unistd.h>

#include "observability/json.hpp"

namespace hello::observability {

namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

ProcessSample sample_process() {
  ProcessSample s;
  const long page = ::sysconf(_SC_PAGESIZE);
  const long ticks = ::sysconf(_SC_CLK_TCK);

  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  if (std::sscanf(read_file("/proc/self/statm").c_str(), "%llu %llu", &size_pages, &resident_pages) == 2 && page > 0) {
    s.resident_bytes = resident_pages * static_cast<unsigned long long>(page);
  }

  // Fields after the command name (which may hold spaces, so start after its ')'):
  // state is field 3; utime and stime are fields 14 and 15; num_threads is field 20.
  const std::string stat = read_file("/proc/self/stat");
  const std::size_t close = stat.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    for (int n = 3; n <= 20 && fields >> field; ++n) {
      if (n == 14) {
        utime = std::stoull(field);
      } else if (n == 15) {
        stime = std::stoull(field);
      } else if (n == 20) {
        s.threads = std::stoull(field);
      }
    }
    s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
  }

  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') {
        ++s.open_fds;
      }
    }
    ::closedir(dir);
    if (s.open_fds > 0) {
      --s.open_fds;  // the directory stream itself
    }
  }
  return s;
}

void append_process_metrics(std::string& out, const ProcessSample& s) {
  out.append(
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ");
  out.append(std::to_string(s.resident_bytes));
  out.append(
      "\n# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
      "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ");
  append_decimal(out, s.cpu_seconds, 2);
  out.append(
      "\n# HELP process_open_fds Number of open file descriptors.\n"
      "# TYPE process_open_fds gauge\nprocess_open_fds ");
  out.append(std::to_string(s.open_fds));
  out.append(
      "\n# HELP process_threads Number of OS threads in the process.\n"
      "# TYPE process_threads gauge\nprocess_threads ");
  out.append(std::to_string(s.threads));
  out.push_back('\n');
}

}  // namespace hello::observability
