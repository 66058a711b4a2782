#include "observability/json.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace hello::observability {

namespace {

// Length of the well-formed UTF-8 sequence at the start of `s`, or 0 if it is not one.
std::size_t utf8_sequence(std::string_view s) noexcept {
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t length = 0;
  std::uint32_t min = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    length = 2;
    min = 0x80;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    min = 0x800;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() < length) {
    return 0;
  }
  std::uint32_t code = b0 & (0x7fU >> length);
  for (std::size_t i = 1; i < length; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xc0U) != 0x80U) {
      return 0;
    }
    code = (code << 6U) | (b & 0x3fU);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
    return 0;
  }
  return length;
}

// Bytes that can be copied as they are: printable ASCII but the quote and the backslash.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) {
    plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  }
  return plain;
}();

// Whether the eight bytes at `p` are all plain, tested as one 64-bit word: "some byte is
// zero" is (v - 0x01..01) & ~v & 0x80..80, exact as to whether there is one, and a byte
// equal to c is a zero byte of v ^ (c repeated); "some byte below n" is the same test
// against n (exact for n <= 0x80). Bytes from 0x80 up have their high bit set.
bool plain_word(const char* p) noexcept {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  constexpr std::uint64_t kOnes = 0x0101010101010101U;
  constexpr std::uint64_t kHigh = 0x8080808080808080U;
  const auto has_zero = [](std::uint64_t w) { return (w - kOnes) & ~w & kHigh; };
  const std::uint64_t special = ((v - kOnes * 0x20U) & ~v & kHigh)  // a control byte
                                | has_zero(v ^ (kOnes * '"')) | has_zero(v ^ (kOnes * '\\')) |
                                has_zero(v ^ (kOnes * 0x7fU)) | (v & kHigh);
  return special == 0;
}

}  // namespace

char* write_json_string(char* out, std::string_view value) noexcept {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto put = [&out](std::string_view text) { out = std::copy(text.begin(), text.end(), out); };
  // Most values (paths, ids, addresses) need no escaping: find out with a tight scan and
  // copy them in one piece.
  std::size_t i = 0;
  while (i + 8 <= value.size() && plain_word(value.data() + i)) {
    i += 8;
  }
  while (i < value.size() && kPlain[static_cast<unsigned char>(value[i])]) {
    ++i;
  }
  *out++ = '"';
  if (i == value.size()) {
    put(value);
    *out++ = '"';
    return out;
  }
  std::size_t plain_start = 0;
  const auto flush_plain = [&] { put(value.substr(plain_start, i - plain_start)); };
  while (i < value.size()) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (kPlain[c]) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(value.substr(i));
      if (n > 0) {
        i += n;
        continue;
      }
    }
    flush_plain();
    switch (c) {
      case '"':
        put("\\\"");
        break;
      case '\\':
        put("\\\\");
        break;
      case '\n':
        put("\\n");
        break;
      case '\r':
        put("\\r");
        break;
      case '\t':
        put("\\t");
        break;
      default:
        if (c < 0x80) {
          put("\\u00");
          *out++ = kHex[c >> 4U];
          *out++ = kHex[c & 0xfU];
        } else {
          put("\\ufffd");  // a byte that is not UTF-8: the replacement character
        }
        break;
    }
    ++i;
    plain_start = i;
  }
  flush_plain();
  *out++ = '"';
  return out;
}

void append_json_string(std::string& out, std::string_view value) {
  const std::size_t old_size = out.size();
  out.resize(old_size + json_string_bound(value.size()));
  char* const end = write_json_string(out.data() + old_size, value);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

void append_decimal(std::string& out, double value, int decimals) {
  if (!std::isfinite(value)) {
    out.push_back('0');
    return;
  }
  char text[64];
  const auto result = std::to_chars(text, text + sizeof text, value, std::chars_format::fixed, decimals);
  std::string_view s(text, static_cast<std::size_t>(result.ptr - text));
  if (s.find('.') != std::string_view::npos) {
    while (s.back() == '0') {
      s.remove_suffix(1);
    }
    if (s.back() == '.') {
      s.remove_suffix(1);
    }
  }
  out.append(s);
}

}  // namespace hello::observability
