#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace hello::platform {

// Limits a container's cgroups put on this process.

// The CPUs this process may use: the smaller of its affinity mask and the CFS quota of
// its cgroup and every cgroup above it (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us),
// rounded up, at least 1. A Fargate task of 0.25 vCPU gets 1.
std::size_t available_cpus();

// The tightest CPU limit on the cgroup path, in CPUs (0.25 for a quarter CPU), or none.
// `cgroup_file` is the content of /proc/self/cgroup; `root` is where cgroup file systems
// are mounted (parameters so that tests can build a fake hierarchy).
std::optional<double> cgroup_cpu_limit(const std::string& cgroup_file, const std::string& root);

// The memory this process may use, in bytes: the tightest memory limit of its cgroup
// and every cgroup above it (v2 memory.max, v1 memory.limit_in_bytes), else the
// machine's physical memory. A Fargate task's memory is its cgroup's limit.
std::uint64_t memory_limit();

// The tightest memory limit on the cgroup path, in bytes, or none (parameters as above).
std::optional<std::uint64_t> cgroup_memory_limit(const std::string& cgroup_file, const std::string& root);

}  // namespace hello::platform
