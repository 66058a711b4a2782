# The cloudwatch module: log retention, the alarms and the dashboard (with the service's
# own EMF metrics).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name                      = "hello-service-test"
  environment               = "test"
  cluster_name              = "hello-service-test"
  ecs_service_name          = "hello-service"
  alb_arn_suffix            = "app/hello-service-test/0123456789abcdef"
  target_group_arn_suffixes = { blue = "targetgroup/hello-service-test-blue/1", green = "targetgroup/hello-service-test-green/2" }
}

run "defaults" {
  command = apply
  module {
    source = "./modules/cloudwatch"
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 30 && aws_cloudwatch_log_group.this.name == "/ecs/hello-service-test"
    error_message = "The log group keeps 30 days."
  }
  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == aws_kms_key.alarms[0].arn && aws_kms_key.alarms[0].enable_key_rotation
    error_message = "The alarm topic is encrypted with a customer-managed key of its own, rotated yearly."
  }
  assert {
    condition = ([for st in jsondecode(aws_kms_key.alarms[0].policy).Statement : st.Action if try(st.Principal.Service, "") == "cloudwatch.amazonaws.com"] ==
    [["kms:Decrypt", "kms:GenerateDataKey*"]])
    error_message = "The key lets CloudWatch (alarms) encrypt what it publishes to the topic, and nothing else."
  }
  assert {
    condition = (aws_cloudwatch_metric_alarm.cpu_high.metric_name == "CPUUtilization" && aws_cloudwatch_metric_alarm.memory_high.metric_name == "MemoryUtilization" &&
    aws_cloudwatch_metric_alarm.cpu_high.dimensions == tomap({ ClusterName = "hello-service-test", ServiceName = "hello-service" }))
    error_message = "CPU and memory alarms watch the ECS service."
  }
  assert {
    condition = (aws_cloudwatch_metric_alarm.latency_p99.extended_statistic == "p99" && aws_cloudwatch_metric_alarm.latency_p99.threshold == 1 &&
    aws_cloudwatch_metric_alarm.latency_p99.metric_name == "TargetResponseTime")
    error_message = "The latency alarm watches target response time p99 against 1 s."
  }
  assert {
    condition = (length(aws_cloudwatch_metric_alarm.error_rate_5xx.metric_query) == 4 && aws_cloudwatch_metric_alarm.error_rate_5xx.threshold == 5 &&
    one([for q in aws_cloudwatch_metric_alarm.error_rate_5xx.metric_query : q.expression if q.return_data == true]) == "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests")
    error_message = "The 5xx alarm is a rate: target and ELB 5xx over requests, in percent."
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.unhealthy_hosts)) == toset(["blue", "green"]) && aws_cloudwatch_metric_alarm.unhealthy_hosts["green"].dimensions.TargetGroup == "targetgroup/hello-service-test-green/2"
    error_message = "One unhealthy-hosts alarm per target group."
  }
  assert {
    condition = alltrue([for a in [aws_cloudwatch_metric_alarm.cpu_high, aws_cloudwatch_metric_alarm.memory_high, aws_cloudwatch_metric_alarm.error_rate_5xx, aws_cloudwatch_metric_alarm.latency_p99, aws_cloudwatch_metric_alarm.unhealthy_hosts["blue"]] :
    a.alarm_actions == toset([aws_sns_topic.alarms.arn])])
    error_message = "Every alarm notifies the SNS topic."
  }
  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0
    error_message = "No e-mail subscription unless an address is given."
  }
  assert {
    condition     = output.deployment_alarm_names == ["hello-service-test-5xx-rate", "hello-service-test-latency-p99", "hello-service-test-unhealthy-hosts-blue", "hello-service-test-unhealthy-hosts-green"]
    error_message = "Deployments roll back on 5xx rate, p99 latency and unhealthy hosts."
  }
  assert {
    condition     = length(output.alarm_names) == 6
    error_message = "CPU, memory, 5xx rate, p99 latency and one unhealthy-hosts alarm per target group."
  }
}

