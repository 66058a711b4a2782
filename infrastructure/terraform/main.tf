# This project's own environment: the composition module modules/service (which another
# repository calls by source, with its own image and settings) with hello-service's
# settings, per environment from environments/<env>.tfvars. The providers and the state
# backend are this root's (providers.tf, versions.tf); the module has neither.

locals {
  tags = merge(var.tags, {
    Project     = var.service_name
    Environment = var.environment
    ManagedBy   = "terraform"
  })
}

module "service" {
  source = "./modules/service"

  service_name              = var.service_name
  environment               = var.environment
  image_tag                 = var.image_tag
  vpc_cidr                  = var.vpc_cidr
  az_count                  = var.az_count
  network_profile           = var.network_profile
  enable_vpc_endpoints      = var.enable_vpc_endpoints
  enable_flow_logs          = var.enable_flow_logs
  certificate_arn           = var.certificate_arn
  route53_zone_id           = var.route53_zone_id
  domain_name               = var.domain_name
  alb_access_logs_bucket    = var.alb_access_logs_bucket
  alb_deletion_protection   = var.alb_deletion_protection
  test_listener_cidrs       = var.test_listener_cidrs
  deployment_strategy       = var.deployment_strategy
  desired_count             = var.desired_count
  cpu                       = var.cpu
  memory                    = var.memory
  cpu_architecture          = var.cpu_architecture
  capacity_provider_weights = var.capacity_provider_weights
  autoscaling               = var.autoscaling
  container_insights        = var.container_insights
  enable_execute_command    = var.enable_execute_command
  log_level                 = var.log_level
  log_retention_days        = var.log_retention_days
  alarm_email               = var.alarm_email
  alarm_thresholds          = var.alarm_thresholds
  ecr_repository_name       = var.ecr_repository_name
  deploy_role_name          = var.deploy_role_name

  # The budget in force: timing.json with this environment's overrides (the module merges
  # them onto timing.json; the local rehearsal in deploy/local/ reads the same file).
  timing = var.timing_overrides
}

# Everything below lived in this root before the composition module existed; the moved
# blocks let an existing state follow it without destroying or replacing anything.

moved {
  from = module.timing
  to   = module.service.module.timing
}

moved {
  from = module.vpc
  to   = module.service.module.vpc
}

moved {
  from = module.alb
  to   = module.service.module.alb
}

moved {
  from = module.cloudwatch
  to   = module.service.module.cloudwatch
}

moved {
  from = module.iam
  to   = module.service.module.iam
}

moved {
  from = module.ecs
  to   = module.service.module.ecs
}

moved {
  from = aws_ssm_parameter.deploy_settings
  to   = module.service.aws_ssm_parameter.deploy_settings
}
