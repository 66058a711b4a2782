locals {
  name       = "${var.service_name}-${var.environment}"
  codedeploy = var.deployment_strategy != "rolling"

  # Memory sizes Fargate offers for each CPU size (MiB): the memory input's rule.
  fargate_memory = {
    256  = [512, 1024, 2048]
    512  = [for gb in range(1, 5) : gb * 1024]
    1024 = [for gb in range(2, 9) : gb * 1024]
    2048 = [for gb in range(4, 17) : gb * 1024]
    4096 = [for gb in range(8, 31) : gb * 1024]
  }

  # The one timing budget: the project's timing.json (which the local rehearsal in
  # deploy/local/ reads too), with the caller's values on top; the timing module checks
  # the rules between them.
  timing = merge(jsondecode(file("${path.module}/../../timing.json")), var.timing)

  deploy_settings_parameter = "/${var.service_name}/${var.environment}/deploy-settings"

  # The URL the pipeline verifies: the name the certificate covers, with HTTPS; the load
  # balancer's own name only for plain HTTP (no certificate covers *.elb.amazonaws.com).
  service_url = var.domain_name != null ? "https://${var.domain_name}" : module.alb.url
  # The CodeDeploy test listener, under the same name and protocol as production.
  test_url = local.codedeploy ? (var.domain_name != null ? "https://${var.domain_name}:${module.alb.test_listener_port}" : module.alb.test_url) : null
}

module "timing" {
  source = "../timing"

  budget = local.timing
}

module "vpc" {
  source = "../vpc"

  name                 = local.name
  cidr                 = var.vpc_cidr
  az_count             = var.az_count
  network_profile      = var.network_profile
  enable_vpc_endpoints = var.enable_vpc_endpoints
  enable_flow_logs     = var.enable_flow_logs

  # The listeners the load balancer has: HTTP (a redirect with HTTPS), HTTPS, and the
  # CodeDeploy test listener with a CodeDeploy strategy.
  public_ingress_ports = concat([80, 443], local.codedeploy ? [module.alb.test_listener_port] : [])
}

data "aws_region" "current" {}

# The image repository is shared by every environment and made by infrastructure/bootstrap
# (an image is built once and the same digest goes to staging, then production).
data "aws_ecr_repository" "this" {
  name = coalesce(var.ecr_repository_name, var.service_name)
}

module "alb" {
  source = "../alb"

  name                = local.name
  vpc_id              = module.vpc.vpc_id
  vpc_cidr            = module.vpc.vpc_cidr
  public_subnet_ids   = module.vpc.public_subnet_ids
  certificate_arn     = local.certificate_arn
  https               = var.domain_name != null
  access_logs_bucket  = var.alb_access_logs_bucket
  deletion_protection = var.alb_deletion_protection
  codedeploy          = local.codedeploy
  test_listener_cidrs = var.test_listener_cidrs
  container_port      = var.container_port
  health_check_path   = var.health_check_path

  health_check = {
    interval_s          = module.timing.budget.alb_health_check_interval_s
    timeout_s           = module.timing.budget.alb_health_check_timeout_s
    healthy_threshold   = module.timing.budget.alb_healthy_threshold
    unhealthy_threshold = module.timing.budget.alb_unhealthy_threshold
  }
  deregistration_delay_s = module.timing.budget.alb_deregistration_delay_s
  idle_timeout_s         = module.timing.budget.alb_idle_timeout_s
}

module "cloudwatch" {
  source = "../cloudwatch"

  name                      = local.name
  service_name              = var.service_name
  environment               = var.environment
  cluster_name              = local.name
  ecs_service_name          = var.service_name
  alb_arn_suffix            = module.alb.arn_suffix
  target_group_arn_suffixes = module.alb.target_group_arn_suffixes
  log_retention_days        = var.log_retention_days
  alarm_email               = var.alarm_email
  thresholds                = var.alarm_thresholds
}

module "iam" {
  source = "../iam"

