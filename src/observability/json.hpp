#pragma once

#include <string>
#include <string_view>

namespace hello::observability {

// Appends `value` as a JSON string literal (quotes included). Control characters and
// bytes that are not valid UTF-8 are escaped, so a hostile path or user agent can never
// break a log line apart or make it invalid JSON.
void append_json_string(std::string& out, std::string_view value);

// Appends a number with up to `decimals` fractional digits, trailing zeros removed.
void append_decimal(std::string& out, double value, int decimals);

}  // namespace hello::observability
