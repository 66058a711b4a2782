data "aws_region" "current" {}

locals {
  codedeploy = var.deployment_strategy != "rolling"

  # Built-in CodeDeploy configurations for ECS: nothing to create, nothing to drift.
  codedeploy_config = {
    blue_green = "CodeDeployDefault.ECSAllAtOnce"
    canary     = "CodeDeployDefault.ECSCanary10Percent5Minutes"
    linear     = "CodeDeployDefault.ECSLinear10PercentEvery1Minutes"
  }

  # Every placeholder of the container definition template. The deploy workflow renders
  # the same template with these values (output container_template_values) and its own
  # image, so a deployed revision differs from Terraform's only in the image.
  template_values = {
    app_env                     = var.app_env
    aws_region                  = data.aws_region.current.name
    container_name              = var.container_name
    container_port              = var.container_port
    drain_delay_s               = var.timing.drain_delay_s
    emf_interval_s              = var.emf_interval_s
    health_check_interval_s     = var.timing.container_health_check_interval_s
    health_check_retries        = var.timing.container_health_check_retries
    health_check_start_period_s = var.timing.container_health_check_start_period_s
    health_check_timeout_s      = var.timing.container_health_check_timeout_s
    idle_timeout_s              = var.timing.idle_timeout_s
    log_group                   = var.log_group_name
    log_level                   = var.log_level
    shutdown_timeout_s          = var.timing.shutdown_timeout_s
    stop_timeout_s              = var.timing.stop_timeout_s
    workers                     = coalesce(var.workers, max(1, floor(var.cpu / 1024)))
    readonly_root_filesystem    = var.readonly_root_filesystem
    health_check_command        = jsonencode(var.liveness_command)
    # JSON text the template takes as it is: more environment entries after the fixed
    # ones (", {...}" or nothing), and the members a container definition may leave out
    # (command, secrets) only when set: ECS stores no empty list for them.
    container_environment = join("", [for k in sort(keys(var.container_environment)) : ", ${jsonencode({ name = k, value = var.container_environment[k] })}"])
    optional_members = join("", concat(
      var.container_command == null ? [] : [" \"command\": ${jsonencode(var.container_command)},"],
      length(var.container_secrets) == 0 ? [] : [" \"secrets\": ${jsonencode([for k in sort(keys(var.container_secrets)) : { name = k, valueFrom = var.container_secrets[k] }])},"],
    ))
  }

  capacity_provider_strategy = [
    for cp in [
      { name = "FARGATE", weight = var.capacity_provider_weights.fargate, base = var.capacity_provider_weights.base },
      { name = "FARGATE_SPOT", weight = var.capacity_provider_weights.fargate_spot, base = 0 },
    ] : cp if cp.weight > 0 || cp.base > 0
  ]

  # The service's awsvpc configuration: Terraform's for the rolling service, and what a
  # CodeDeploy deployment's AppSpec must carry (output network_configuration).
  network_configuration = {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  service_id   = local.codedeploy ? aws_ecs_service.codedeploy[0].id : aws_ecs_service.rolling[0].id
  service_name = local.codedeploy ? aws_ecs_service.codedeploy[0].name : aws_ecs_service.rolling[0].name
}

resource "aws_ecs_cluster" "this" {
  name = var.cluster_name

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  dynamic "default_capacity_provider_strategy" {
    for_each = local.capacity_provider_strategy
    content {
      capacity_provider = default_capacity_provider_strategy.value.name
      weight            = default_capacity_provider_strategy.value.weight
      base              = default_capacity_provider_strategy.value.base
    }
  }
}

# Replaced whenever the deployment controller changes (rolling <-> CodeDeploy). Both
# services depend on it, so a switch deletes the old service (and waits until it is
# INACTIVE) before it creates the new one under the same name: ECS refuses a service
# whose name is still taken by a draining one. See docs/SETUP.md on switching.
resource "terraform_data" "deployment_controller" {
  triggers_replace = local.codedeploy ? "CODE_DEPLOY" : "ECS"
}

# A name prefix and create-before-destroy: a replacement (a new VPC) creates the new group
# before the old one, which running tasks still hold, is deleted.
resource "aws_security_group" "tasks" {
  name_prefix = "${var.cluster_name}-tasks-"
  description = "Tasks of ${var.service_name}: reachable only from the load balancer"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.cluster_name}-tasks" })

  lifecycle {
    create_before_destroy = true
  }
}

