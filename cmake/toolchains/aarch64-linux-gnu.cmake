# Cross-compiling for linux/arm64 (Graviton) with Debian's aarch64 toolchain
# (g++-aarch64-linux-gnu). Header-only dependencies (Boost, nlohmann/json) are the
# host's, which are the same for every architecture; anything with a library comes from
# Debian's arm64 packages installed side by side (multiarch, e.g. libgtest-dev:arm64).
# Test binaries run under qemu-user (qemu-user-static): ctest and gtest_discover_tests
# use CMAKE_CROSSCOMPILING_EMULATOR.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

find_program(HELLO_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(HELLO_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${HELLO_QEMU_AARCH64}" CACHE FILEPATH "Runs aarch64 test binaries")
endif()

# Programs (code generators) are the build machine's; libraries and packages are
# searched in the arm64 multiarch directories first (CMAKE_LIBRARY_ARCHITECTURE).
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
