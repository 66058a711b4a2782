output "alb_url" {
  description = "URL of the service through the load balancer."
  value       = module.alb.url
}

output "service_url" {
  description = "The URL the deploy pipeline verifies: https://<domain_name> with a certificate, else alb_url."
  value       = local.service_url
}

output "test_url" {
  description = "URL of the CodeDeploy test listener, where a deployment's replacement version is verified before traffic moves; null with rolling."
  value       = local.test_url
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (for a CNAME or alias record)."
  value       = module.alb.dns_name
}

output "ecr_repository_url" {
  description = "The shared image repository (infrastructure/bootstrap's) this environment deploys from."
  value       = data.aws_ecr_repository.this.repository_url
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = module.ecs.cluster_name
}

output "service_name" {
  description = "Name of the ECS service."
  value       = module.ecs.service_name
}

output "task_family" {
  description = "Task definition family the deploy pipeline registers revisions in."
  value       = module.ecs.task_family
}

output "container_name" {
  description = "Name of the service's container in the task definition."
  value       = module.ecs.container_name
}

output "container_template_values" {
  description = "Values for every placeholder of the container definition template except image (the deploy workflow renders the template with these and its image)."
  value       = module.ecs.container_template_values
}

output "execution_role_arn" {
  description = "ARN of the task execution role (the deploy pipeline passes it in task definitions)."
  value       = module.iam.execution_role_arn
}

output "task_role_arn" {
  description = "ARN of the task role (the deploy pipeline passes it in task definitions)."
  value       = module.iam.task_role_arn
}

output "log_group_name" {
  description = "Log group of the service's containers."
  value       = module.cloudwatch.log_group_name
}

output "dashboard_url" {
  description = "Console URL of the CloudWatch dashboard."
  value       = module.cloudwatch.dashboard_url
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.cloudwatch.alarm_topic_arn
}

output "deploy_role_arn" {
  description = "ARN of the GitHub Actions deploy role (null without deploy_role_name)."
  value       = module.iam.deploy_role_arn
}

output "deployment_strategy" {
  description = "The deployment strategy in force."
  value       = var.deployment_strategy
}

output "codedeploy_app_name" {
  description = "CodeDeploy application (CodeDeploy strategies; null with rolling)."
  value       = module.ecs.codedeploy_app_name
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group (CodeDeploy strategies; null with rolling)."
  value       = module.ecs.codedeploy_deployment_group_name
}

output "timing" {
  description = "The timing budget in force (timing.json with this environment's overrides)."
  value       = module.timing.budget
}

output "deploy_settings_parameter" {
  description = "SSM parameter (JSON) with everything the deploy pipeline needs; the deploy role may read it."
  value       = aws_ssm_parameter.deploy_settings.name
}

output "deploy_settings" {
  description = "The deploy settings document as published in deploy_settings_parameter (an object)."
  value       = nonsensitive(jsondecode(aws_ssm_parameter.deploy_settings.value))
}

output "vpc_id" {
  description = "ID of the VPC."
  value       = module.vpc.vpc_id
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (the load balancer's)."
  value       = module.vpc.public_subnet_ids
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (the tasks')."
  value       = module.vpc.private_subnet_ids
}

output "tasks_security_group_id" {
  description = "Security group of the service's tasks."
  value       = module.ecs.tasks_security_group_id
}

output "alb_security_group_id" {
  description = "Security group of the load balancer."
  value       = module.alb.security_group_id
}

output "container_definitions" {
  description = "The container definitions of Terraform's own task definition revision (JSON); the deploy pipeline renders the same with its image."
  value       = module.ecs.container_definitions
}

output "certificate_arn" {
  description = "The certificate the HTTPS listener serves: the one the module made and validated (domain_name with route53_zone_id), or certificate_arn; null for plain HTTP."
  value       = local.certificate_arn
}
