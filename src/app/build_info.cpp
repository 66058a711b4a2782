#include "app/build_info.hpp"

#include "build_info_values.hpp"

namespace hello::app {

BuildInfo build_info() noexcept {
  return BuildInfo{"hello-service",      generated::kVersion,   generated::kGitSha, generated::kBuildTime,
                   generated::kCompiler, generated::kBuildType, generated::kFault};
}

}  // namespace hello::app
