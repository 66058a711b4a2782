#include "observability/latency_histogram.hpp"

#include <bit>
#include <cmath>

namespace hello::observability {

std::size_t LatencyBuckets::index(std::uint64_t micros) noexcept {
  if (micros < kLinear) {
    return static_cast<std::size_t>(micros);
  }
  const auto exponent = static_cast<std::size_t>(std::bit_width(micros) - 1);  // >= 4
  const std::size_t octave = exponent - 4;
  if (octave >= kOctaves) {
    return kCount - 1;
  }
  const auto sub = static_cast<std::size_t>((micros >> (exponent - 3)) & (kSubBuckets - 1));
  return kLinear + octave * kSubBuckets + sub;
}

std::uint64_t LatencyBuckets::upper_bound(std::size_t index) noexcept {
  if (index < kLinear) {
    return index;
  }
  const std::size_t octave = (index - kLinear) / kSubBuckets;
  const std::size_t sub = (index - kLinear) % kSubBuckets;
  const std::size_t exponent = octave + 4;
  const std::uint64_t base = std::uint64_t{1} << exponent;
  const std::uint64_t step = std::uint64_t{1} << (exponent - 3);
  return base + (sub + 1) * step - 1;
}

void LatencyCounts::add(const LatencyHistogram& h) noexcept {
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    buckets[i] += h.bucket(i);
  }
}

LatencyCounts LatencyCounts::minus(const LatencyCounts& earlier) const noexcept {
  LatencyCounts d;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    d.buckets[i] = buckets[i] - earlier.buckets[i];
  }
  return d;
}

std::uint64_t LatencyCounts::total() const noexcept {
  std::uint64_t sum = 0;
  for (const std::uint64_t b : buckets) {
    sum += b;
  }
  return sum;
}

double LatencyCounts::quantile_ms(double q) const noexcept {
  const std::uint64_t n = total();
  if (n == 0) {
    return 0.0;
  }
  // The rank of the sample at quantile q, 1-based (nearest-rank method).
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(n)));
  if (rank == 0) {
    rank = 1;
  }
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    seen += buckets[i];
    if (seen >= rank) {
      return static_cast<double>(LatencyBuckets::upper_bound(i) + 1) / 1000.0;
    }
  }
  return static_cast<double>(LatencyBuckets::upper_bound(buckets.size() - 1)) / 1000.0;
}

}  // namespace hello::observability
