# HELLO_SANITIZE applies to every target of the build, third-party code included, so
# that sanitizer runtimes see every allocation and every call.
if(HELLO_SANITIZE)
  add_compile_options(-fsanitize=${HELLO_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${HELLO_SANITIZE})
  if(HELLO_SANITIZE MATCHES "undefined" AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # UBSan's "function" check (part of "undefined" in C++) puts prologue data before
    # every function, which clang 14 cannot emit for the split functions of a coroutine
    # ("Cannot represent a difference across sections", llvm-project issue 49689). The
    # other UBSan checks stay on.
    add_compile_options(-fno-sanitize=function)
  endif()
  if(HELLO_STATIC)
    message(FATAL_ERROR "HELLO_SANITIZE and HELLO_STATIC do not combine: sanitizers need dynamic runtimes")
  endif()
endif()
