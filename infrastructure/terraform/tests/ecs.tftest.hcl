# The ecs module: the task definition from the one template, the service's security and
# ownership settings, every deployment strategy, capacity providers and auto scaling.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  cluster_name          = "hello-service-test"
  task_family           = "hello-service-test"
  image                 = "123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service-test:1.2.3"
  vpc_id                = "vpc-0123456789abcdef0"
  private_subnet_ids    = ["subnet-private-a", "subnet-private-b"]
  alb_security_group_id = "sg-alb"
  target_group_arns = {
    blue  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/hello-service-test-blue/1"
    green = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/hello-service-test-green/2"
  }
  target_group_names      = { blue = "hello-service-test-blue", green = "hello-service-test-green" }
  production_listener_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/hello-service-test/1/1"
  test_listener_arn       = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/hello-service-test/1/2"
  execution_role_arn      = "arn:aws:iam::123456789012:role/hello-service-test-execution"
  task_role_arn           = "arn:aws:iam::123456789012:role/hello-service-test-task"
  codedeploy_role_arn     = "arn:aws:iam::123456789012:role/hello-service-test-codedeploy"
  log_group_name          = "/ecs/hello-service-test"
  app_env                 = "test"
  alb_resource_label      = "app/hello-service-test/1/targetgroup/hello-service-test-blue/1"
  deployment_alarm_names  = ["hello-service-test-5xx-rate", "hello-service-test-latency-p99"]
  timing = {
    drain_delay_s                         = 15
    shutdown_timeout_s                    = 25
    stop_timeout_s                        = 30
    idle_timeout_s                        = 75
    health_check_grace_period_s           = 30
    container_health_check_interval_s     = 10
    container_health_check_timeout_s      = 3
    container_health_check_retries        = 3
    container_health_check_start_period_s = 5
  }
}

