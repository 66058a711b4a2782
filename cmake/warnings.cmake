# Warnings as an INTERFACE target: our targets link it, third-party headers are untouched.
add_library(hello_warnings INTERFACE)
target_compile_options(hello_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
  -Wformat=2)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(hello_warnings INTERFACE -Wduplicated-cond -Wlogical-op)
endif()
if(HELLO_WARNINGS_AS_ERRORS)
  target_compile_options(hello_warnings INTERFACE -Werror)
endif()
