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

// The most bytes the literal of a value of `size` bytes can take: each byte escaped as
// six ("\u001b", "\ufffd"), and the two quotes.
constexpr std::size_t json_string_bound(std::size_t size) noexcept { return 6 * size + 2; }

// The same literal written at `out`, which has room for json_string_bound(value.size())
// bytes; returns the end of what was written. (For a line whose bound is known up front,
// such as the access log's: no capacity check per piece.)
char* write_json_string(char* out, std::string_view value) noexcept;

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