run "defaults_rolling" {
  command = apply
  module {
    source = "./modules/ecs"
  }

  assert {
    condition = (aws_ecs_task_definition.this.cpu == "256" && aws_ecs_task_definition.this.memory == "512" &&
      aws_ecs_task_definition.this.network_mode == "awsvpc" && aws_ecs_task_definition.this.requires_compatibilities == toset(["FARGATE"]) &&
    aws_ecs_task_definition.this.runtime_platform[0].cpu_architecture == "X86_64")
    error_message = "A 0.25 vCPU / 512 MiB Fargate task on X86_64 by default."
  }
  assert {
    condition     = aws_ecs_task_definition.this.execution_role_arn == var.execution_role_arn && aws_ecs_task_definition.this.task_role_arn == var.task_role_arn
    error_message = "Separate execution and task roles."
  }
  assert {
    condition     = aws_ecs_service.rolling[0].desired_count == 2 && length(aws_ecs_service.codedeploy) == 0
    error_message = "Two tasks by default, in an ECS-controlled service."
  }
  assert {
    condition     = aws_ecs_service.rolling[0].network_configuration[0].assign_public_ip == false && aws_ecs_service.rolling[0].network_configuration[0].subnets == toset(var.private_subnet_ids)
    error_message = "Tasks run in the private subnets without public IPs."
  }
  assert {
    condition     = aws_ecs_service.rolling[0].network_configuration[0].security_groups == toset([aws_security_group.tasks.id])
    error_message = "Tasks carry only their own security group."
  }
  assert {
    condition = (aws_vpc_security_group_ingress_rule.from_alb.referenced_security_group_id == "sg-alb" &&
      aws_vpc_security_group_ingress_rule.from_alb.from_port == 5000 && aws_vpc_security_group_ingress_rule.from_alb.to_port == 5000 &&
    aws_vpc_security_group_ingress_rule.from_alb.cidr_ipv4 == null && aws_vpc_security_group_ingress_rule.from_alb.security_group_id == aws_security_group.tasks.id)
    error_message = "Task ingress: only the ALB's group, only port 5000, no CIDR."
  }
  assert {
    condition     = aws_vpc_security_group_egress_rule.https.from_port == 443 && aws_vpc_security_group_egress_rule.https.to_port == 443
    error_message = "Tasks may only open HTTPS connections (ECR, S3, CloudWatch Logs)."
  }
  assert {
    condition     = aws_ecs_service.rolling[0].force_new_deployment
    error_message = "force_new_deployment: provider 5.x then changes the capacity provider strategy in place (a new deployment) instead of replacing the service."
  }
  assert {
    condition     = aws_ecs_task_definition.this.skip_destroy
    error_message = "A new task definition revision leaves the previous one ACTIVE (skip_destroy): a rollback to it must find it."
  }
  assert {
    condition     = aws_security_group.tasks.name_prefix == "hello-service-test-tasks-"
    error_message = "The tasks' security group is named from a prefix, so a replacement can be created before the old one is deleted."
  }
  assert {
    condition = (output.network_configuration == { subnets = var.private_subnet_ids, security_groups = [aws_security_group.tasks.id], assign_public_ip = false } &&
    output.capacity_provider_strategy == [{ capacity_provider = "FARGATE", weight = 1, base = 1 }])
    error_message = "The outputs carry the service's network configuration and capacity provider strategy (for a CodeDeploy AppSpec)."
  }
  assert {
    condition = (aws_ecs_service.rolling[0].deployment_minimum_healthy_percent == 100 && aws_ecs_service.rolling[0].deployment_maximum_percent == 200 &&
      aws_ecs_service.rolling[0].deployment_circuit_breaker[0].enable && aws_ecs_service.rolling[0].deployment_circuit_breaker[0].rollback &&
    aws_ecs_service.rolling[0].deployment_controller[0].type == "ECS")
    error_message = "Rolling: 100 % minimum healthy, 200 % maximum, circuit breaker with rollback."
  }
  assert {
    condition = (aws_ecs_service.rolling[0].alarms[0].enable && aws_ecs_service.rolling[0].alarms[0].rollback &&
    aws_ecs_service.rolling[0].alarms[0].alarm_names == toset(var.deployment_alarm_names))
    error_message = "Rolling: the deployment alarms roll back."
  }
  assert {
    condition     = aws_ecs_service.rolling[0].health_check_grace_period_seconds == 30 && !aws_ecs_service.rolling[0].enable_execute_command
    error_message = "Grace period from the timing budget; ECS Exec off."
  }
  assert {
    condition     = [for lb in aws_ecs_service.rolling[0].load_balancer : "${lb.target_group_arn} ${lb.container_name}:${lb.container_port}"] == ["${var.target_group_arns["blue"]} hello-service:5000"]
    error_message = "The service registers its container's port 5000 in the blue target group."
  }
  assert {
    condition     = [for s in aws_ecs_cluster.this.setting : s.value if s.name == "containerInsights"] == ["enabled"]
    error_message = "Container Insights is on."
  }
  assert {
    condition     = [for s in aws_ecs_service.rolling[0].capacity_provider_strategy : "${s.capacity_provider}:${s.weight}:${s.base}"] == ["FARGATE:1:1"]
    error_message = "By default every task runs on regular Fargate."
  }
  assert {
    condition     = aws_ecs_cluster_capacity_providers.this.capacity_providers == toset(["FARGATE", "FARGATE_SPOT"])
    error_message = "The cluster offers FARGATE and FARGATE_SPOT."
  }
  assert {
    condition     = length(aws_codedeploy_app.this) == 0 && length(aws_codedeploy_deployment_group.this) == 0
    error_message = "Rolling: no CodeDeploy."
  }
}

run "container_definition_from_the_template" {
  command = apply
  module {
    source = "./modules/ecs"
  }

  assert {
    condition     = length(jsondecode(aws_ecs_task_definition.this.container_definitions)) == 1
    error_message = "One container."
  }
  assert {
    condition = (jsondecode(aws_ecs_task_definition.this.container_definitions)[0].image == var.image &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].name == "hello-service" &&
    jsondecode(aws_ecs_task_definition.this.container_definitions)[0].portMappings[0].containerPort == 5000)
    error_message = "Image, name and port 5000."
  }
  assert {
    condition = (jsondecode(aws_ecs_task_definition.this.container_definitions)[0].user == "65532:65532" &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem == true &&
    jsondecode(aws_ecs_task_definition.this.container_definitions)[0].linuxParameters.capabilities.drop == ["ALL"])
    error_message = "Non-root user 65532, read-only root file system, every capability dropped."
  }
  assert {
    condition = (jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.command == ["CMD", "/hello-service", "healthcheck"] &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.interval == 10 &&
    jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.startPeriod == 5)
    error_message = "The image's own health check command with the budget's timings."
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].stopTimeout == 30
    error_message = "stopTimeout from the timing budget."
  }
  assert {
    condition = ({ for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.name => e.value } == {
      APP_ENV       = "test", PORT = "5000", LOG_LEVEL = "info", LOG_FORMAT = "json", WORKERS = "1", IDLE_TIMEOUT_S = "75",
      DRAIN_DELAY_S = "15", SHUTDOWN_TIMEOUT_S = "25", EMF_INTERVAL_S = "60"
    })
    error_message = "The service's environment: settings and the timing budget (one worker for 0.25 vCPU)."
  }
  assert {
    condition = (jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.logDriver == "awslogs" &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-group"] == "/ecs/hello-service-test" &&
    jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-region"] == "us-east-1")
    error_message = "awslogs to the service's log group in the region."
  }
  assert {
    condition     = templatefile("./modules/ecs/templates/container-definitions.json.tftpl", merge(output.container_template_values, { image = var.image })) == aws_ecs_task_definition.this.container_definitions
    error_message = "The template rendered with output container_template_values and an image gives exactly Terraform's container definitions (what the deploy workflow relies on)."
  }
}

