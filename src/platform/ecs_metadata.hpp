#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "platform/result.hpp"

namespace hello::platform {

// What the ECS task metadata endpoint (v4) says about the running task.
struct TaskMetadata {
  std::string task_arn;
  std::string cluster;
  std::string family;
  std::string revision;
  std::string availability_zone;
  std::string launch_type;
  std::string container_name;
  std::string image;
  std::string image_digest;
};

// Parses the endpoint's answers: `task_json` from ${URI}/task, `container_json` from
// ${URI} (this container, which carries the image digest).
Result<TaskMetadata> parse_task_metadata(std::string_view task_json, std::string_view container_json);

// Fetches both answers within `timeout` in all.
Result<TaskMetadata> fetch_task_metadata(const std::string& base_uri, std::chrono::milliseconds timeout);

// Fetches the task metadata once, on its own thread, and hands the result to `done` (on
// that thread). The thread is joined when this object goes away, however that happens:
// an exception unwinding the caller included (a std::thread still joinable there would
// call std::terminate).
class TaskMetadataFetch {
 public:
  using Done = std::function<void(Result<TaskMetadata>)>;
  TaskMetadataFetch(std::string base_uri, std::chrono::milliseconds timeout, Done done);

 private:
  std::jthread thread_;
};

// Set once by the start-up fetch (on its own thread), read by /info on any worker.
class TaskMetadataSlot {
 public:
  void set(TaskMetadata metadata) {
    auto value = std::make_shared<const TaskMetadata>(std::move(metadata));
    std::lock_guard lock(mutex_);
    value_ = std::move(value);
  }
  std::shared_ptr<const TaskMetadata> get() const {
    std::lock_guard lock(mutex_);
    return value_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const TaskMetadata> value_;
};

}  // namespace hello::platform
