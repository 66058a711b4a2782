variable "budget" {
  description = "Every timing that must agree between the service, the container health check, ECS and the ALB (seconds or counts). The root module reads it from timing.json; see README.md for each field."
  type = object({
    alb_health_check_interval_s           = number
    alb_health_check_timeout_s            = number
    alb_healthy_threshold                 = number
    alb_unhealthy_threshold               = number
    alb_deregistration_delay_s            = number
    alb_idle_timeout_s                    = number
    drain_margin_s                        = number
    drain_delay_s                         = number
    shutdown_timeout_s                    = number
    stop_timeout_s                        = number
    idle_timeout_s                        = number
    health_check_grace_period_s           = number
    container_health_check_interval_s     = number
    container_health_check_timeout_s      = number
    container_health_check_retries        = number
    container_health_check_start_period_s = number
    codedeploy_ready_wait_minutes         = number
  })

  # Each value on its own: what AWS accepts, and whole numbers.
  validation {
    condition     = alltrue([for v in values(var.budget) : v >= 0 && floor(v) == v])
    error_message = "Every timing budget value must be a whole number of at least 0."
  }
  validation {
    condition     = var.budget.alb_health_check_interval_s >= 5 && var.budget.alb_health_check_interval_s <= 300
    error_message = "alb_health_check_interval_s must be between 5 and 300 (ALB target group limits)."
  }
  validation {
    condition     = var.budget.alb_health_check_timeout_s >= 2 && var.budget.alb_health_check_timeout_s < var.budget.alb_health_check_interval_s
    error_message = "alb_health_check_timeout_s must be at least 2 and below alb_health_check_interval_s (a check must end before the next one starts)."
  }
  validation {
    condition = alltrue([for t in [var.budget.alb_healthy_threshold, var.budget.alb_unhealthy_threshold] :
    t >= 2 && t <= 10])
    error_message = "alb_healthy_threshold and alb_unhealthy_threshold must be between 2 and 10 (ALB target group limits)."
  }
  validation {
    condition     = var.budget.alb_deregistration_delay_s <= 3600
    error_message = "alb_deregistration_delay_s must be at most 3600 (ALB target group limit)."
  }
  validation {
    condition     = var.budget.alb_idle_timeout_s >= 1 && var.budget.alb_idle_timeout_s <= 4000
    error_message = "alb_idle_timeout_s must be between 1 and 4000 (ALB limit)."
  }
  validation {
    condition     = var.budget.container_health_check_interval_s >= 5 && var.budget.container_health_check_interval_s <= 300
    error_message = "container_health_check_interval_s must be between 5 and 300 (ECS limits)."
  }
  validation {
    condition     = var.budget.container_health_check_timeout_s >= 2 && var.budget.container_health_check_timeout_s < var.budget.container_health_check_interval_s
    error_message = "container_health_check_timeout_s must be at least 2 and below container_health_check_interval_s."
  }
  validation {
    condition     = var.budget.container_health_check_retries >= 1 && var.budget.container_health_check_retries <= 10
    error_message = "container_health_check_retries must be between 1 and 10 (ECS limits)."
  }
  validation {
    condition     = var.budget.container_health_check_start_period_s <= 300
    error_message = "container_health_check_start_period_s must be at most 300 (ECS limit)."
  }
  validation {
    condition     = var.budget.codedeploy_ready_wait_minutes >= 1 && var.budget.codedeploy_ready_wait_minutes <= 2880
    error_message = "codedeploy_ready_wait_minutes must be between 1 and 2880 (CodeDeploy's limit for the wait before traffic shifts)."
  }

  # The rules between values: the reason this is one object.
  validation {
    condition = (var.budget.drain_delay_s >=
    var.budget.alb_health_check_interval_s * var.budget.alb_unhealthy_threshold + var.budget.drain_margin_s)
    error_message = "Rule broken: drain_delay_s must be at least alb_health_check_interval_s x alb_unhealthy_threshold + drain_margin_s, so that the ALB has seen /ready fail before the service stops taking new requests."
  }
  validation {
    condition     = var.budget.shutdown_timeout_s > var.budget.drain_delay_s
    error_message = "Rule broken: shutdown_timeout_s must exceed drain_delay_s, so that requests accepted during the drain can still finish."
  }
  validation {
    condition     = var.budget.shutdown_timeout_s < var.budget.stop_timeout_s
    error_message = "Rule broken: shutdown_timeout_s must be below stop_timeout_s, so that the service exits by itself before ECS sends SIGKILL."
  }
  validation {
    condition     = var.budget.stop_timeout_s >= 2 && var.budget.stop_timeout_s <= 120
    error_message = "Rule broken: stop_timeout_s must be between 2 and 120 (the most Fargate allows)."
  }
  validation {
    condition     = var.budget.idle_timeout_s > var.budget.alb_idle_timeout_s
    error_message = "Rule broken: idle_timeout_s (the service's keep-alive) must exceed alb_idle_timeout_s, so that the ALB, not the service, closes idle connections (else the ALB can reuse a closing one and answer 502)."
  }
  validation {
    condition     = var.budget.alb_deregistration_delay_s >= var.budget.drain_delay_s
    error_message = "Rule broken: alb_deregistration_delay_s must be at least drain_delay_s, so that the ALB keeps a draining target's connections at least as long as the service keeps answering on them."
  }
  validation {
    condition = (var.budget.health_check_grace_period_s >=
    var.budget.alb_health_check_interval_s * var.budget.alb_healthy_threshold)
    error_message = "Rule broken: health_check_grace_period_s must be at least alb_health_check_interval_s x alb_healthy_threshold, so that ECS does not judge a new task before the ALB can have seen it healthy."
  }
  validation {
    condition     = var.budget.health_check_grace_period_s >= var.budget.container_health_check_start_period_s
    error_message = "Rule broken: health_check_grace_period_s must be at least container_health_check_start_period_s, so that ECS waits for the container's own start period."
  }
}
