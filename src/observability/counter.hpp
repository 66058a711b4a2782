#pragma once

#include <atomic>
#include <cstdint>

namespace hello::observability {

// A counter with exactly one writer thread (its worker) and any number of readers. The
// writer's increment is a plain load and store, not a locked read-modify-write: it
// costs what an ordinary integer does, and readers still never see a torn value.
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

}  // namespace hello::observability
