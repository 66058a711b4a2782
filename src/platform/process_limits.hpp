#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hello::platform {

// Raises the soft limit on open files to the hard limit (each connection is a file
// descriptor; the soft default of 1024 would cap MAX_CONNECTIONS). Returns the new
// soft limit.
std::uint64_t raise_open_file_limit();

// File descriptors the process keeps besides its connections: standard streams, the
// listener, the signal pipe, the log and the metadata fetch, with room to spare (24),
// plus an epoll instance, an eventfd and a timerfd for each I/O thread (the workers and
// the control thread).
constexpr std::uint64_t files_kept(std::size_t workers) noexcept { return 24 + 3 * (workers + 1); }

// Connections take at most this share of the memory limit; the rest is for everything
// else (the binary, the log buffer of up to 8 MiB, bursts above the retained buffers,
// the kernel's socket buffers while data is in flight).
inline constexpr std::uint64_t kConnectionMemoryDivisor = 2;

// MAX_CONNECTIONS checked against what the process can hold.
struct ConnectionFit {
  std::size_t max_connections;
  // One line for each limit that lowered it, naming both numbers.
  std::vector<std::string> warnings;
};

// `wanted` (MAX_CONNECTIONS) lowered to what `open_files` (RLIMIT_NOFILE) minus
// `kept_files` allows, and to what half of `memory_bytes` allows at
// `bytes_per_connection` each.
ConnectionFit fit_connections(std::size_t wanted, std::uint64_t open_files, std::uint64_t kept_files,
                              std::uint64_t memory_bytes, std::size_t bytes_per_connection);

}  // namespace hello::platform
