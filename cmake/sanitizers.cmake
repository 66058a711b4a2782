# HELLO_SANITIZE applies to every target of the build, third-party code included, so
# that sanitizer runtimes see every allocation and every call.
if(HELLO_SANITIZE)
  add_compile_options(-fsanitize=${HELLO_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${HELLO_SANITIZE})
  if(HELLO_STATIC)
    message(FATAL_ERROR "HELLO_SANITIZE and HELLO_STATIC do not combine: sanitizers need dynamic runtimes")
  endif()
endif()
