#pragma once

#include <charconv>
#include <cstddef>
#include <string>
#include <string_view>

namespace hello::observability {

// Appends `value` as a JSON string literal (quotes included). Control characters and
// bytes that are not valid UTF-8 are escaped, so a hostile path or user agent can never
// break a log line apart or make it invalid JSON.
void append_json_string(std::string& out, std::string_view value);

// Appends a number with up to `decimals` fractional digits, trailing zeros removed.
void append_decimal(std::string& out, double value, int decimals);

// Appends an integer in decimal.
template <class Int>
void append_integer(std::string& out, Int value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, static_cast<std::size_t>(result.ptr - digits));
}

}  // namespace hello::observability
