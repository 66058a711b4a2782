#include "cli/args.hpp"

#include <charconv>

namespace hello::cli {

std::optional<Options> Options::parse(const std::vector<std::string>& args, const std::set<std::string>& known,
                                      std::string& error) {
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0) {
      error = "unexpected argument \"" + arg + "\"";
      return std::nullopt;
    }
    std::string name = arg.substr(2);
    std::string value;
    if (const std::size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      error = "option --" + name + " needs a value";
      return std::nullopt;
    }
    if (known.count(name) == 0) {
      error = "unknown option --" + name;
      return std::nullopt;
    }
    if (!options.values_.emplace(name, value).second) {
      error = "option --" + name + " given twice";
      return std::nullopt;
    }
  }
  return options;
}

std::optional<std::string> Options::get(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<long long> Options::integer(const std::string& name, long long fallback, long long min, long long max,
                                          std::string& error) const {
  const auto text = get(name);
  if (!text) {
    return fallback;
  }
  long long v = 0;
  const char* end = text->data() + text->size();
  const auto r = std::from_chars(text->data(), end, v);
  if (text->empty() || r.ec != std::errc() || r.ptr != end || v < min || v > max) {
    error = "--" + name + "=\"" + *text + "\": expected an integer from " + std::to_string(min) + " to " +
            std::to_string(max);
    return std::nullopt;
  }
  return v;
}

}  // namespace hello::cli
