output "service_url" {
  description = "The URL the deploy pipeline verifies."
  value       = module.orders.service_url
}

output "deploy_settings_parameter" {
  description = "The deploy settings parameter the pipeline reads."
  value       = module.orders.deploy_settings_parameter
}
