#include "observability/emf.hpp"

#include "observability/json.hpp"

namespace hello::observability {

EmfReporter::EmfReporter(const Metrics& metrics, LogSink& sink, std::string environment)
    : metrics_(metrics), sink_(sink), environment_(std::move(environment)), previous_(metrics.totals()) {}

void EmfReporter::report(std::chrono::system_clock::time_point now) {
  const Metrics::Totals current = metrics_.totals();
  Metrics::Totals interval;
  interval.requests = current.requests - previous_.requests;
  interval.client_errors = current.client_errors - previous_.client_errors;
  interval.server_errors = current.server_errors - previous_.server_errors;
  interval.latency = current.latency.minus(previous_.latency);
  previous_ = current;
  sink_.write(format(interval, environment_, now));
}

std::string EmfReporter::format(const Metrics::Totals& interval, std::string_view environment,
                                std::chrono::system_clock::time_point now) {
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  // Latency is only meaningful when something was measured; CloudWatch takes no NaN.
  const bool has_latency = interval.latency.total() > 0;
  std::string out;
  out.reserve(640);
  out.append(R"({"_aws":{"Timestamp":)");
  out.append(std::to_string(millis));
  out.append(R"(,"CloudWatchMetrics":[{"Namespace":")");
  out.append(kNamespace);
  out.append(R"(","Dimensions":[["Service","Environment"]],"Metrics":[)");
  out.append(R"({"Name":"Requests","Unit":"Count"},{"Name":"Errors4xx","Unit":"Count"},)");
  out.append(R"({"Name":"Errors5xx","Unit":"Count"})");
  if (has_latency) {
    out.append(R"(,{"Name":"LatencyP50","Unit":"Milliseconds"},{"Name":"LatencyP99","Unit":"Milliseconds"})");
  }
  out.append(R"(]}]},"msg":"metrics","Service":")");
  out.append(kService);
  out.append(R"(","Environment":)");
  append_json_string(out, environment);
  out.append(R"(,"Requests":)");
  out.append(std::to_string(interval.requests));
  out.append(R"(,"Errors4xx":)");
  out.append(std::to_string(interval.client_errors));
  out.append(R"(,"Errors5xx":)");
  out.append(std::to_string(interval.server_errors));
  if (has_latency) {
    out.append(R"(,"LatencyP50":)");
    append_decimal(out, interval.latency.quantile_ms(0.50), 3);
    out.append(R"(,"LatencyP99":)");
    append_decimal(out, interval.latency.quantile_ms(0.99), 3);
  }
  out.append("}\n");
  return out;
}

}  // namespace hello::observability
