# The composition module as another repository calls it: its own image, port, health
# path, liveness check, environment, secrets, command and timing, wired through to the
# task definition, the target group, the execution role and the deploy settings.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  service_name = "orders"
  environment  = "staging"
}

run "defaults_are_ours" {
  command = plan
  module {
    source = "./modules/service"
  }

  assert {
    condition     = jsondecode(output.container_definitions)[0].image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service:0.1.0"
    error_message = "Without container_image the image is the shared repository at image_tag."
  }
  assert {
    condition     = output.timing == jsondecode(file("./timing.json"))
    error_message = "Without timing the budget is timing.json."
  }
}

run "own_service" {
  command = apply
  module {
    source = "./modules/service"
  }
  variables {
    container_image       = "registry.example.com/orders/api:2.4.1"
    container_port        = 8080
    health_check_path     = "/healthz"
    liveness_command      = ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/healthz || exit 1"]
    container_environment = { FEATURE_X = "on" }
    container_secrets     = { DB_PASSWORD = "arn:aws:ssm:us-east-1:123456789012:parameter/orders/db-password" }
    container_command     = ["gunicorn", "-b", "0.0.0.0:8080", "app:app"]

    readonly_root_filesystem = false
    timing                   = { drain_delay_s = 14 }
  }

  assert {
    condition = (jsondecode(output.container_definitions)[0].image == "registry.example.com/orders/api:2.4.1" &&
      jsondecode(output.container_definitions)[0].portMappings[0].containerPort == 8080 &&
    jsondecode(output.container_definitions)[0].readonlyRootFilesystem == false)
    error_message = "The caller's image, port and root file system setting reach the task definition."
  }
  assert {
    condition     = output.deploy_settings.container_port == 8080 && output.deploy_settings.container_template_values.container_port == 8080
    error_message = "The deploy settings carry the caller's port, for the pipeline's renderer."
  }
  assert {
    condition     = alltrue([for v in values(output.deploy_settings.container_template_values) : can(tostring(v))])
    error_message = "Every template value is a string, number or boolean (what scripts/lib/settings.sh accepts)."
  }
  assert {
    condition     = output.timing.drain_delay_s == 14 && output.timing.stop_timeout_s == jsondecode(file("./timing.json")).stop_timeout_s && output.container_template_values.drain_delay_s == 14
    error_message = "The caller's timing replaces timing.json's values and reaches the container."
  }
}

run "invalid_container_image_latest" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_image = "registry.example.com/orders/api:latest"
  }
  expect_failures = [var.container_image]
}

run "invalid_container_image_without_version" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_image = "registry.example.com/orders/api"
  }
  expect_failures = [var.container_image]
}

run "invalid_container_port" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_port = 80
  }
  expect_failures = [var.container_port]
}

run "invalid_health_check_path" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    health_check_path = "healthz?x=1"
  }
  expect_failures = [var.health_check_path]
}

run "invalid_timing_key" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    timing = { drain_s = 5 }
  }
  expect_failures = [var.timing]
}
