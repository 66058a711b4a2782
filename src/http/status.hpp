#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace hello::http {

// The one table of statuses: the response writer keeps a ready status line for each
// (reason phrases from Beast's table), and the metrics count each apart. A handler may
// answer any other status from 200 to 999: it is written with Beast's reason phrase (or
// none, for a code Beast does not know) and counted as "other".
inline constexpr std::array<int, 30> kStatuses{200, 201, 202, 204, 301, 302, 303, 304, 307, 308,
                                               400, 401, 403, 404, 405, 408, 409, 410, 413, 414,
                                               415, 422, 429, 431, 500, 501, 502, 503, 504, 505};
// The table's statuses and "other".
inline constexpr std::size_t kStatusCount = kStatuses.size() + 1;

// Index into kStatuses, or kStatuses.size() for any other status.
std::size_t status_index(int status) noexcept;

// Whether a handler may answer with this status: a final status with three digits.
constexpr bool is_answerable_status(int status) noexcept { return status >= 200 && status <= 999; }

// "HTTP/1.1 <code> <reason>\r\n" for a status of the table; empty for any other.
std::string_view status_line(int status) noexcept;

}  // namespace hello::http
