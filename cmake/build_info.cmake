# Build identity baked into the binary (/info, /metrics, `hello-service version`).
# The pipeline passes the values it computed; a local build asks git. The header is
# regenerated on every build but rewritten only when a value changed, so an unchanged
# tree does not recompile anything.
set(HELLO_VERSION "" CACHE STRING "Version to report (default: from git describe)")
set(HELLO_GIT_SHA "" CACHE STRING "Git commit to report (default: from git)")
set(HELLO_BUILD_TIME "" CACHE STRING "Build time, RFC 3339 (default: SOURCE_DATE_EPOCH, else the commit time)")
set(HELLO_FAULT "" CACHE STRING "Deliberate fault for rollback rehearsals: empty, ready-never or root-500")
set_property(CACHE HELLO_FAULT PROPERTY STRINGS "" "ready-never" "root-500")
if(NOT HELLO_FAULT MATCHES "^(|ready-never|root-500)$")
  message(FATAL_ERROR "HELLO_FAULT='${HELLO_FAULT}': allowed are empty, ready-never, root-500")
endif()

set(HELLO_BUILD_INFO_HEADER "${CMAKE_BINARY_DIR}/generated/build_info_values.hpp")
add_custom_target(hello_build_info_header ALL
  BYPRODUCTS "${HELLO_BUILD_INFO_HEADER}"
  COMMAND "${CMAKE_COMMAND}"
    "-DOUTPUT=${HELLO_BUILD_INFO_HEADER}"
    "-DSOURCE_DIR=${CMAKE_SOURCE_DIR}"
    "-DVERSION=${HELLO_VERSION}"
    "-DGIT_SHA=${HELLO_GIT_SHA}"
    "-DBUILD_TIME=${HELLO_BUILD_TIME}"
    "-DFAULT=${HELLO_FAULT}"
    "-DCOMPILER=${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}"
    "-DBUILD_TYPE=${CMAKE_BUILD_TYPE}"
    -P "${CMAKE_SOURCE_DIR}/cmake/write_build_info.cmake"
  COMMENT "Checking build identity"
  VERBATIM)
