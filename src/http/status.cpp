#include "http/status.hpp"

#include <cstdint>
#include <string>

#include <boost/beast/http/status.hpp>

namespace hello::http {

namespace {

constexpr int kFirst = 200;
constexpr int kLast = 599;

// status -> index, for the codes the table can hold (one load per lookup).
struct IndexTable {
  std::array<std::uint8_t, kLast - kFirst + 1> index{};
  constexpr IndexTable() {
    for (auto& i : index) {
      i = static_cast<std::uint8_t>(kStatuses.size());
    }
    for (std::size_t i = 0; i < kStatuses.size(); ++i) {
      index[static_cast<std::size_t>(kStatuses[i] - kFirst)] = static_cast<std::uint8_t>(i);
    }
  }
};
constexpr IndexTable kIndex{};

std::array<std::string, kStatuses.size()> make_lines() {
  std::array<std::string, kStatuses.size()> lines;
  for (std::size_t i = 0; i < kStatuses.size(); ++i) {
    const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(kStatuses[i]));
    lines[i] = "HTTP/1.1 " + std::to_string(kStatuses[i]) + " " + std::string(reason.data(), reason.size()) + "\r\n";
  }
  return lines;
}
const std::array<std::string, kStatuses.size()> kLines = make_lines();

}  // namespace

std::size_t status_index(int status) noexcept {
  if (status < kFirst || status > kLast) {
    return kStatuses.size();
  }
  return kIndex.index[static_cast<std::size_t>(status - kFirst)];
}

std::string_view status_line(int status) noexcept {
  const std::size_t i = status_index(status);
  return i < kStatuses.size() ? std::string_view(kLines[i]) : std::string_view();
}

}  // namespace hello::http