run "blue_green" {
  command = apply
  module {
    source = "./modules/ecs"
  }
  variables {
    deployment_strategy = "blue_green"
  }

  assert {
    condition     = length(aws_ecs_service.rolling) == 0 && aws_ecs_service.codedeploy[0].deployment_controller[0].type == "CODE_DEPLOY"
    error_message = "blue_green: a CodeDeploy-controlled service."
  }
  assert {
    condition     = aws_codedeploy_app.this[0].compute_platform == "ECS" && aws_codedeploy_deployment_group.this[0].deployment_config_name == "CodeDeployDefault.ECSAllAtOnce"
    error_message = "blue_green: all traffic moves at once."
  }
  assert {
    condition = (aws_codedeploy_deployment_group.this[0].deployment_style[0].deployment_type == "BLUE_GREEN" &&
    aws_codedeploy_deployment_group.this[0].deployment_style[0].deployment_option == "WITH_TRAFFIC_CONTROL")
    error_message = "A blue/green deployment with traffic control."
  }
  assert {
    condition = (aws_codedeploy_deployment_group.this[0].auto_rollback_configuration[0].enabled &&
    aws_codedeploy_deployment_group.this[0].auto_rollback_configuration[0].events == toset(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]))
    error_message = "Automatic rollback on failure and on the alarms."
  }
  assert {
    condition = (aws_codedeploy_deployment_group.this[0].alarm_configuration[0].enabled &&
    aws_codedeploy_deployment_group.this[0].alarm_configuration[0].alarms == toset(var.deployment_alarm_names))
    error_message = "The deployment alarms stop a deployment."
  }
  assert {
    condition = (toset([for tg in aws_codedeploy_deployment_group.this[0].load_balancer_info[0].target_group_pair_info[0].target_group : tg.name]) == toset(["hello-service-test-blue", "hello-service-test-green"]) &&
      aws_codedeploy_deployment_group.this[0].load_balancer_info[0].target_group_pair_info[0].prod_traffic_route[0].listener_arns == toset([var.production_listener_arn]) &&
    aws_codedeploy_deployment_group.this[0].load_balancer_info[0].target_group_pair_info[0].test_traffic_route[0].listener_arns == toset([var.test_listener_arn]))
    error_message = "Two target groups, a production and a test listener."
  }
  assert {
    condition     = aws_codedeploy_deployment_group.this[0].blue_green_deployment_config[0].terminate_blue_instances_on_deployment_success[0].termination_wait_time_in_minutes == 5
    error_message = "The old task set stays 5 minutes for a quick rollback."
  }
  assert {
    condition = (aws_codedeploy_deployment_group.this[0].blue_green_deployment_config[0].deployment_ready_option[0].action_on_timeout == "STOP_DEPLOYMENT" &&
    aws_codedeploy_deployment_group.this[0].blue_green_deployment_config[0].deployment_ready_option[0].wait_time_in_minutes == 15)
    error_message = "The replacement waits behind the test listener for the pipeline's ContinueDeployment (15 minutes), then stops and rolls back."
  }
  assert {
    condition     = terraform_data.deployment_controller.triggers_replace == "CODE_DEPLOY"
    error_message = "The services' replacement trigger follows the deployment controller."
  }
  assert {
    condition     = aws_ecs_service.codedeploy[0].network_configuration[0].assign_public_ip == false
    error_message = "CodeDeploy strategies keep tasks private too."
  }
  assert {
    condition     = length(aws_appautoscaling_policy.requests) == 0 && length(aws_appautoscaling_policy.cpu) == 1
    error_message = "CodeDeploy strategies scale on CPU only (requests per target follow one target group)."
  }
}

