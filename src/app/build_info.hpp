#pragma once

#include <string_view>

namespace hello::app {

// The identity of this binary, fixed at build time (see cmake/build_info.cmake).
struct BuildInfo {
  std::string_view name;
  std::string_view version;
  std::string_view git_sha;
  std::string_view build_time;
  std::string_view compiler;
  std::string_view build_type;
  // A deliberate defect for rollback rehearsals ("ready-never", "root-500"); empty in
  // every real build.
  std::string_view fault;
};

BuildInfo build_info() noexcept;

}  // namespace hello::app
