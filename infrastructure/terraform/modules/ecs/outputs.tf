output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "Name of the ECS service."
  value       = local.service_name
}

output "service_id" {
  description = "ID (ARN) of the ECS service."
  value       = local.service_id
}

output "task_family" {
  description = "Family of the task definition."
  value       = aws_ecs_task_definition.this.family
}

output "task_definition_arn" {
  description = "ARN of the revision Terraform registered (not necessarily the one running: the deploy pipeline owns that)."
  value       = aws_ecs_task_definition.this.arn
}

output "container_name" {
  description = "Name of the service's container."
  value       = var.container_name
}

output "container_template_values" {
  description = "Every placeholder of templates/container-definitions.json.tftpl except image: what the deploy workflow renders the same template with."
  value       = local.template_values
}

output "network_configuration" {
  description = "The service's awsvpc configuration (subnets, security_groups, assign_public_ip): what a CodeDeploy AppSpec must carry."
  value       = local.network_configuration
}

output "capacity_provider_strategy" {
  description = "The service's capacity provider strategy as a list of {capacity_provider, weight, base}: what a CodeDeploy AppSpec must carry."
  value       = [for cp in local.capacity_provider_strategy : { capacity_provider = cp.name, weight = cp.weight, base = cp.base }]
}

output "tasks_security_group_id" {
  description = "ID of the tasks' security group."
  value       = aws_security_group.tasks.id
}

output "codedeploy_app_name" {
  description = "Name of the CodeDeploy application; null with the rolling strategy."
  value       = local.codedeploy ? aws_codedeploy_app.this[0].name : null
}

output "codedeploy_deployment_group_name" {
  description = "Name of the CodeDeploy deployment group; null with the rolling strategy."
  value       = local.codedeploy ? aws_codedeploy_deployment_group.this[0].deployment_group_name : null
}

output "deployment_config_name" {
  description = "CodeDeploy deployment configuration of the strategy; null with rolling."
  value       = local.codedeploy ? local.codedeploy_config[var.deployment_strategy] : null
}

output "container_definitions" {
  description = "The container definitions of Terraform's own task definition revision (JSON), as rendered from the template."
  value       = aws_ecs_task_definition.this.container_definitions
}
