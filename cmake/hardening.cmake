# The release binary: one static-pie executable (ASLR without a dynamic loader), with
# the usual hardening, stripped. The image holds nothing else, so nothing is loaded at run time.
if(HELLO_STATIC)
  add_compile_options(-fPIE -fstack-protector-strong -fstack-clash-protection -D_FORTIFY_SOURCE=2
                      -D_GLIBCXX_ASSERTIONS)
  # Control-flow protection: CET on x86-64, PAC and BTI on arm64.
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    add_compile_options(-fcf-protection)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
    add_compile_options(-mbranch-protection=standard)
  endif()
  add_link_options(-static-pie -Wl,-z,relro,-z,now,-z,noexecstack -s)
endif()
