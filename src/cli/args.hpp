#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace hello::cli {

// "--name value" and "--name=value" options of one subcommand. Unknown options, a
// missing value or a repeated option are errors with one clear message.
class Options {
 public:
  static std::optional<Options> parse(const std::vector<std::string>& args, const std::set<std::string>& known,
                                      std::string& error);

  std::optional<std::string> get(const std::string& name) const;

  // Reads an integer option within [min, max]; on a bad value sets `error`.
  std::optional<long long> integer(const std::string& name, long long fallback, long long min, long long max,
                                   std::string& error) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace hello::cli
