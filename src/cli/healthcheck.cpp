#include <chrono>
#include <cstdio>

#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "platform/http_client.hpp"

namespace hello::cli {

// The container's HEALTHCHECK: the image has no shell and no curl, so the binary asks
// itself. Exit 0 only on a 200.
int healthcheck(const std::vector<std::string>& args, const platform::Environment& env) {
  std::string error;
  const auto options = Options::parse(args, {"port", "path", "host", "timeout-ms"}, error);
  if (!options) {
    std::fprintf(stderr, "hello-service healthcheck: %s\n", error.c_str());
    return kExitUsage;
  }
  // The port the server was told to use, unless the caller says otherwise.
  long long default_port = 5000;
  if (const auto port = env("PORT")) {
    try {
      const long long p = std::stoll(*port);
      if (p > 0 && p <= 65535) {
        default_port = p;
      }
    } catch (const std::exception&) {
    }
  }
  const auto port = options->integer("port", default_port, 1, 65535, error);
  const auto timeout_ms = options->integer("timeout-ms", 2000, 1, 600000, error);
  if (!port || !timeout_ms) {
    std::fprintf(stderr, "hello-service healthcheck: %s\n", error.c_str());
    return kExitUsage;
  }
  // The address the server was told to listen on (HOST), as a local client reaches it,
  // unless the caller says otherwise: probing 127.0.0.1 while the service listens on
  // another address would fail every check, and the orchestrator would replace a
  // healthy task.
  std::string host = "127.0.0.1";
  if (const auto option = options->get("host")) {
    host = *option;
  } else if (const auto listen = env("HOST")) {
    const auto local = platform::local_address_for(*listen);
    if (!local) {
      std::fprintf(stderr, "hello-service healthcheck: HOST=\"%s\" is not an IP address\n", listen->c_str());
      return kExitUsage;
    }
    host = *local;
  }
  std::string path = options->get("path").value_or("/health");
  if (path.empty() || path.front() != '/') {
    std::fprintf(stderr, "hello-service healthcheck: --path must start with '/'\n");
    return kExitUsage;
  }
  platform::Url url;
  url.host = host;
  url.port = std::to_string(*port);
  url.target = path;
  const std::string shown =
      "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + url.port + path;

  const auto started = std::chrono::steady_clock::now();
  const auto answer = platform::http_get(url, std::chrono::milliseconds{*timeout_ms});
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  if (!answer) {
    std::fprintf(stderr, "unhealthy: %s\n", answer.error().c_str());
    return kExitFailure;
  }
  if (answer.value().status != 200) {
    std::fprintf(stderr, "unhealthy: %s answered %d in %lld ms\n", shown.c_str(), answer.value().status,
                 static_cast<long long>(ms));
    return kExitFailure;
  }
  std::printf("healthy: %s answered 200 in %lld ms\n", shown.c_str(), static_cast<long long>(ms));
  return kExitOk;
}

}  // namespace hello::cli
