# The timing budget has no resources: this module is where the rules between the timings
# live (see the validations in variables.tf), so that every consumer reads checked values.
locals {
  # How long the ALB needs at most to see a failing /ready, which the drain must cover.
  alb_detection_s = var.budget.alb_health_check_interval_s * var.budget.alb_unhealthy_threshold
}
