#include "http/request_id.hpp"

#include <array>

namespace hello::http {

namespace {

// splitmix64: a tiny, well-distributed generator, enough for identifiers.
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

// Two hex digits per byte value, so that a byte costs one lookup.
constexpr std::array<std::array<char, 2>, 256> kHexPairs = [] {
  constexpr char kHex[] = "0123456789abcdef";
  std::array<std::array<char, 2>, 256> pairs{};
  for (std::size_t b = 0; b < 256; ++b) {
    pairs[b] = {kHex[b >> 4U], kHex[b & 0xfU]};
  }
  return pairs;
}();

}  // namespace

RequestIdGenerator::RequestIdGenerator(std::uint64_t seed) : state_(seed) {}

std::string_view RequestIdGenerator::next() {
  char* out = text_;
  for (int half = 0; half < 2; ++half) {
    std::uint64_t bits = splitmix64(state_);
    for (int byte = 0; byte < 8; ++byte) {
      const auto& pair = kHexPairs[bits & 0xffU];
      *out++ = pair[0];
      *out++ = pair[1];
      bits >>= 8U;
    }
  }
  return {text_, sizeof text_};
}

}  // namespace hello::http
