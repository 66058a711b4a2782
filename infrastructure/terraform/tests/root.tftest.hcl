# The root module: how the modules are wired, with the seed's defaults, each deployment
# strategy, each network profile, per-environment timing overrides, and the validation of
# its own inputs (the provider's region and endpoint). Every other input goes to
# modules/service unchanged, which checks it (service.tftest.hcl): `terraform test` cannot
# expect a failure of a called module's variable, so that a broken rule reaches a plan of
# this root is shown by the moto run's timing override (infrastructure/tests/moto-e2e).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  environment = "test"
}

run "defaults" {
  command = apply

  assert {
    condition     = output.alb_url == "http://hello-service-test-123.us-east-1.elb.amazonaws.com"
    error_message = "Without a certificate the service is at http://<alb dns name>."
  }
  assert {
    condition     = output.cluster_name == "hello-service-test" && output.service_name == "hello-service" && output.task_family == "hello-service-test"
    error_message = "Names: cluster and family <service>-<environment>, service <service>."
  }
  assert {
    condition = (output.ecr_repository_url == "123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service" &&
    module.service.deploy_settings.ecr_repository_name == "hello-service")
    error_message = "The environment deploys from the shared repository, named after the service by default (an output)."
  }
  assert {
    condition     = module.service.deploy_settings.ecr_repository_url == output.ecr_repository_url
    error_message = "The deploy settings name the shared repository."
  }
  assert {
    condition     = output.log_group_name == "/ecs/hello-service-test" && output.container_template_values.log_group == output.log_group_name
    error_message = "The container logs to the log group the cloudwatch module made."
  }
  assert {
    condition     = output.dashboard_url == "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/hello-service-test"
    error_message = "The dashboard URL is an output."
  }
  assert {
    condition     = output.deployment_strategy == "rolling" && output.codedeploy_app_name == null && output.codedeploy_deployment_group_name == null
    error_message = "Rolling by default, without CodeDeploy."
  }
  assert {
    condition     = output.timing == jsondecode(file("./timing.json"))
    error_message = "Without overrides the budget in force is timing.json."
  }
  assert {
    condition = (output.container_template_values.drain_delay_s == output.timing.drain_delay_s &&
      output.container_template_values.shutdown_timeout_s == output.timing.shutdown_timeout_s &&
      output.container_template_values.stop_timeout_s == output.timing.stop_timeout_s &&
      output.container_template_values.idle_timeout_s == output.timing.idle_timeout_s &&
    output.container_template_values.health_check_interval_s == output.timing.container_health_check_interval_s)
    error_message = "The container gets its timings from the budget."
  }
  assert {
    condition     = output.container_template_values.app_env == "test" && output.container_template_values.container_port == 5000 && output.container_name == "hello-service"
    error_message = "APP_ENV is the environment; the container listens on 5000."
  }
  assert {
    condition     = output.deploy_role_arn == null
    error_message = "No deploy role name, no deploy role."
  }
  assert {
    condition     = output.deploy_settings_parameter == "/hello-service/test/deploy-settings"
    error_message = "The deploy settings are published at /<service>/<environment>/deploy-settings."
  }
  assert {
    condition = (module.service.deploy_settings.container_template_values == output.container_template_values &&
      module.service.deploy_settings.task_family == output.task_family &&
      module.service.deploy_settings.execution_role_arn == output.execution_role_arn &&
    module.service.deploy_settings.deployment_strategy == "rolling")
    error_message = "The deploy settings carry the template values, the family, the roles to pass and the strategy."
  }
  assert {
    condition = (module.service.deploy_settings.service_url == output.alb_url && output.service_url == output.alb_url &&
    module.service.deploy_settings.test_url == null && output.test_url == null)
    error_message = "Plain HTTP: the pipeline verifies the ALB's own URL; rolling has no test URL."
  }
  assert {
    condition = (module.service.deploy_settings.network_configuration == {
      subnets = module.service.private_subnet_ids, security_groups = [module.service.tasks_security_group_id], assign_public_ip = false
    })
    error_message = "The deploy settings carry the service's network configuration (private subnets, the tasks' group, no public IP) for the AppSpec."
  }
  assert {
    condition     = module.service.deploy_settings.capacity_provider_strategy == [{ capacity_provider = "FARGATE", weight = 1, base = 1 }]
    error_message = "The deploy settings carry the service's capacity provider strategy for the AppSpec."
  }
}

