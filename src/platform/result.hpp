#pragma once

#include <string>
#include <utility>
#include <variant>

namespace hello::platform {

// A value or a message saying why there is none. For parsing, configuration and I/O
// that can fail for reasons outside the program.
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor): a value is a success
  static Result failure(std::string message) { return Result(Error{std::move(message)}); }

  bool ok() const noexcept { return std::holds_alternative<T>(state_); }
  explicit operator bool() const noexcept { return ok(); }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const std::string& error() const { return std::get<Error>(state_).message; }

 private:
  struct Error {
    std::string message;
  };
  explicit Result(Error error) : state_(std::move(error)) {}
  std::variant<T, Error> state_;
};

}  // namespace hello::platform
