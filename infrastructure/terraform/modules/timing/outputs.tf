output "budget" {
  description = "The validated timing budget (the same object as the input)."
  value       = var.budget
}

output "alb_detection_s" {
  description = "Seconds the ALB needs at most to see a failing /ready: health-check interval x unhealthy threshold."
  value       = local.alb_detection_s
}

output "service_environment" {
  description = "The service's environment variables that come from the budget (names as the service reads them)."
  value = {
    DRAIN_DELAY_S      = tostring(var.budget.drain_delay_s)
    SHUTDOWN_TIMEOUT_S = tostring(var.budget.shutdown_timeout_s)
    IDLE_TIMEOUT_S     = tostring(var.budget.idle_timeout_s)
  }
}
