#pragma once

#include <cstdint>

namespace hello::platform {

// Raises the soft limit on open files to the hard limit (each connection is a file
// descriptor; the soft default of 1024 would cap MAX_CONNECTIONS). Returns the new
// soft limit.
std::uint64_t raise_open_file_limit();

}  // namespace hello::platform