# No description on this rule: the AWS emulator used in tests rejects one on rules that
# reference another group (AWS itself accepts it).
resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  security_group_id            = aws_security_group.tasks.id
  referenced_security_group_id = var.alb_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

# HTTPS out: image pulls (ECR, S3) and logs, through the NAT gateway or VPC endpoints.
resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs (ECR, S3, CloudWatch Logs)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.task_family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn

  container_definitions = templatefile("${path.module}/templates/container-definitions.json.tftpl", merge(local.template_values, { image = var.image }))

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # A new revision does not deregister the previous one: the deploy pipeline registers
  # revisions of this family too, and a rollback to Terraform's first revision must find
  # it ACTIVE.
  skip_destroy = true

  tags = var.tags
}

# Rolling deployments by ECS. Terraform creates the service with its own first revision;
# from then on the deploy pipeline owns which revision (image) runs and auto scaling owns
# how many tasks, so Terraform ignores both (see README.md, "Who owns what").
resource "aws_ecs_service" "rolling" {
  count = local.codedeploy ? 0 : 1

  name            = var.service_name
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count

  deployment_controller {
    type = "ECS"
  }
  # Provider 5.x replaces a service whose capacity provider strategy changes unless this
  # is set (AWS itself requires a new deployment for such a change): with it, a change of
  # capacity_provider_weights is an in-place update that rolls the tasks. Every other
  # in-place update of this service also starts a rolling deployment of its revision.
  force_new_deployment               = true
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "alarms" {
    for_each = length(var.deployment_alarm_names) > 0 ? [1] : []
    content {
      alarm_names = var.deployment_alarm_names
      enable      = true
      rollback    = true
    }
  }

  dynamic "capacity_provider_strategy" {
    for_each = local.capacity_provider_strategy
    content {
      capacity_provider = capacity_provider_strategy.value.name
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  network_configuration {
    subnets          = local.network_configuration.subnets
    security_groups  = local.network_configuration.security_groups
    assign_public_ip = local.network_configuration.assign_public_ip
  }

  load_balancer {
    target_group_arn = var.target_group_arns["blue"]
    container_name   = var.container_name
    container_port   = var.container_port
  }

  health_check_grace_period_seconds = var.timing.health_check_grace_period_s
  enable_execute_command            = var.enable_execute_command
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"
  wait_for_steady_state             = false

  tags = var.tags

  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }

  depends_on = [aws_ecs_cluster_capacity_providers.this, terraform_data.deployment_controller]
}

# Blue/green, canary and linear deployments by CodeDeploy: it also owns which target
# group the service's tasks are in. ECS accepts an UpdateService of a CODE_DEPLOY service
# only for the desired count, deployment configuration, health check grace period,
# placement and tag settings; the network configuration, capacity provider strategy, task
# definition and load balancer reach the tasks through the next CodeDeploy deployment's
# AppSpec (the deploy settings carry them), so Terraform ignores them here.
resource "aws_ecs_service" "codedeploy" {
  count = local.codedeploy ? 1 : 0

  name            = var.service_name
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count

  deployment_controller {
    type = "CODE_DEPLOY"
  }

  dynamic "capacity_provider_strategy" {
    for_each = local.capacity_provider_strategy
    content {
      capacity_provider = capacity_provider_strategy.value.name
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  network_configuration {
    subnets          = local.network_configuration.subnets
    security_groups  = local.network_configuration.security_groups
    assign_public_ip = local.network_configuration.assign_public_ip
  }

  load_balancer {
    target_group_arn = var.target_group_arns["blue"]
    container_name   = var.container_name
    container_port   = var.container_port
  }

  health_check_grace_period_seconds = var.timing.health_check_grace_period_s
  enable_execute_command            = var.enable_execute_command
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"
  wait_for_steady_state             = false

  tags = var.tags

  lifecycle {
    ignore_changes = [
      task_definition, desired_count, load_balancer, capacity_provider_strategy, network_configuration,
      enable_execute_command, platform_version,
    ]
    precondition {
      condition = (contains(keys(var.target_group_names), "blue") && contains(keys(var.target_group_names), "green") &&
      var.production_listener_arn != null && var.test_listener_arn != null && var.codedeploy_role_arn != null)
      error_message = "The ${var.deployment_strategy} strategy needs target_group_names blue and green, production_listener_arn, test_listener_arn and codedeploy_role_arn."
    }
  }

  depends_on = [aws_ecs_cluster_capacity_providers.this, terraform_data.deployment_controller]
}

resource "aws_codedeploy_app" "this" {
  count = local.codedeploy ? 1 : 0

  name             = var.cluster_name
  compute_platform = "ECS"

  tags = var.tags
}

resource "aws_codedeploy_deployment_group" "this" {
  count = local.codedeploy ? 1 : 0

  app_name               = aws_codedeploy_app.this[0].name
  deployment_group_name  = var.service_name
  service_role_arn       = var.codedeploy_role_arn
  deployment_config_name = local.codedeploy_config[var.deployment_strategy]

  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  # The replacement task set waits behind the test listener until the deploy pipeline has
  # verified it and calls ContinueDeployment; without that call within the wait, the
  # deployment stops and rolls back. No production traffic reaches an unverified version.
  blue_green_deployment_config {
    deployment_ready_option {
      action_on_timeout    = "STOP_DEPLOYMENT"
      wait_time_in_minutes = var.codedeploy_ready_wait_minutes
    }
    terminate_blue_instances_on_deployment_success {
      action                           = "TERMINATE"
      termination_wait_time_in_minutes = var.blue_termination_wait_minutes
    }
  }

  ecs_service {
    cluster_name = aws_ecs_cluster.this.name
    service_name = aws_ecs_service.codedeploy[0].name
  }

  load_balancer_info {
    target_group_pair_info {
      prod_traffic_route {
        listener_arns = [var.production_listener_arn]
      }
      test_traffic_route {
        listener_arns = [var.test_listener_arn]
      }
      target_group {
        name = var.target_group_names["blue"]
      }
      target_group {
        name = var.target_group_names["green"]
      }
    }
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  dynamic "alarm_configuration" {
    for_each = length(var.deployment_alarm_names) > 0 ? [1] : []
    content {
      alarms  = var.deployment_alarm_names
      enabled = true
    }
  }

  tags = var.tags
}

resource "aws_appautoscaling_target" "this" {
  count = var.autoscaling.enabled ? 1 : 0

  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${local.service_name}"
  min_capacity       = var.autoscaling.min_capacity
  max_capacity       = var.autoscaling.max_capacity

  tags = var.tags
}

resource "aws_appautoscaling_policy" "cpu" {
  count = var.autoscaling.enabled ? 1 : 0

  name               = "${var.cluster_name}-cpu-${var.autoscaling.cpu_target_percent}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.cpu_target_percent
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown
    scale_out_cooldown = var.autoscaling.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# Requests per task follow the blue target group only, so this policy exists for rolling
# deployments, where the service never leaves it.
resource "aws_appautoscaling_policy" "requests" {
  count = var.autoscaling.enabled && var.autoscaling.requests_per_target > 0 && !local.codedeploy ? 1 : 0

  name               = "${var.cluster_name}-requests-${var.autoscaling.requests_per_target}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[0].service_namespace
  scalable_dimension = aws_appautoscaling_target.this[0].scalable_dimension
  resource_id        = aws_appautoscaling_target.this[0].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.autoscaling.requests_per_target
    scale_in_cooldown  = var.autoscaling.scale_in_cooldown
    scale_out_cooldown = var.autoscaling.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = var.alb_resource_label
    }
  }

  lifecycle {
    precondition {
      condition     = var.alb_resource_label != null
      error_message = "autoscaling.requests_per_target > 0 needs alb_resource_label."
    }
  }
}