run "canary" {
  command = plan
  module {
    source = "./modules/ecs"
  }
  variables {
    deployment_strategy = "canary"
  }

  assert {
    condition     = aws_codedeploy_deployment_group.this[0].deployment_config_name == "CodeDeployDefault.ECSCanary10Percent5Minutes" && output.deployment_config_name == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    error_message = "canary: 10 % for 5 minutes, then the rest."
  }
  assert {
    condition     = aws_ecs_service.codedeploy[0].deployment_controller[0].type == "CODE_DEPLOY" && length(aws_ecs_service.rolling) == 0
    error_message = "canary goes through CodeDeploy."
  }
}

run "linear" {
  command = plan
  module {
    source = "./modules/ecs"
  }
  variables {
    deployment_strategy = "linear"
  }

  assert {
    condition     = aws_codedeploy_deployment_group.this[0].deployment_config_name == "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
    error_message = "linear: 10 % more every minute."
  }
  assert {
    condition     = aws_codedeploy_deployment_group.this[0].auto_rollback_configuration[0].enabled
    error_message = "linear rolls back automatically."
  }
}

run "autoscaling" {
  command = apply
  module {
    source = "./modules/ecs"
  }

  variables {
    autoscaling = { requests_per_target = 600 }
  }

  assert {
    condition = (aws_appautoscaling_target.this[0].min_capacity == 1 && aws_appautoscaling_target.this[0].max_capacity == 4 &&
    aws_appautoscaling_target.this[0].resource_id == "service/hello-service-test/hello-service")
    error_message = "Auto scaling between 1 and 4 tasks of this service."
  }
  assert {
    condition = (aws_appautoscaling_policy.cpu[0].target_tracking_scaling_policy_configuration[0].target_value == 70 &&
      aws_appautoscaling_policy.cpu[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization" &&
      aws_appautoscaling_policy.cpu[0].target_tracking_scaling_policy_configuration[0].scale_in_cooldown == 300 &&
    aws_appautoscaling_policy.cpu[0].target_tracking_scaling_policy_configuration[0].scale_out_cooldown == 60)
    error_message = "Target tracking on CPU at 70 % with cooldowns."
  }
  assert {
    condition = (aws_appautoscaling_policy.requests[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ALBRequestCountPerTarget" &&
    aws_appautoscaling_policy.requests[0].target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].resource_label == var.alb_resource_label)
    error_message = "A requests-per-target policy on the blue target group."
  }
}

run "arm64_larger_task_no_autoscaling" {
  command = apply
  module {
    source = "./modules/ecs"
  }
  variables {
    cpu_architecture          = "ARM64"
    cpu                       = 2048
    memory                    = 4096
    capacity_provider_weights = { fargate = 1, fargate_spot = 0, base = 1 }
    autoscaling               = { enabled = false }
  }

  assert {
    condition     = aws_ecs_task_definition.this.runtime_platform[0].cpu_architecture == "ARM64"
    error_message = "cpu_architecture ARM64 reaches the task definition."
  }
  assert {
    condition     = [for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.value if e.name == "WORKERS"] == ["2"]
    error_message = "WORKERS follows the task's vCPUs (2048 units = 2)."
  }
  assert {
    condition     = length(aws_appautoscaling_target.this) == 0 && length(aws_appautoscaling_policy.cpu) == 0
    error_message = "autoscaling.enabled = false creates no scaling resources."
  }
}

run "spot_weights" {
  command = apply
  module {
    source = "./modules/ecs"
  }
  variables {
    capacity_provider_weights = { fargate = 1, fargate_spot = 3, base = 1 }
  }

  assert {
    condition     = toset([for s in aws_ecs_service.rolling[0].capacity_provider_strategy : "${s.capacity_provider}:${s.weight}:${s.base}"]) == toset(["FARGATE:1:1", "FARGATE_SPOT:3:0"])
    error_message = "One task always on Fargate, the rest 1:3 on Spot."
  }
  assert {
    condition     = output.capacity_provider_strategy == [{ capacity_provider = "FARGATE", weight = 1, base = 1 }, { capacity_provider = "FARGATE_SPOT", weight = 3, base = 0 }]
    error_message = "The output strategy lists both providers with their weights and bases."
  }
}

run "codedeploy_without_green_target_group" {
  command = plan
  module {
    source = "./modules/ecs"
  }
  variables {
    deployment_strategy = "canary"
    target_group_names  = { blue = "hello-service-test-blue" }
  }
  expect_failures = [aws_ecs_service.codedeploy]
}

run "requests_policy_without_resource_label" {
  command = plan
  module {
    source = "./modules/ecs"
  }
  variables {
    alb_resource_label = null
    autoscaling        = { requests_per_target = 600 }
  }
  expect_failures = [aws_appautoscaling_policy.requests]
}

run "invalid_target_group_arns" {
  command = plan
  module {
    source = "./modules/ecs"
  }
  variables {
    target_group_arns = { green = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/2" }
  }
  expect_failures = [var.target_group_arns]
}

run "invalid_emf_interval_s" {
  command = plan
  module {
    source = "./modules/ecs"
  }
  variables {
    emf_interval_s = 0
  }
  expect_failures = [var.emf_interval_s]
}

run "invalid_workers" {
  command = plan
  module {
    source = "./modules/ecs"
  }
  variables {
    workers = 0
  }
  expect_failures = [var.workers]
}

run "invalid_blue_termination_wait_minutes" {
  command = plan
  module {
    source = "./modules/ecs"
  }
  variables {
    blue_termination_wait_minutes = -1
  }
  expect_failures = [var.blue_termination_wait_minutes]
}

# Another service's container: its port, liveness check, environment, secrets, command
# and a writable root file system, all in the one template.
run "own_container" {
  command = plan
  module {
    source = "./modules/ecs"
  }
  variables {
    container_port           = 8080
    readonly_root_filesystem = false
    liveness_command         = ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/healthz || exit 1"]
    container_environment    = { FEATURE_X = "on", QUOTE = "a \"b\" <c>" }
    container_secrets = {
      DB_PASSWORD = "arn:aws:ssm:us-east-1:123456789012:parameter/orders/db-password"
      API_KEY     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/api-AbCdEf:key::"
    }
    container_command = ["gunicorn", "-b", "0.0.0.0:8080", "app:app"]
  }

  assert {
    condition = (jsondecode(aws_ecs_task_definition.this.container_definitions)[0].portMappings[0].containerPort == 8080 &&
    [for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.value if e.name == "PORT"] == ["8080"])
    error_message = "The container port is the port mapping and PORT."
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem == false
    error_message = "readonly_root_filesystem = false gives a writable root file system."
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.command == ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/healthz || exit 1"]
    error_message = "The liveness command is the container health check."
  }
  assert {
    condition = ([for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.value if e.name == "FEATURE_X"] == ["on"] &&
      [for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.value if e.name == "QUOTE"] == ["a \"b\" <c>"] &&
    length(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment) == 11)
    error_message = "container_environment comes after the service's nine variables, values intact."
  }
  assert {
    condition = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].secrets == [
      { name = "API_KEY", valueFrom = "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/api-AbCdEf:key::" },
      { name = "DB_PASSWORD", valueFrom = "arn:aws:ssm:us-east-1:123456789012:parameter/orders/db-password" },
    ]
    error_message = "container_secrets become the container's secrets, by name."
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].command == ["gunicorn", "-b", "0.0.0.0:8080", "app:app"]
    error_message = "container_command is the container's command."
  }
}

run "defaults_leave_command_and_secrets_out" {
  command = plan
  module {
    source = "./modules/ecs"
  }

  assert {
    condition = (!contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "command") &&
      !contains(keys(jsondecode(aws_ecs_task_definition.this.container_definitions)[0]), "secrets") &&
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem == true &&
    jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.command == ["CMD", "/hello-service", "healthcheck"])
    error_message = "By default: no command or secrets member (the image's CMD), a read-only root file system, the binary's own health check."
  }
}

run "autoscaling_cpu_only_by_default" {
  command = plan
  module {
    source = "./modules/ecs"
  }

  assert {
    condition     = length(aws_appautoscaling_policy.cpu) == 1 && length(aws_appautoscaling_policy.requests) == 0
    error_message = "By default the service scales on CPU only (requests_per_target = 0)."
  }
}
