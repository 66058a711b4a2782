output "log_group_name" {
  description = "Name of the service's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the service's log group (without the trailing :*)."
  value       = aws_cloudwatch_log_group.this.arn
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of all alarms."
  value = concat(
    [
      aws_cloudwatch_metric_alarm.cpu_high.alarm_name,
      aws_cloudwatch_metric_alarm.memory_high.alarm_name,
      aws_cloudwatch_metric_alarm.error_rate_5xx.alarm_name,
      aws_cloudwatch_metric_alarm.latency_p99.alarm_name,
    ],
    [for a in aws_cloudwatch_metric_alarm.unhealthy_hosts : a.alarm_name],
  )
}

output "deployment_alarm_names" {
  description = "Alarms that stop and roll back a deployment: 5xx rate, p99 latency, unhealthy hosts (CPU and memory drive scaling, not rollback)."
  value = concat(
    [
      aws_cloudwatch_metric_alarm.error_rate_5xx.alarm_name,
      aws_cloudwatch_metric_alarm.latency_p99.alarm_name,
    ],
    [for a in aws_cloudwatch_metric_alarm.unhealthy_hosts : a.alarm_name],
  )
}

output "dashboard_name" {
  description = "Name of the dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "dashboard_url" {
  description = "Console URL of the dashboard."
  value       = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards/dashboard/${aws_cloudwatch_dashboard.this.dashboard_name}"
}
