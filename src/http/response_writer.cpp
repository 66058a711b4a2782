#include "http/response_writer.hpp"

#include <charconv>
#include <cstdio>

#include <boost/beast/http/status.hpp>

#include "http/status.hpp"

namespace hello::http {

namespace {

void append_number(std::string& out, std::size_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, static_cast<std::size_t>(result.ptr - digits));
}

}  // namespace

std::size_t write_response(std::string& out, const Response& response, const ResponseMeta& meta) {
  const int status = response.status();
  // A 204 or 304 has no body, and this writer gives it no Content-Length (RFC 9110, 8.6
  // and 15.4.5); everything else is
  // framed by Content-Length, HEAD included (it announces the GET body's length).
  const bool no_content = status == 204 || status == 304;
  const std::string_view body = response.body();

  if (const std::string_view line = status_line(status); !line.empty()) {
    out.append(line);
  } else {
    // A status outside the table: Beast's reason phrase, or none for a code it does not
    // know (the reason phrase is optional, RFC 9112 4).
    out.append("HTTP/1.1 ");
    append_number(out, static_cast<std::size_t>(status));
    out.push_back(' ');
    namespace bhttp = boost::beast::http;
    if (bhttp::int_to_status(static_cast<unsigned>(status)) != bhttp::status::unknown) {
      out.append(bhttp::obsolete_reason(static_cast<bhttp::status>(status)));
    }
    out.append("\r\n");
  }
  if (!no_content) {
    out.append("Content-Type: ");
    out.append(response.content_type());
    out.append("\r\nContent-Length: ");
    append_number(out, body.size());
    out.append("\r\n");
  }
  out.append("Date: ");
  out.append(meta.date);
  out.append("\r\nX-Content-Type-Options: nosniff\r\nX-Request-Id: ");
  out.append(meta.request_id);
  out.append("\r\n");
  if (response.no_store()) {
    out.append("Cache-Control: no-store\r\n");
  }
  if (!response.allow().empty()) {
    out.append("Allow: ");
    out.append(response.allow());
    out.append("\r\n");
  }
  for (const auto& [name, value] : response.headers()) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
  }
  if (meta.close) {
    out.append("Connection: close\r\n");
  } else if (meta.keep_alive_header) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  if (no_content || meta.head_request) {
    return 0;
  }
  out.append(body);
  return body.size();
}

void write_continue(std::string& out) { out.append("HTTP/1.1 100 Continue\r\n\r\n"); }

std::string_view DateCache::get(std::time_t now) {
  if (now != second_) {
    second_ = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    // The C locale is the process's locale: the program never calls setlocale.
    size_ = std::strftime(text_, sizeof text_, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  }
  return {text_, size_};
}

}  // namespace hello::http
