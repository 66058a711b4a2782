variable "name" {
  description = "Name prefix of the log group, alarms, dashboard and topic (for example hello-service-staging)."
  type        = string
}

variable "service_name" {
  description = "The service's name as its EMF records carry it in the Service dimension."
  type        = string
  default     = "hello-service"
}

variable "environment" {
  description = "The environment as the service's EMF records carry it in the Environment dimension (its APP_ENV)."
  type        = string
}

variable "emf_namespace" {
  description = "CloudWatch namespace of the service's EMF records."
  type        = string
  default     = "HelloService"
}

variable "cluster_name" {
  description = "ECS cluster name (ClusterName dimension)."
  type        = string
}

variable "ecs_service_name" {
  description = "ECS service name (ServiceName dimension)."
  type        = string
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the load balancer (LoadBalancer dimension)."
  type        = string
}

variable "target_group_arn_suffixes" {
  description = "ARN suffixes of the target groups by role (blue, green): each gets an unhealthy-hosts alarm."
  type        = map(string)
}

variable "log_retention_days" {
  description = "Retention of the service's log group, in days."
  type        = number
  default     = 30
}

variable "log_kms_key_arn" {
  description = "ARN of a KMS key to encrypt the log group with; null uses CloudWatch Logs' own encryption."
  type        = string
  default     = null
}

variable "alarm_topic_kms_key_arn" {
  description = "ARN of a customer-managed KMS key for the alarm topic (its policy must let cloudwatch.amazonaws.com use it); null creates one."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.alarm_topic_kms_key_arn))
    error_message = "alarm_topic_kms_key_arn must be null or a KMS key ARN (arn:aws:kms:...), not an alias such as alias/aws/sns (CloudWatch cannot publish with the AWS-managed key)."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (the address must confirm the subscription); null for none."
  type        = string
  default     = null
}

variable "thresholds" {
  description = "Alarm thresholds: cpu_percent and memory_percent (ECS service averages), error_5xx_percent (target and ELB 5xx per request), p99_latency_s (target response time), unhealthy_hosts (per target group), spot_interruptions Fargate Spot interruptions within spot_interruptions_period_s seconds (a multiple of 60, at most a day)."
  type = object({
    cpu_percent       = optional(number, 85)
    memory_percent    = optional(number, 85)
    error_5xx_percent = optional(number, 5)
    p99_latency_s     = optional(number, 1)
    unhealthy_hosts   = optional(number, 0)

    spot_interruptions          = optional(number, 3)
    spot_interruptions_period_s = optional(number, 3600)
  })
  default = {}
}

variable "evaluation_periods" {
  description = "Number of one-minute periods an alarm's condition must hold before it fires."
  type        = number
  default     = 3

  validation {
    condition     = var.evaluation_periods >= 1 && var.evaluation_periods <= 10
    error_message = "evaluation_periods must be between 1 and 10."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
