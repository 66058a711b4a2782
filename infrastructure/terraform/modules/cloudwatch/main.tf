data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region = data.aws_region.current.name

  alb_dimension = { LoadBalancer = var.alb_arn_suffix }
  ecs_dimension = { ClusterName = var.cluster_name, ServiceName = var.ecs_service_name }

  cluster_arn = "arn:${data.aws_partition.current.partition}:ecs:${local.region}:${data.aws_caller_identity.current.account_id}:cluster/${var.cluster_name}"
  spot_metric = { namespace = "ECS/SpotInterruptions", name = "SpotInterruptions" }

  # The dimensions every EMF record of the service carries.
  emf_dimensions = ["Service", var.service_name, "Environment", var.environment]
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

# The alarm topic is encrypted at rest with a key of this account's: CloudWatch can publish
# to an encrypted topic only if the key's policy lets cloudwatch.amazonaws.com use it, which
# the AWS-managed alias/aws/sns key's policy does not.
resource "aws_kms_key" "alarms" {
  count = var.alarm_topic_kms_key_arn == null ? 1 : 0

  description             = "Encrypts the alarm topic of ${var.name}"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchAlarmsPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
      },
    ]
  })

  tags = var.tags
}

resource "aws_kms_alias" "alarms" {
  count = var.alarm_topic_kms_key_arn == null ? 1 : 0

  name          = "alias/${var.name}-alarms"
  target_key_id = aws_kms_key.alarms[0].key_id
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = coalesce(var.alarm_topic_kms_key_arn, try(aws_kms_key.alarms[0].arn, null))

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  alarm_name          = "${var.name}-cpu-high"
  alarm_description   = "ECS service CPU above ${var.thresholds.cpu_percent}% (auto scaling targets 70%: this means scaling is not keeping up)."
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = local.ecs_dimension
  statistic           = "Average"
  period              = 60
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.cpu_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "memory_high" {
  alarm_name          = "${var.name}-memory-high"
  alarm_description   = "ECS service memory above ${var.thresholds.memory_percent}%."
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  dimensions          = local.ecs_dimension
  statistic           = "Average"
  period              = 60
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.memory_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# 5xx from the targets and from the ALB itself (502/503/504 when no healthy target
# answers), as a share of all requests: an absolute count would page on busy days and
# miss failures on quiet ones.
resource "aws_cloudwatch_metric_alarm" "error_rate_5xx" {
  alarm_name          = "${var.name}-5xx-rate"
  alarm_description   = "More than ${var.thresholds.error_5xx_percent}% of requests answered 5xx (targets or load balancer). Also rolls back deployments."
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.error_5xx_percent
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "rate"
    expression  = "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests"
    label       = "5xx per request (%)"
    return_data = true
  }
  metric_query {
    id = "target5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = local.alb_dimension
      stat        = "Sum"
      period      = 60
    }
  }
  metric_query {
    id = "elb5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = local.alb_dimension
      stat        = "Sum"
      period      = 60
    }
  }
  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = local.alb_dimension
      stat        = "Sum"
      period      = 60
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "latency_p99" {
  alarm_name          = "${var.name}-latency-p99"
  alarm_description   = "Target response time p99 above ${var.thresholds.p99_latency_s} s. Also rolls back deployments."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = local.alb_dimension
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.p99_latency_s
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_hosts" {
  for_each = var.target_group_arn_suffixes

  alarm_name          = "${var.name}-unhealthy-hosts-${each.key}"
  alarm_description   = "Targets failing the /ready health check in the ${each.key} target group. Also rolls back deployments."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = merge(local.alb_dimension, { TargetGroup = each.value })
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = var.evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.thresholds.unhealthy_hosts
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name

  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "ALB requests and 5xx"
          region = local.region
          stat   = "Sum"
          period = 60
          metrics = [
            ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", var.alb_arn_suffix, { label = "requests" }],
            ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", var.alb_arn_suffix, { label = "target 5xx" }],
            ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", var.alb_arn_suffix, { label = "ELB 5xx" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "Target response time"
          region = local.region
          period = 60
          metrics = [
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, { stat = "p50", label = "p50" }],
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", var.alb_arn_suffix, { stat = "p99", label = "p99" }],
          ]
          annotations = { horizontal = [{ label = "p99 alarm", value = var.thresholds.p99_latency_s }] }
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Healthy and unhealthy hosts"
          region = local.region
          stat   = "Maximum"
          period = 60
          # concat, not flatten: each metric is itself a list and must stay one.
          metrics = concat([for role, tg in var.target_group_arn_suffixes : [
            ["AWS/ApplicationELB", "HealthyHostCount", "TargetGroup", tg, "LoadBalancer", var.alb_arn_suffix, { label = "healthy (${role})" }],
            ["AWS/ApplicationELB", "UnHealthyHostCount", "TargetGroup", tg, "LoadBalancer", var.alb_arn_suffix, { label = "unhealthy (${role})" }],
          ]]...)
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "ECS CPU and memory (%)"
          region = local.region
          stat   = "Average"
          period = 60
          metrics = [
            ["AWS/ECS", "CPUUtilization", "ClusterName", var.cluster_name, "ServiceName", var.ecs_service_name, { label = "CPU" }],
            ["AWS/ECS", "MemoryUtilization", "ClusterName", var.cluster_name, "ServiceName", var.ecs_service_name, { label = "memory" }],
          ]
          yAxis = { left = { min = 0, max = 100 } }
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title  = "Service: requests and errors (EMF)"
          region = local.region
          stat   = "Sum"
          period = 60
          metrics = [
            concat([var.emf_namespace, "Requests"], local.emf_dimensions, [{ label = "requests" }]),
            concat([var.emf_namespace, "Errors4xx"], local.emf_dimensions, [{ label = "4xx" }]),
            concat([var.emf_namespace, "Errors5xx"], local.emf_dimensions, [{ label = "5xx" }]),
          ]
        }
      },
      {
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title  = "Service: latency (EMF, ms)"
          region = local.region
          stat   = "Average"
          period = 60
          metrics = [
            concat([var.emf_namespace, "LatencyP50"], local.emf_dimensions, [{ label = "p50" }]),
            concat([var.emf_namespace, "LatencyP99"], local.emf_dimensions, [{ label = "p99" }]),
          ]
        }
      },
      {
        type = "metric", x = 0, y = 18, width = 24, height = 6
        properties = {
          title  = "Fargate Spot interruptions (tasks stopped by SpotInterruption)"
          region = local.region
          stat   = "Sum"
          period = 300
          metrics = [
            [local.spot_metric.namespace, local.spot_metric.name, "ClusterArn", local.cluster_arn, { label = "interruptions per 5 min" }],
          ]
          annotations = { horizontal = [{ label = "alarm: per ${var.thresholds.spot_interruptions_period_s} s", value = var.thresholds.spot_interruptions }] }
        }
      },
      {
        type = "alarm", x = 0, y = 24, width = 24, height = 3
        properties = {
          title = "Alarms"
          alarms = concat(
            [
              aws_cloudwatch_metric_alarm.cpu_high.arn,
              aws_cloudwatch_metric_alarm.memory_high.arn,
              aws_cloudwatch_metric_alarm.error_rate_5xx.arn,
              aws_cloudwatch_metric_alarm.latency_p99.arn,
              aws_cloudwatch_metric_alarm.spot_interruptions.arn,
            ],
            [for a in aws_cloudwatch_metric_alarm.unhealthy_hosts : a.arn],
          )
        }
      },
    ]
  })
}

