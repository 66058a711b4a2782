#include "platform/ecs_metadata.hpp"

#include <nlohmann/json.hpp>

#include "platform/http_client.hpp"

namespace hello::platform {

namespace {

std::string text(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return {};
  }
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

Result<TaskMetadata> parse_task_metadata(std::string_view task_json, std::string_view container_json) {
  const auto task = nlohmann::json::parse(task_json, nullptr, /*allow_exceptions=*/false);
  const auto container = nlohmann::json::parse(container_json, nullptr, /*allow_exceptions=*/false);
  if (task.is_discarded() || !task.is_object()) {
    return Result<TaskMetadata>::failure("task metadata is not a JSON object");
  }
  if (container.is_discarded() || !container.is_object()) {
    return Result<TaskMetadata>::failure("container metadata is not a JSON object");
  }
  TaskMetadata m;
  m.task_arn = text(task, "TaskARN");
  m.cluster = text(task, "Cluster");
  m.family = text(task, "Family");
  m.revision = text(task, "Revision");
  m.availability_zone = text(task, "AvailabilityZone");
  m.launch_type = text(task, "LaunchType");
  m.container_name = text(container, "Name");
  m.image = text(container, "Image");
  m.image_digest = text(container, "ImageID");
  if (m.task_arn.empty()) {
    return Result<TaskMetadata>::failure("task metadata has no TaskARN");
  }
  return m;
}

Result<TaskMetadata> fetch_task_metadata(const std::string& base_uri, std::chrono::milliseconds timeout) {
  auto base = parse_url(base_uri);
  if (!base) {
    return Result<TaskMetadata>::failure("ECS_CONTAINER_METADATA_URI_V4: " + base.error());
  }
  const auto started = std::chrono::steady_clock::now();
  const auto remaining = [&] {
    const auto spent =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return std::max(std::chrono::milliseconds{1}, timeout - spent);
  };
  Url container_url = base.value();
  Url task_url = base.value();
  if (task_url.target.empty() || task_url.target.back() != '/') {
    task_url.target += '/';
  }
  task_url.target += "task";

  auto container = http_get(container_url, remaining());
  if (!container) {
    return Result<TaskMetadata>::failure(container.error());
  }
  auto task = http_get(task_url, remaining());
  if (!task) {
    return Result<TaskMetadata>::failure(task.error());
  }
  if (container.value().status != 200 || task.value().status != 200) {
    return Result<TaskMetadata>::failure("metadata endpoint answered " + std::to_string(container.value().status) +
                                         " and " + std::to_string(task.value().status));
  }
  return parse_task_metadata(task.value().body, container.value().body);
}

TaskMetadataFetch::TaskMetadataFetch(std::string base_uri, std::chrono::milliseconds timeout, Done done)
    : thread_(
          [uri = std::move(base_uri), timeout, done = std::move(done)] { done(fetch_task_metadata(uri, timeout)); }) {}

}  // namespace hello::platform
