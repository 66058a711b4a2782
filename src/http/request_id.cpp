#include "http/request_id.hpp"

namespace hello::http {

namespace {

// splitmix64: a tiny, well-distributed generator, enough for identifiers.
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

}  // namespace

RequestIdGenerator::RequestIdGenerator(std::uint64_t seed) : state_(seed) {}

std::string_view RequestIdGenerator::next() {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = splitmix64(state_);
    for (int i = 0; i < 16; ++i) {
      text_[half * 16 + i] = kHex[bits & 0xfU];
      bits >>= 4U;
    }
  }
  return {text_, sizeof text_};
}

}  // namespace hello::http