run "staging_like" {
  command = apply
  variables {
    network_profile           = "single_nat"
    capacity_provider_weights = { fargate = 1, fargate_spot = 3, base = 1 }
    deploy_role_name          = "hello-service-test-deploy"
    log_retention_days        = 14
  }

  assert {
    condition     = output.deploy_role_arn == "arn:aws:iam::123456789012:role/hello-service-test-deploy"
    error_message = "The deploy role of the bootstrap is looked up and output."
  }
}

run "strategy_blue_green" {
  command = apply
  variables {
    deployment_strategy = "blue_green"
  }

  assert {
    condition     = output.codedeploy_app_name == "hello-service-test" && output.codedeploy_deployment_group_name == "hello-service"
    error_message = "blue_green: a CodeDeploy application and deployment group are wired in."
  }
}

run "strategy_canary" {
  command = apply
  variables {
    deployment_strategy = "canary"
    certificate_arn     = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    domain_name         = "hello.example.com"
  }

  assert {
    condition     = output.codedeploy_app_name == "hello-service-test" && startswith(output.alb_url, "https://")
    error_message = "canary with HTTPS: CodeDeploy wired in, https URL."
  }
  assert {
    condition = (output.service_url == "https://hello.example.com" && output.test_url == "https://hello.example.com:8443" &&
      module.service.deploy_settings.service_url == "https://hello.example.com" &&
    module.service.deploy_settings.test_url == "https://hello.example.com:8443")
    error_message = "With a domain the pipeline verifies https://<domain> (the name the certificate covers), and the test listener under the same name."
  }
  assert {
    condition     = module.service.deploy_settings.capacity_provider_strategy == [{ capacity_provider = "FARGATE", weight = 1, base = 1 }]
    error_message = "CodeDeploy strategies publish the capacity provider strategy for the AppSpec too."
  }
}

run "strategy_blue_green_plain_http_test_url" {
  command = apply
  variables {
    deployment_strategy = "blue_green"
  }

  assert {
    condition     = output.test_url == "http://hello-service-test-123.us-east-1.elb.amazonaws.com:8443" && output.service_url == output.alb_url
    error_message = "Plain HTTP: the test URL is the ALB's own name on the test port."
  }
}

run "strategy_linear" {
  command = apply
  variables {
    deployment_strategy = "linear"
  }

  assert {
    condition     = output.deployment_strategy == "linear" && output.codedeploy_deployment_group_name == "hello-service"
    error_message = "linear: CodeDeploy wired in."
  }
}

run "network_single_nat" {
  command = plan
  variables {
    network_profile = "single_nat"
  }
}

run "network_endpoints_only_three_zones" {
  command = plan
  variables {
    network_profile  = "endpoints_only"
    az_count         = 3
    enable_flow_logs = true
  }
}

run "network_ha_nat_with_endpoints" {
  command = plan
  variables {
    network_profile      = "ha_nat"
    enable_vpc_endpoints = true
  }
}

run "timing_override" {
  command = apply
  variables {
    timing_overrides = { drain_delay_s = 18, alb_deregistration_delay_s = 30 }
  }

  assert {
    condition     = output.timing.drain_delay_s == 18 && output.timing.shutdown_timeout_s == 25 && output.container_template_values.drain_delay_s == 18
    error_message = "An override changes its field only, and reaches the container."
  }
}

run "invalid_aws_region" {
  command = plan
  variables {
    aws_region = "mars"
  }
  expect_failures = [var.aws_region]
}

run "invalid_aws_endpoint_url" {
  command = plan
  variables {
    aws_endpoint_url = "127.0.0.1:5000"
  }
  expect_failures = [var.aws_endpoint_url]
}
