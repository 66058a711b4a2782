# The timing budget: timing.json satisfies every rule, and each rule, broken on its own,
# stops the plan with its own message.

variables {
  budget = {
    alb_health_check_interval_s           = 5
    alb_health_check_timeout_s            = 3
    alb_healthy_threshold                 = 2
    alb_unhealthy_threshold               = 2
    alb_deregistration_delay_s            = 20
    alb_idle_timeout_s                    = 60
    drain_margin_s                        = 3
    drain_delay_s                         = 15
    shutdown_timeout_s                    = 25
    stop_timeout_s                        = 30
    idle_timeout_s                        = 75
    health_check_grace_period_s           = 30
    container_health_check_interval_s     = 10
    container_health_check_timeout_s      = 3
    container_health_check_retries        = 3
    container_health_check_start_period_s = 5
    codedeploy_ready_wait_minutes         = 15
  }
}

run "timing_json_is_valid_and_complete" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = jsondecode(file("./timing.json"))
  }

  assert {
    condition     = length(keys(jsondecode(file("./timing.json")))) == length(keys(output.budget))
    error_message = "timing.json has fields the timing module does not know (or lacks some)."
  }
  assert {
    condition     = output.budget.drain_delay_s >= output.alb_detection_s + output.budget.drain_margin_s
    error_message = "The drain must cover the ALB's detection time."
  }
  assert {
    condition     = output.service_environment.DRAIN_DELAY_S == tostring(output.budget.drain_delay_s)
    error_message = "service_environment must carry DRAIN_DELAY_S from the budget."
  }
}

run "the_service_defaults_fit_the_seed_alb" {
  command = plan
  module {
    source = "./modules/timing"
  }

  assert {
    condition     = output.budget.alb_idle_timeout_s == 60 && output.budget.idle_timeout_s > 60
    error_message = "The ALB idle timeout is 60 s and the service's must exceed it."
  }
  assert {
    condition     = output.alb_detection_s == 10
    error_message = "5 s x 2 checks = 10 s for the ALB to see /ready fail."
  }
}

run "fractions_are_rejected" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { drain_delay_s = 15.5 })
  }
  expect_failures = [var.budget]
}

run "alb_interval_out_of_range" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { alb_health_check_interval_s = 4, alb_health_check_timeout_s = 2, drain_delay_s = 15 })
  }
  expect_failures = [var.budget]
}

run "alb_timeout_not_below_interval" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { alb_health_check_timeout_s = 5 })
  }
  expect_failures = [var.budget]
}

run "alb_threshold_out_of_range" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { alb_healthy_threshold = 11 })
  }
  expect_failures = [var.budget]
}

run "deregistration_delay_out_of_range" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { alb_deregistration_delay_s = 3601 })
  }
  expect_failures = [var.budget]
}

run "alb_idle_timeout_out_of_range" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { alb_idle_timeout_s = 0, idle_timeout_s = 75 })
  }
  expect_failures = [var.budget]
}

run "container_interval_out_of_range" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { container_health_check_interval_s = 301 })
  }
  expect_failures = [var.budget]
}

run "container_timeout_not_below_interval" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { container_health_check_timeout_s = 10 })
  }
  expect_failures = [var.budget]
}

run "container_retries_out_of_range" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { container_health_check_retries = 0 })
  }
  expect_failures = [var.budget]
}

run "container_start_period_out_of_range" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { container_health_check_start_period_s = 301, health_check_grace_period_s = 400 })
  }
  expect_failures = [var.budget]
}

run "rule_drain_covers_alb_detection" {
  command = plan
  module {
    source = "./modules/timing"
  }
  # 5 s x 2 + 3 s margin = 13 s > 12 s.
  variables {
    budget = merge(var.budget, { drain_delay_s = 12 })
  }
  expect_failures = [var.budget]
}

run "rule_drain_covers_alb_detection_with_slower_checks" {
  command = plan
  module {
    source = "./modules/timing"
  }
  # Slower checks alone break the rule for the same drain delay.
  variables {
    budget = merge(var.budget, { alb_health_check_interval_s = 10 })
  }
  expect_failures = [var.budget]
}

run "rule_shutdown_after_drain" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { shutdown_timeout_s = 15 })
  }
  expect_failures = [var.budget]
}

run "rule_shutdown_before_stop_timeout" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { stop_timeout_s = 25 })
  }
  expect_failures = [var.budget]
}

run "rule_stop_timeout_at_most_120" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { stop_timeout_s = 121 })
  }
  expect_failures = [var.budget]
}

run "rule_service_idle_timeout_exceeds_alb" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { idle_timeout_s = 60 })
  }
  expect_failures = [var.budget]
}

run "rule_deregistration_covers_drain" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { alb_deregistration_delay_s = 14 })
  }
  expect_failures = [var.budget]
}

run "rule_grace_period_covers_alb_healthy_checks" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { health_check_grace_period_s = 9, container_health_check_start_period_s = 5 })
  }
  expect_failures = [var.budget]
}

run "rule_grace_period_covers_container_start_period" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { container_health_check_start_period_s = 31 })
  }
  expect_failures = [var.budget]
}

run "codedeploy_ready_wait_beyond_codedeploy_limit" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { codedeploy_ready_wait_minutes = 2881 })
  }
  expect_failures = [var.budget]
}

run "codedeploy_ready_wait_zero" {
  command = plan
  module {
    source = "./modules/timing"
  }
  variables {
    budget = merge(var.budget, { codedeploy_ready_wait_minutes = 0 })
  }
  expect_failures = [var.budget]
}
