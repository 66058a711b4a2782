#pragma once

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

#include "http/response.hpp"

namespace hello::http {

// What the connection adds to every response.
struct ResponseMeta {
  std::string_view date;           // IMF-fixdate
  std::string_view request_id;     // echoed as X-Request-Id
  bool close = false;              // Connection: close, and the connection ends after it
  bool keep_alive_header = false;  // Connection: keep-alive (an HTTP/1.0 client asked for it)
  // The request was HEAD: every header as for GET, and never a body, whatever the status
  // and however early the request was refused (RFC 9110 9.3.2). The one place that
  // decides it is the request's method.
  bool head_request = false;
};

// Appends the serialized response to `out` (one buffer, one write for a whole pipeline
// of responses); returns the number of body bytes written. No per-call allocation once
// `out` has grown to its working size.
std::size_t write_response(std::string& out, const Response& response, const ResponseMeta& meta);

// Appends the interim "100 Continue" (RFC 9110 15.2.1): the client may send the body.
void write_continue(std::string& out);

// The Date header value, formatted once per second (each worker keeps its own).
class DateCache {
 public:
  std::string_view get(std::time_t now);

 private:
  std::time_t second_ = -1;
  char text_[40] = {};
  std::size_t size_ = 0;
};

}  // namespace hello::http