  name                  = local.name
  ecr_repository_arn    = data.aws_ecr_repository.this.arn
  log_group_arn         = module.cloudwatch.log_group_arn
  cluster_name          = local.name
  ecs_service_name      = var.service_name
  task_family           = local.name
  codedeploy            = local.codedeploy
  codedeploy_app_name   = local.codedeploy ? local.name : null
  codedeploy_group_name = local.codedeploy ? var.service_name : null
  deploy_role_name      = var.deploy_role_name
  secret_arns           = values(var.container_secrets)

  deploy_settings_parameter_name = local.deploy_settings_parameter
}

module "ecs" {
  source = "../ecs"

  cluster_name   = local.name
  service_name   = var.service_name
  task_family    = local.name
  container_name = var.service_name
  image          = coalesce(var.container_image, "${data.aws_ecr_repository.this.repository_url}:${var.image_tag}")
  container_port = var.container_port

  readonly_root_filesystem = var.readonly_root_filesystem
  liveness_command         = var.liveness_command
  container_environment    = var.container_environment
  container_secrets        = var.container_secrets
  container_command        = var.container_command
  cpu                      = var.cpu
  memory                   = var.memory
  cpu_architecture         = var.cpu_architecture
  desired_count            = var.desired_count
  app_env                  = var.environment
  log_level                = var.log_level
  log_group_name           = module.cloudwatch.log_group_name
  timing                   = module.timing.budget

  vpc_id                  = module.vpc.vpc_id
  private_subnet_ids      = module.vpc.private_subnet_ids
  alb_security_group_id   = module.alb.security_group_id
  target_group_arns       = module.alb.target_group_arns
  target_group_names      = module.alb.target_group_names
  production_listener_arn = module.alb.production_listener_arn
  test_listener_arn       = module.alb.test_listener_arn
  alb_resource_label      = "${module.alb.arn_suffix}/${module.alb.target_group_arn_suffixes["blue"]}"

  execution_role_arn  = module.iam.execution_role_arn
  task_role_arn       = module.iam.task_role_arn
  codedeploy_role_arn = module.iam.codedeploy_role_arn

  deployment_strategy           = var.deployment_strategy
  deployment_alarm_names        = module.cloudwatch.deployment_alarm_names
  codedeploy_ready_wait_minutes = module.timing.budget.codedeploy_ready_wait_minutes
  capacity_provider_weights     = var.capacity_provider_weights
  container_insights            = var.container_insights
  enable_execute_command        = var.enable_execute_command
  autoscaling                   = var.autoscaling
}

locals {
  deploy_settings = {
    aws_region                       = data.aws_region.current.name
    deployment_strategy              = var.deployment_strategy
    ecr_repository_name              = data.aws_ecr_repository.this.name
    ecr_repository_url               = data.aws_ecr_repository.this.repository_url
    cluster_name                     = module.ecs.cluster_name
    service_name                     = module.ecs.service_name
    task_family                      = module.ecs.task_family
    container_name                   = module.ecs.container_name
    container_port                   = module.ecs.container_template_values.container_port
    cpu                              = var.cpu
    memory                           = var.memory
    cpu_architecture                 = var.cpu_architecture
    execution_role_arn               = module.iam.execution_role_arn
    task_role_arn                    = module.iam.task_role_arn
    codedeploy_app_name              = module.ecs.codedeploy_app_name
    codedeploy_deployment_group_name = module.ecs.codedeploy_deployment_group_name
    alb_url                          = module.alb.url
    service_url                      = local.service_url
    test_url                         = local.test_url
    network_configuration            = module.ecs.network_configuration
    capacity_provider_strategy       = module.ecs.capacity_provider_strategy
    container_template_values        = module.ecs.container_template_values
  }
}

# Everything the deploy pipeline needs to ship a version, in one parameter its role may
# read: names to address, roles to pass, the task size, and the values of every
# placeholder of the container definition template except the image. The pipeline then
# renders the same template Terraform renders, and needs no access to Terraform's state.
# The pipeline's reader (scripts/lib/settings.sh) checks this shape key by key; the moto
# run (infrastructure/tests/moto-e2e) deploys from the parameter it applied and compares.
resource "aws_ssm_parameter" "deploy_settings" {
  name        = local.deploy_settings_parameter
  description = "Deploy settings of ${local.name} (written by Terraform, read by the deploy pipeline)"
  type        = "String"
  value       = jsonencode(local.deploy_settings)

}
