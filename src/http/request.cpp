#include "http/request.hpp"

#include <cctype>

#include <boost/beast/core/string.hpp>

#include "http/text.hpp"

namespace hello::http {

namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

}  // namespace

bool percent_decode(std::string_view text, std::string& out, bool plus_is_space) {
  out.clear();
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return false;
      }
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0 || (high == 0 && low == 0)) {
        return false;
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

std::optional<std::string_view> Request::header(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < field_count; ++i) {
    const FieldRef& f = fields[i];
    if (boost::beast::iequals(std::string_view(field_base + f.name_offset, f.name_size), name)) {
      return std::string_view(field_base + f.value_offset, f.value_size);
    }
  }
  return std::nullopt;
}

std::size_t Request::header_count(std::string_view name) const noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < field_count; ++i) {
    const FieldRef& f = fields[i];
    if (boost::beast::iequals(std::string_view(field_base + f.name_offset, f.name_size), name)) {
      ++n;
    }
  }
  return n;
}

std::string Request::content_type() const {
  const std::string_view value = header("content-type").value_or(std::string_view());
  std::string type(trim_ows(value.substr(0, value.find(';'))));
  for (char& c : type) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return type;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view rest = query;
  std::string decoded;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (!percent_decode(pair.substr(0, eq), decoded, true) || decoded != name) {
      continue;
    }
    const std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!percent_decode(raw, decoded, true)) {
      return std::string(raw);
    }
    return decoded;
  }
  return std::nullopt;
}

}  // namespace hello::http
