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

# HTTPS as one input: domain_name and the zone give a DNS-validated certificate, the HTTPS
# listener with the HTTP redirect, the alias record, and https://<domain_name> to verify.
run "domain_with_zone" {
  command = apply
  module {
    source = "./modules/service"
  }
  variables {
    domain_name     = "orders.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }
  override_resource {
    target = aws_acm_certificate.this
    values = {
      arn = "arn:aws:acm:us-east-1:123456789012:certificate/orders"
      domain_validation_options = [{
        domain_name           = "orders.example.com"
        resource_record_name  = "_x1.orders.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_x2.acm-validations.aws."
      }]
    }
  }
  override_resource {
    target = aws_acm_certificate_validation.this
    values = { certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/orders" }
  }

  assert {
    condition     = aws_acm_certificate.this[0].domain_name == "orders.example.com" && aws_acm_certificate.this[0].validation_method == "DNS"
    error_message = "A DNS-validated certificate for domain_name."
  }
  assert {
    condition = (aws_route53_record.certificate_validation[0].zone_id == "Z0123456789ABCDEFGHIJ" &&
      aws_route53_record.certificate_validation[0].name == "_x1.orders.example.com." &&
      aws_route53_record.certificate_validation[0].type == "CNAME" &&
      aws_route53_record.certificate_validation[0].records == toset(["_x2.acm-validations.aws."]) &&
    aws_acm_certificate_validation.this[0].validation_record_fqdns == toset([aws_route53_record.certificate_validation[0].fqdn]))
    error_message = "The validation record ACM asks for, in the zone, and the module waits for the certificate."
  }
  assert {
    condition = (aws_route53_record.alias[0].name == "orders.example.com" && aws_route53_record.alias[0].type == "A" &&
      aws_route53_record.alias[0].alias[0].name == "hello-service-test-123.us-east-1.elb.amazonaws.com" &&
    aws_route53_record.alias[0].alias[0].evaluate_target_health)
    error_message = "An alias record points domain_name at the load balancer."
  }
  assert {
    condition = (output.certificate_arn == "arn:aws:acm:us-east-1:123456789012:certificate/orders" &&
    startswith(output.alb_url, "https://") && output.service_url == "https://orders.example.com" && output.deploy_settings.service_url == "https://orders.example.com")
    error_message = "The listener serves the validated certificate, and the pipeline verifies https://<domain_name>."
  }
}

run "domain_with_own_certificate_no_dns" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    domain_name     = "orders.example.com"
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/mine"
  }

  assert {
    condition     = length(aws_acm_certificate.this) == 0 && length(aws_route53_record.alias) == 0 && output.certificate_arn == "arn:aws:acm:us-east-1:123456789012:certificate/mine"
    error_message = "With a certificate of the caller's and no zone, the module makes no certificate and no record."
  }
}

run "no_domain_no_dns" {
  command = plan
  module {
    source = "./modules/service"
  }

  assert {
    condition     = length(aws_acm_certificate.this) == 0 && length(aws_route53_record.alias) == 0 && output.certificate_arn == null
    error_message = "Without domain_name: no certificate, no record, plain HTTP."
  }
}

run "zone_without_domain_refused" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }
  expect_failures = [var.domain_name]
}

run "domain_without_zone_or_certificate_refused" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    domain_name = "orders.example.com"
  }
  expect_failures = [var.domain_name]
}

# Input validation: every input of the module is checked here, where a caller sets it
# (the modules it composes check only what it does not expose).

# Names: the module's names are <service_name>-<environment> (the load balancer's at most
# 32 characters); every lower module's name comes from these two inputs.

# The longest names the rules allow fit every name AWS limits (the load balancer's, 32).
run "longest_names_fit" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    service_name = "abcdefghijklmnopqrst"
    environment  = "production"
  }

  assert {
    condition     = output.cluster_name == "abcdefghijklmnopqrst-production" && length(output.cluster_name) == 31
    error_message = "A 20-character service and a 10-character environment make a 31-character name, which the load balancer takes."
  }
}

run "invalid_service_name" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    service_name = "Hello"
  }
  expect_failures = [var.service_name]
}

run "invalid_service_name_with_a_space" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    service_name = "hello service"
  }
  expect_failures = [var.service_name]
}

run "invalid_environment" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    environment = "production-eu"
  }
  expect_failures = [var.environment]
}

run "invalid_environment_upper_case" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    environment = "Test"
  }
  expect_failures = [var.environment]
}

run "invalid_image_tag_latest" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    image_tag = "latest"
  }
  expect_failures = [var.image_tag]
}

run "invalid_ecr_repository_name" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    ecr_repository_name = "Hello Service"
  }
  expect_failures = [var.ecr_repository_name]
}

# The container.

run "invalid_liveness_command" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    liveness_command = ["/hello-service", "healthcheck"]
  }
  expect_failures = [var.liveness_command]
}

run "invalid_environment_redefines_port" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_environment = { PORT = "80" }
  }
  expect_failures = [var.container_environment]
}

run "invalid_environment_name" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_environment = { "1X" = "on" }
  }
  expect_failures = [var.container_environment]
}

run "invalid_secret_not_an_arn" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_secrets = { DB_PASSWORD = "/orders/db-password" }
  }
  expect_failures = [var.container_secrets]
}