# Fargate Spot interruptions, counted. ECS sends a task state change event to EventBridge
# for each step of a task's life; a task Fargate reclaims carries stopCode
# SpotInterruption, from its two-minute notice (still RUNNING, desired STOPPED) to its end.
# The rule takes the final STOPPED event only, so that each interrupted task of this
# cluster counts once; it writes the event to a log group, whose metric filter counts it.
resource "aws_cloudwatch_log_group" "spot_interruptions" {
  # EventBridge writes only to log groups under /aws/events/.
  name              = "/aws/events/${var.name}-spot-interruptions"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_cloudwatch_event_rule" "spot_interruptions" {
  name        = "${var.name}-spot-interruptions"
  description = "Tasks of ${var.cluster_name} stopped by a Fargate Spot interruption"
  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn = [local.cluster_arn]
      lastStatus = ["STOPPED"]
      stopCode   = ["SpotInterruption"]
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "spot_interruptions" {
  rule      = aws_cloudwatch_event_rule.spot_interruptions.name
  target_id = "log-group"
  arn       = aws_cloudwatch_log_group.spot_interruptions.arn
}

# EventBridge writes to a log group through the log group's resource policy (the account
# has at most 10 such policies, one per rule-log group pair here).
resource "aws_cloudwatch_log_resource_policy" "spot_interruptions" {
  policy_name = "${var.name}-spot-interruptions"
  policy_document = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EventBridgeWritesSpotInterruptions"
      Effect    = "Allow"
      Principal = { Service = ["events.amazonaws.com", "delivery.logs.amazonaws.com"] }
      Action    = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource  = "${aws_cloudwatch_log_group.spot_interruptions.arn}:*"
      Condition = { ArnEquals = { "aws:SourceArn" = aws_cloudwatch_event_rule.spot_interruptions.arn } }
    }]
  })
}

resource "aws_cloudwatch_log_metric_filter" "spot_interruptions" {
  name           = "${var.name}-spot-interruptions"
  log_group_name = aws_cloudwatch_log_group.spot_interruptions.name
  pattern        = "{ $.detail.stopCode = \"SpotInterruption\" }"

  metric_transformation {
    namespace  = local.spot_metric.namespace
    name       = local.spot_metric.name
    value      = "1"
    unit       = "Count"
    dimensions = { ClusterArn = "$.detail.clusterArn" }
  }
}

resource "aws_cloudwatch_metric_alarm" "spot_interruptions" {
  alarm_name          = "${var.name}-spot-interruptions"
  alarm_description   = "At least ${var.thresholds.spot_interruptions} Fargate Spot interruptions of ${var.cluster_name} in ${var.thresholds.spot_interruptions_period_s} s: Spot capacity is scarce; consider more weight on FARGATE (capacity_provider_weights)."
  namespace           = local.spot_metric.namespace
  metric_name         = local.spot_metric.name
  dimensions          = { ClusterArn = local.cluster_arn }
  statistic           = "Sum"
  period              = var.thresholds.spot_interruptions_period_s
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.thresholds.spot_interruptions
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}
