#pragma once

#include "http/observer.hpp"
#include "observability/access_log.hpp"
#include "observability/metrics.hpp"

namespace hello::observability {

// What the HTTP layer reports, fanned out to the metrics (always kept: the EMF records
// need them even when /metrics is off) and the access log (null when ACCESS_LOG=off).
class RequestObserver final : public http::Observer {
 public:
  RequestObserver(Metrics& metrics, AccessLog* access_log) : metrics_(metrics), access_log_(access_log) {}

  void on_request_started(std::size_t worker) noexcept override { metrics_.request_started(worker); }
  void on_exchange(std::size_t worker, const http::Exchange& exchange) noexcept override {
    metrics_.record(worker, exchange);
    if (access_log_ != nullptr) {
      access_log_->write(exchange);
    }
  }
  void on_responses_written(std::size_t worker, std::size_t count) noexcept override {
    metrics_.responses_written(worker, count);
  }
  void on_connection_opened(std::size_t worker) noexcept override { metrics_.connection_opened(worker); }
  void on_connection_closed(std::size_t worker) noexcept override { metrics_.connection_closed(worker); }
  void on_connection_rejected(std::size_t worker) noexcept override { metrics_.connection_rejected(worker); }
  void on_buffers_resized(std::size_t worker, std::size_t before, std::size_t after) noexcept override {
    metrics_.buffers_resized(worker, before, after);
  }

 private:
  Metrics& metrics_;
  AccessLog* access_log_;
};

}  // namespace hello::observability
