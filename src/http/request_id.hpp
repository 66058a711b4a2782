#pragma once

#include <cstdint>
#include <string_view>

namespace hello::http {

// Generates request ids for requests that arrive without one: 32 hex digits (128 bits,
// the size of a trace id), unique enough to find one request in the logs. Not for
// security. One generator per worker thread; seeded from std::random_device.
class RequestIdGenerator {
 public:
  explicit RequestIdGenerator(std::uint64_t seed);
  // The returned view stays valid until the next call.
  std::string_view next();

 private:
  std::uint64_t state_;
  char text_[32] = {};
};

}  // namespace hello::http