run "dashboard_widgets" {
  command = apply
  module {
    source = "./modules/cloudwatch"
  }

  assert {
    condition = contains(flatten([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [for m in try(w.properties.metrics, []) : m[1]]]),
    "HTTPCode_ELB_5XX_Count")
    error_message = "The dashboard shows ELB 5xx."
  }
  assert {
    condition     = toset([for m in concat([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : try(w.properties.metrics, [])]...) : m[4].stat if m[1] == "TargetResponseTime"]) == toset(["p50", "p99"])
    error_message = "The dashboard shows target response time p50 and p99."
  }
  assert {
    condition = alltrue([for metric in ["HealthyHostCount", "UnHealthyHostCount", "CPUUtilization", "MemoryUtilization", "RequestCount"] :
    contains(flatten([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : [for m in try(w.properties.metrics, []) : m[1]]]), metric)])
    error_message = "The dashboard shows requests, healthy and unhealthy hosts, ECS CPU and memory."
  }
  assert {
    condition     = toset([for m in concat([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : try(w.properties.metrics, [])]...) : m[1] if m[0] == "HelloService"]) == toset(["Requests", "Errors4xx", "Errors5xx", "LatencyP50", "LatencyP99"])
    error_message = "The dashboard shows every EMF metric of the service in namespace HelloService."
  }
  assert {
    condition = alltrue([for m in concat([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : try(w.properties.metrics, [])]...) :
    slice(m, 2, 6) == ["Service", "hello-service", "Environment", "test"] if m[0] == "HelloService"])
    error_message = "EMF widgets use the contract's dimensions: Service = hello-service, Environment = APP_ENV."
  }
}

run "email_and_thresholds" {
  command = apply
  module {
    source = "./modules/cloudwatch"
  }
  variables {
    alarm_email        = "oncall@example.com"
    log_retention_days = 90
    thresholds         = { p99_latency_s = 0.5, error_5xx_percent = 1 }
  }

  assert {
    condition     = aws_sns_topic_subscription.email[0].protocol == "email" && aws_sns_topic_subscription.email[0].endpoint == "oncall@example.com"
    error_message = "alarm_email subscribes the address to the topic."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.latency_p99.threshold == 0.5 && aws_cloudwatch_metric_alarm.error_rate_5xx.threshold == 1 && aws_cloudwatch_metric_alarm.cpu_high.threshold == 85
    error_message = "Thresholds given override the defaults; the others stay."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 90
    error_message = "log_retention_days sets the retention."
  }
}

run "invalid_evaluation_periods" {
  command = plan
  module {
    source = "./modules/cloudwatch"
  }
  variables {
    evaluation_periods = 0
  }
  expect_failures = [var.evaluation_periods]
}

run "dashboard_metrics_are_rows" {
  command = apply
  module {
    source = "./modules/cloudwatch"
  }

  assert {
    condition = alltrue([for m in concat([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : try(w.properties.metrics, [])]...) :
    can(m[0]) && can(m[1]) && length(m) >= 3])
    error_message = "Every dashboard metric is a row [namespace, name, dimensions..., options]."
  }
  assert {
    condition     = length([for m in concat([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : try(w.properties.metrics, [])]...) : m if m[1] == "HealthyHostCount"]) == 2
    error_message = "One healthy-hosts line per target group."
  }
}

run "alarm_topic_with_a_given_key" {
  command = apply
  module {
    source = "./modules/cloudwatch"
  }
  variables {
    alarm_topic_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/1111"
  }

  assert {
    condition     = length(aws_kms_key.alarms) == 0 && aws_sns_topic.alarms.kms_master_key_id == "arn:aws:kms:us-east-1:123456789012:key/1111"
    error_message = "alarm_topic_kms_key_arn replaces the module's own key."
  }
}

