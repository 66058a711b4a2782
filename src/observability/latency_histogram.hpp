#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "observability/counter.hpp"

namespace hello::observability {

// Log-linear buckets over microseconds: exact below 16 us, then 8 buckets per power of
// two (at most 12.5 % apart) up to about 19 hours. Enough to report p50 and p99 to
// CloudWatch without keeping every sample.
struct LatencyBuckets {
  static constexpr std::size_t kLinear = 16;
  static constexpr std::size_t kSubBuckets = 8;
  static constexpr std::size_t kOctaves = 33;  // 2^4 .. 2^36 us
  static constexpr std::size_t kCount = kLinear + kOctaves * kSubBuckets;

  static std::size_t index(std::uint64_t micros) noexcept;
  // The largest value a bucket holds (inclusive), in microseconds.
  static std::uint64_t upper_bound(std::size_t index) noexcept;
};

// One worker's counts (single writer).
class LatencyHistogram {
 public:
  void record(std::chrono::nanoseconds duration) noexcept {
    const auto micros =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
    buckets_[LatencyBuckets::index(micros)].add();
  }
  std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i].get(); }

 private:
  std::array<Counter, LatencyBuckets::kCount> buckets_{};
};

// Plain counts, summed over workers and diffed over an interval.
struct LatencyCounts {
  std::array<std::uint64_t, LatencyBuckets::kCount> buckets{};

  void add(const LatencyHistogram& h) noexcept;
  LatencyCounts minus(const LatencyCounts& earlier) const noexcept;
  std::uint64_t total() const noexcept;
  // The value at quantile q (0 < q <= 1) in milliseconds: the upper bound of the bucket
  // holding that rank, so the figure is never optimistic. Zero when there are no samples.
  double quantile_ms(double q) const noexcept;
};

}  // namespace hello::observability
