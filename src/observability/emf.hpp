#pragma once

#include <chrono>
#include <string>

#include "observability/log_sink.hpp"
#include "observability/metrics.hpp"

namespace hello::observability {

// CloudWatch Embedded Metric Format: one JSON record per interval with the interval's
// request count, 4xx and 5xx counts and latency p50/p99, which CloudWatch Logs turns
// into metrics (namespace HelloService, dimensions Service and Environment). Aggregated
// here, so the cost in CloudWatch is one record per interval, not one per request.
class EmfReporter {
 public:
  static constexpr const char* kNamespace = "HelloService";
  static constexpr const char* kService = "hello-service";

  EmfReporter(const Metrics& metrics, LogSink& sink, std::string environment);

  // Writes the record for the requests since the previous call (or since start).
  void report(std::chrono::system_clock::time_point now);

  // The record for one interval's figures (exposed for tests).
  static std::string format(const Metrics::Totals& interval, std::string_view environment,
                            std::chrono::system_clock::time_point now);

 private:
  const Metrics& metrics_;
  LogSink& sink_;
  std::string environment_;
  Metrics::Totals previous_;
};

}  // namespace hello::observability
