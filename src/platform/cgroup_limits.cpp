#include "platform/cgroup_limits.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include <sched.h>
#include <unistd.h>

namespace hello::platform {

namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string parent(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// cgroup v2 "cpu.max": "<quota> <period>" or "max <period>".
std::optional<double> v2_limit(const std::string& dir) {
  const auto text = read_file(dir + "/cpu.max");
  if (!text) {
    return std::nullopt;
  }
  std::istringstream in(*text);
  std::string quota;
  double period = 0;
  if (!(in >> quota >> period) || quota == "max" || period <= 0) {
    return std::nullopt;
  }
  try {
    return std::stod(quota) / period;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// cgroup v1: cpu.cfs_quota_us (-1 for none) over cpu.cfs_period_us.
std::optional<double> v1_limit(const std::string& dir) {
  const auto quota = read_file(dir + "/cpu.cfs_quota_us");
  const auto period = read_file(dir + "/cpu.cfs_period_us");
  if (!quota || !period) {
    return std::nullopt;
  }
  try {
    const double q = std::stod(*quota);
    const double p = std::stod(*period);
    if (q <= 0 || p <= 0) {
      return std::nullopt;
    }
    return q / p;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Walks from the process's cgroup up to the mount's root, keeping the tightest limit.
// Inside a container the path is usually "/" (a cgroup namespace); if the path does not
// exist under the mount (no namespace, a host path), only the mount's root is read.
template <class LimitFn>
std::optional<double> walk(const std::string& mount, std::string path, LimitFn limit_of) {
  std::optional<double> tightest;
  const auto consider = [&](const std::string& dir) {
    if (const auto l = limit_of(dir)) {
      tightest = tightest ? std::min(*tightest, *l) : *l;
    }
  };
  std::error_code ec;
  if (path.empty() || path == "/" || !std::filesystem::is_directory(mount + path, ec)) {
    consider(mount);
    return tightest;
  }
  for (;;) {
    consider(mount + path);
    if (path == "/") {
      break;
    }
    path = parent(path);
  }
  return tightest;
}

// cgroup v2 "memory.max": bytes, or "max".
std::optional<double> v2_memory(const std::string& dir) {
  const auto text = read_file(dir + "/memory.max");
  if (!text || text->rfind("max", 0) == 0) {
    return std::nullopt;
  }
  try {
    return std::stod(*text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// cgroup v1 "memory.limit_in_bytes": bytes; "no limit" is a huge number (2^63 rounded
// down to a page), so anything from 2^62 on means none.
std::optional<double> v1_memory(const std::string& dir) {
  const auto text = read_file(dir + "/memory.limit_in_bytes");
  if (!text) {
    return std::nullopt;
  }
  try {
    const double bytes = std::stod(*text);
    if (bytes <= 0 || bytes >= 4.611686018427387904e18) {
      return std::nullopt;
    }
    return bytes;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// One resource as cgroups expose it.
struct Controller {
  std::string_view v1_name;                         // in /proc/self/cgroup
  std::vector<std::string_view> v1_mounts;          // where its v1 hierarchy may be mounted
  std::optional<double> (*v2)(const std::string&);  // the limit in one v2 cgroup
  std::optional<double> (*v1)(const std::string&);  // the limit in one v1 cgroup
};

// The tightest limit on the process's cgroup path, v2 and v1 hierarchies alike.
std::optional<double> tightest_limit(const std::string& cgroup_file, const std::string& root, const Controller& c) {
  std::istringstream lines(cgroup_file);
  std::string line;
  std::optional<double> tightest;
  while (std::getline(lines, line)) {
    // "hierarchy-id:controllers:path"
    const std::size_t first = line.find(':');
    const std::size_t second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) {
      continue;
    }
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    std::optional<double> limit;
    if (line.compare(0, first, "0") == 0 && controllers.empty()) {
      limit = walk(root, path, c.v2);
    } else {
      std::istringstream names(controllers);
      std::string name;
      bool has_controller = false;
      while (std::getline(names, name, ',')) {
        has_controller = has_controller || name == c.v1_name;
      }
      if (has_controller) {
        for (const std::string_view dir : c.v1_mounts) {
          if (const auto l = walk(root + std::string(dir), path, c.v1)) {
            limit = l;
            break;
          }
        }
      }
    }
    if (limit) {
      tightest = tightest ? std::min(*tightest, *limit) : *limit;
    }
  }
  return tightest;
}

const Controller kCpu{"cpu", {"/cpu,cpuacct", "/cpuacct,cpu", "/cpu"}, v2_limit, v1_limit};
const Controller kMemory{"memory", {"/memory"}, v2_memory, v1_memory};

}  // namespace

std::optional<double> cgroup_cpu_limit(const std::string& cgroup_file, const std::string& root) {
  return tightest_limit(cgroup_file, root, kCpu);
}

std::optional<std::uint64_t> cgroup_memory_limit(const std::string& cgroup_file, const std::string& root) {
  const auto bytes = tightest_limit(cgroup_file, root, kMemory);
  if (!bytes) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(*bytes);
}

std::uint64_t memory_limit() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  std::uint64_t limit =
      pages > 0 && page_size > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size) : 0;
  if (const auto cgroup = read_file("/proc/self/cgroup")) {
    if (const auto bytes = cgroup_memory_limit(*cgroup, "/sys/fs/cgroup")) {
      limit = limit == 0 ? *bytes : std::min(limit, *bytes);
    }
  }
  return limit;
}

std::size_t available_cpus() {
  std::size_t cpus = std::max(1U, std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    cpus = static_cast<std::size_t>(std::max(1, CPU_COUNT(&set)));
  }
  if (const auto cgroup = read_file("/proc/self/cgroup")) {
    if (const auto limit = cgroup_cpu_limit(*cgroup, "/sys/fs/cgroup")) {
      cpus = std::min(cpus, static_cast<std::size_t>(std::max(1.0, std::ceil(*limit))));
    }
  }
  return cpus;
}

}  // namespace hello::platform
