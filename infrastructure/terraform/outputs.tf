output "alb_url" {
  description = "URL of the service through the load balancer."
  value       = module.service.alb_url
}

output "service_url" {
  description = "The URL the deploy pipeline verifies: https://<domain_name> with a certificate, else alb_url."
  value       = module.service.service_url
}

output "test_url" {
  description = "URL of the CodeDeploy test listener, where a deployment's replacement version is verified before traffic moves; null with rolling."
  value       = module.service.test_url
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (for a CNAME or alias record)."
  value       = module.service.alb_dns_name
}

output "ecr_repository_url" {
  description = "The shared image repository (infrastructure/bootstrap's) this environment deploys from."
  value       = module.service.ecr_repository_url
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = module.service.cluster_name
}

output "service_name" {
  description = "Name of the ECS service."
  value       = module.service.service_name
}

output "task_family" {
  description = "Task definition family the deploy pipeline registers revisions in."
  value       = module.service.task_family
}

output "container_name" {
  description = "Name of the service's container in the task definition."
  value       = module.service.container_name
}

output "container_template_values" {
  description = "Values for every placeholder of the container definition template except image (the deploy workflow renders the template with these and its image)."
  value       = module.service.container_template_values
}

output "execution_role_arn" {
  description = "ARN of the task execution role (the deploy pipeline passes it in task definitions)."
  value       = module.service.execution_role_arn
}

output "task_role_arn" {
  description = "ARN of the task role (the deploy pipeline passes it in task definitions)."
  value       = module.service.task_role_arn
}

output "log_group_name" {
  description = "Log group of the service's containers."
  value       = module.service.log_group_name
}

output "dashboard_url" {
  description = "Console URL of the CloudWatch dashboard."
  value       = module.service.dashboard_url
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.service.alarm_topic_arn
}

output "deploy_role_arn" {
  description = "ARN of the GitHub Actions deploy role (null without deploy_role_name)."
  value       = module.service.deploy_role_arn
}

output "deployment_strategy" {
  description = "The deployment strategy in force."
  value       = module.service.deployment_strategy
}

output "codedeploy_app_name" {
  description = "CodeDeploy application (CodeDeploy strategies; null with rolling)."
  value       = module.service.codedeploy_app_name
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group (CodeDeploy strategies; null with rolling)."
  value       = module.service.codedeploy_deployment_group_name
}

output "timing" {
  description = "The timing budget in force (timing.json with this environment's overrides)."
  value       = module.service.timing
}

output "deploy_settings_parameter" {
  description = "SSM parameter (JSON) with everything the deploy pipeline needs; the deploy role may read it."
  value       = module.service.deploy_settings_parameter
}
