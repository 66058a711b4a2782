#include "platform/cpu_quota.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include <sched.h>

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

}  // namespace

std::optional<double> cgroup_cpu_limit(const std::string& cgroup_file, const std::string& root) {
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
      limit = walk(root, path, v2_limit);
    } else {
      std::istringstream names(controllers);
      std::string name;
      bool has_cpu = false;
      while (std::getline(names, name, ',')) {
        has_cpu = has_cpu || name == "cpu";
      }
      if (has_cpu) {
        for (const char* dir : {"/cpu,cpuacct", "/cpuacct,cpu", "/cpu"}) {
          if (const auto l = walk(root + dir, path, v1_limit)) {
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
