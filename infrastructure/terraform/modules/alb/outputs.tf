output "arn" {
  description = "ARN of the load balancer."
  value       = aws_lb.this.arn
}

output "arn_suffix" {
  description = "ARN suffix of the load balancer (the LoadBalancer dimension of its CloudWatch metrics)."
  value       = aws_lb.this.arn_suffix
}

output "dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 hosted zone of the load balancer (for an alias record)."
  value       = aws_lb.this.zone_id
}

output "url" {
  description = "Base URL of the service through the load balancer."
  value       = "${local.https ? "https" : "http"}://${aws_lb.this.dns_name}"
}

output "security_group_id" {
  description = "ID of the load balancer's security group (the only source the tasks admit)."
  value       = aws_security_group.this.id
}

output "target_group_arns" {
  description = "Target group ARNs by role: blue (the service starts here) and, with codedeploy, green."
  value       = { for k, tg in aws_lb_target_group.this : k => tg.arn }
}

output "target_group_names" {
  description = "Target group names by role (blue, green)."
  value       = { for k, tg in aws_lb_target_group.this : k => tg.name }
}

output "target_group_arn_suffixes" {
  description = "Target group ARN suffixes by role (the TargetGroup dimension of CloudWatch metrics)."
  value       = { for k, tg in aws_lb_target_group.this : k => tg.arn_suffix }
}

output "production_listener_arn" {
  description = "ARN of the listener that serves clients (HTTPS with a certificate, else HTTP)."
  value       = aws_lb_listener.production.arn
}

output "test_url" {
  description = "Base URL of the CodeDeploy test listener (through the load balancer's DNS name); null without codedeploy."
  value       = var.codedeploy ? "${local.https ? "https" : "http"}://${aws_lb.this.dns_name}:${var.test_listener_port}" : null
}

output "test_listener_port" {
  description = "Port of the CodeDeploy test listener."
  value       = var.test_listener_port
}

output "test_listener_arn" {
  description = "ARN of the CodeDeploy test listener; null without codedeploy."
  value       = var.codedeploy ? aws_lb_listener.test[0].arn : null
}
