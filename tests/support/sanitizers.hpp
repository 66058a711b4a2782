#pragma once

// Which sanitizer this build carries, for the few tests that cannot run under one of
// them and must say so (GTEST_SKIP with the reason) instead of failing or passing
// vacuously. GCC defines __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__; clang answers
// __has_feature. These are facts of the test's own build, which is also the server's
// (one preset builds both). The macros are for what only the preprocessor can leave out
// (a replaced operator new); code tests the constants.

#if defined(__SANITIZE_ADDRESS__)
#define HELLO_TEST_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HELLO_TEST_ADDRESS_SANITIZER 1
#endif
#endif
#ifndef HELLO_TEST_ADDRESS_SANITIZER
#define HELLO_TEST_ADDRESS_SANITIZER 0
#endif

#if defined(__SANITIZE_THREAD__)
#define HELLO_TEST_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define HELLO_TEST_THREAD_SANITIZER 1
#endif
#endif
#ifndef HELLO_TEST_THREAD_SANITIZER
#define HELLO_TEST_THREAD_SANITIZER 0
#endif

// ThreadSanitizer's runtime defines the global operator new itself, so a test cannot
// replace it there (to count or to fail allocations).
#define HELLO_TEST_CAN_REPLACE_NEW (!HELLO_TEST_THREAD_SANITIZER)

namespace hello::test {

inline constexpr bool kAddressSanitizer = HELLO_TEST_ADDRESS_SANITIZER;
inline constexpr bool kThreadSanitizer = HELLO_TEST_THREAD_SANITIZER;
inline constexpr bool kCanReplaceOperatorNew = HELLO_TEST_CAN_REPLACE_NEW;

}  // namespace hello::test