run "invalid_alarm_topic_kms_key_arn" {
  command = plan
  module {
    source = "./modules/cloudwatch"
  }
  variables {
    alarm_topic_kms_key_arn = "alias/aws/sns"
  }
  expect_failures = [var.alarm_topic_kms_key_arn]
}

# Fargate Spot interruptions: an EventBridge rule on this cluster's tasks stopped with
# stopCode SpotInterruption, a log group it writes to, a metric filter counting them, an
# alarm on their rate and a dashboard widget.
run "spot_interruptions" {
  command = apply
  module {
    source = "./modules/cloudwatch"
  }
  variables {
    thresholds = { spot_interruptions = 2, spot_interruptions_period_s = 1800 }
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.spot_interruptions.event_pattern) == {
      source        = ["aws.ecs"]
      "detail-type" = ["ECS Task State Change"]
      detail = {
        clusterArn = ["arn:aws:ecs:us-east-1:123456789012:cluster/hello-service-test"]
        lastStatus = ["STOPPED"]
        stopCode   = ["SpotInterruption"]
      }
    }
    error_message = "The rule matches this cluster's tasks stopped by a Spot interruption, once each (the STOPPED event)."
  }
  assert {
    condition = (aws_cloudwatch_event_target.spot_interruptions.arn == aws_cloudwatch_log_group.spot_interruptions.arn &&
    startswith(aws_cloudwatch_log_group.spot_interruptions.name, "/aws/events/"))
    error_message = "The rule writes to a log group under /aws/events/ (the only ones EventBridge writes to)."
  }
  assert {
    condition = (jsondecode(aws_cloudwatch_log_resource_policy.spot_interruptions.policy_document).Statement[0].Resource == "${aws_cloudwatch_log_group.spot_interruptions.arn}:*" &&
    jsondecode(aws_cloudwatch_log_resource_policy.spot_interruptions.policy_document).Statement[0].Condition.ArnEquals["aws:SourceArn"] == aws_cloudwatch_event_rule.spot_interruptions.arn)
    error_message = "Only this rule may write, and only to this log group."
  }
  assert {
    condition = (aws_cloudwatch_log_metric_filter.spot_interruptions.pattern == "{ $.detail.stopCode = \"SpotInterruption\" }" &&
      aws_cloudwatch_log_metric_filter.spot_interruptions.metric_transformation[0].name == aws_cloudwatch_metric_alarm.spot_interruptions.metric_name &&
    aws_cloudwatch_log_metric_filter.spot_interruptions.metric_transformation[0].namespace == aws_cloudwatch_metric_alarm.spot_interruptions.namespace)
    error_message = "The metric filter counts the interruptions into the metric the alarm watches."
  }
  assert {
    condition = (aws_cloudwatch_metric_alarm.spot_interruptions.threshold == 2 && aws_cloudwatch_metric_alarm.spot_interruptions.period == 1800 &&
      aws_cloudwatch_metric_alarm.spot_interruptions.statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.spot_interruptions.comparison_operator == "GreaterThanOrEqualToThreshold" &&
      aws_cloudwatch_metric_alarm.spot_interruptions.dimensions == tomap({ ClusterArn = "arn:aws:ecs:us-east-1:123456789012:cluster/hello-service-test" }) &&
    aws_cloudwatch_metric_alarm.spot_interruptions.alarm_actions == toset([aws_sns_topic.alarms.arn]))
    error_message = "The alarm fires at 2 interruptions within 30 minutes, to the alarm topic."
  }
  assert {
    condition = length([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w
    if w.type == "metric" && try(w.properties.metrics[0][1], "") == "SpotInterruptions"]) == 1
    error_message = "The dashboard has a Spot interruptions widget."
  }
  assert {
    condition = contains([for w in jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets : w if w.type == "alarm"][0].properties.alarms,
    aws_cloudwatch_metric_alarm.spot_interruptions.arn)
    error_message = "The dashboard's alarm widget shows the Spot interruptions alarm."
  }
}
