#include "http/response.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include <boost/beast/core/string.hpp>

namespace hello::http {

namespace {

bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_field_value(std::string_view value) noexcept {
  return std::none_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

constexpr std::array<std::string_view, 7> kReserved{"content-length", "transfer-encoding", "connection", "date",
                                                    "content-type",   "x-request-id",      "allow"};

}  // namespace

Response& Response::set_content_type(std::string_view value) {
  if (value.empty() || !is_field_value(value)) {
    throw std::invalid_argument("invalid Content-Type value");
  }
  owned_content_type_.assign(value);
  owns_content_type_ = true;
  return *this;
}

Response& Response::set_header(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_char)) {
    throw std::invalid_argument("invalid header name");
  }
  if (!is_field_value(value)) {
    throw std::invalid_argument("invalid header value");
  }
  for (const std::string_view reserved : kReserved) {
    if (boost::beast::iequals(name, reserved)) {
      throw std::invalid_argument("header set by the framework: " + std::string(name));
    }
  }
  headers_.emplace_back(name, value);
  return *this;
}

}  // namespace hello::http