run "invalid_secret_also_in_environment" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_environment = { TOKEN = "x" }
    container_secrets     = { TOKEN = "arn:aws:ssm:us-east-1:123456789012:parameter/t" }
  }
  expect_failures = [var.container_secrets]
}

run "invalid_empty_command" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_command = []
  }
  expect_failures = [var.container_command]
}

run "invalid_log_level" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    log_level = "verbose"
  }
  expect_failures = [var.log_level]
}

# The task size and where the tasks run.

run "invalid_cpu" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    cpu = 300
  }
  expect_failures = [var.cpu]
}

run "invalid_memory" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    memory = 256
  }
  expect_failures = [var.memory]
}

run "memory_not_a_fargate_size" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    cpu    = 256
    memory = 4096
  }
  expect_failures = [var.memory]
}

run "invalid_cpu_architecture" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    cpu_architecture = "arm64"
  }
  expect_failures = [var.cpu_architecture]
}

run "invalid_desired_count" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    desired_count = 0
  }
  expect_failures = [var.desired_count]
}

run "desired_count_outside_autoscaling_bounds" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    desired_count = 5
  }
  expect_failures = [var.desired_count]
}

run "invalid_capacity_provider_weights" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    capacity_provider_weights = { fargate = 0, fargate_spot = 0, base = 0 }
  }
  expect_failures = [var.capacity_provider_weights]
}

run "arm64_on_spot_refused" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    cpu_architecture          = "ARM64"
    capacity_provider_weights = { fargate = 1, fargate_spot = 3, base = 1 }
  }
  expect_failures = [var.capacity_provider_weights]
}

run "arm64_on_spot_refused_codedeploy" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    deployment_strategy       = "canary"
    cpu_architecture          = "ARM64"
    capacity_provider_weights = { fargate = 0, fargate_spot = 1, base = 0 }
  }
  expect_failures = [var.capacity_provider_weights]
}

run "invalid_autoscaling_bounds" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    autoscaling = { min_capacity = 3, max_capacity = 2 }
  }
  expect_failures = [var.autoscaling]
}

run "invalid_autoscaling_cpu_target" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    autoscaling = { cpu_target_percent = 100 }
  }
  expect_failures = [var.autoscaling]
}

run "invalid_autoscaling_cooldown" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    autoscaling = { scale_in_cooldown = -1 }
  }
  expect_failures = [var.autoscaling]
}

run "invalid_negative_requests_per_target" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    autoscaling = { requests_per_target = -1 }
  }
  expect_failures = [var.autoscaling]
}

run "invalid_container_insights" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    container_insights = "on"
  }
  expect_failures = [var.container_insights]
}

run "invalid_deployment_strategy" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    deployment_strategy = "recreate"
  }
  expect_failures = [var.deployment_strategy]
}

run "execute_command_refused" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    enable_execute_command = true
  }
  expect_failures = [var.enable_execute_command]
}

# The network and the load balancer.

run "invalid_vpc_cidr" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    vpc_cidr = "10.0.0.0"
  }
  expect_failures = [var.vpc_cidr]
}

run "invalid_vpc_cidr_too_small" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    vpc_cidr = "10.0.0.0/24"
  }
  expect_failures = [var.vpc_cidr]
}

run "invalid_az_count" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    az_count = 1
  }
  expect_failures = [var.az_count]
}

run "invalid_network_profile" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    network_profile = "no_nat"
  }
  expect_failures = [var.network_profile]
}

run "invalid_test_listener_cidrs" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    test_listener_cidrs = ["10.0.0.0/33"]
  }
  expect_failures = [var.test_listener_cidrs]
}

run "invalid_alb_access_logs_bucket" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    alb_access_logs_bucket = "s3://orders-logs"
  }
  expect_failures = [var.alb_access_logs_bucket]
}

run "invalid_certificate_arn" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    domain_name     = "orders.example.com"
    certificate_arn = "my-certificate"
  }
  expect_failures = [var.certificate_arn]
}

run "invalid_route53_zone_id" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    domain_name     = "orders.example.com"
    route53_zone_id = "example.com"
  }
  expect_failures = [var.route53_zone_id]
}

run "invalid_domain_name" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    domain_name     = "https://orders.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }
  expect_failures = [var.domain_name]
}

run "certificate_without_domain_refused" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
  }
  expect_failures = [var.domain_name]
}

# Alarms and logs.

run "invalid_log_retention_days_forever" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    log_retention_days = 0
  }
  expect_failures = [var.log_retention_days]
}

run "invalid_alarm_email" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    alarm_email = "oncall"
  }
  expect_failures = [var.alarm_email]
}

run "invalid_alarm_threshold_percent" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    alarm_thresholds = { cpu_percent = 120 }
  }
  expect_failures = [var.alarm_thresholds]
}

run "invalid_alarm_threshold_latency" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    alarm_thresholds = { p99_latency_s = 0 }
  }
  expect_failures = [var.alarm_thresholds]
}

run "invalid_spot_interruptions_period" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    alarm_thresholds = { spot_interruptions_period_s = 90 }
  }
  expect_failures = [var.alarm_thresholds]
}

run "invalid_deploy_role_name_an_arn" {
  command = plan
  module {
    source = "./modules/service"
  }
  variables {
    deploy_role_name = "arn:aws:iam::123456789012:role/orders-staging-deploy"
  }
  expect_failures = [var.deploy_role_name]
}
