variable "aws_region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as us-east-1 or eu-west-1."
  }
}

variable "aws_endpoint_url" {
  description = "Send every AWS API call to this URL (an emulator such as moto_server, for tests) and skip the checks that need real AWS. Empty (the default) means real AWS."
  type        = string
  default     = ""

  validation {
    condition     = var.aws_endpoint_url == "" || can(regex("^https?://[^/\\s]+/?$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be empty or a base URL such as http://127.0.0.1:5000."
  }
}

variable "service_name" {
  description = "Name of the service: the ECS service, the container and the Service dimension of its metrics."
  type        = string
  default     = "hello-service"
}

variable "environment" {
  description = "Environment name (staging, production, ...): part of every resource name and the service's APP_ENV."
  type        = string
}

variable "image_tag" {
  description = "Version tag of the image Terraform's first task definition revision uses (push it to the repository before the first full apply). The deploy pipeline owns the running image afterwards."
  type        = string
  default     = "0.1.0"
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.0.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones (2 or 3)."
  type        = number
  default     = 2
}

variable "network_profile" {
  description = "Network cost profile: ha_nat (a NAT gateway per zone), single_nat (one NAT gateway) or endpoints_only (no NAT, VPC endpoints only). See docs/SETUP.md for the monthly cost of each."
  type        = string
  default     = "ha_nat"
}

variable "enable_vpc_endpoints" {
  description = "Add VPC endpoints (ECR api/dkr, CloudWatch Logs, S3 gateway) to a NAT profile."
  type        = bool
  default     = false
}

variable "enable_flow_logs" {
  description = "Record VPC flow logs to CloudWatch Logs."
  type        = bool
  default     = false
}

variable "certificate_arn" {
  description = "An ACM certificate of yours for domain_name (HTTPS on the ALB; HTTP then redirects to HTTPS). Leave it null with route53_zone_id: the module then requests and validates one. Without domain_name it must be null: the ALB's own DNS name is covered by no certificate of yours."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "The Route 53 hosted zone that holds domain_name. With it the module makes the DNS-validated ACM certificate (unless certificate_arn is given) and the alias record that points domain_name at the load balancer. null: both are yours."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "The name clients use, such as app.example.com: it becomes service_url (https://<domain_name>), the URL the pipeline verifies. Give with it route53_zone_id (the module makes the certificate and the alias record) or certificate_arn (yours; point the name at alb_dns_name, docs/SETUP.md). null: the plain-HTTP demo on the ALB's own name."
  type        = string
  default     = null
}

variable "alb_access_logs_bucket" {
  description = "S3 bucket for ALB access logs; null disables them."
  type        = string
  default     = null
}

variable "alb_deletion_protection" {
  description = "Protect the ALB from deletion."
  type        = bool
  default     = false
}

variable "test_listener_cidrs" {
  description = "CIDR blocks allowed to reach the CodeDeploy test listener (CodeDeploy strategies). The deploy pipeline verifies the replacement version there before production traffic moves, from GitHub-hosted runners whose addresses are not fixed, hence everyone by default; narrow it when the deploy runs from known addresses."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "deployment_strategy" {
  description = "rolling (ECS), blue_green, canary or linear (CodeDeploy). See docs/SETUP.md on switching."
  type        = string
  default     = "rolling"
}

variable "desired_count" {
  description = "Number of tasks the service starts with."
  type        = number
  default     = 2
}

variable "cpu" {
  description = "Task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
  default     = 512
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64."
  type        = string
  default     = "X86_64"
}

variable "capacity_provider_weights" {
  description = "Share of tasks on FARGATE and FARGATE_SPOT, and the number always on FARGATE (base)."
  type = object({
    fargate      = number
    fargate_spot = number
    base         = number
  })
  default = { fargate = 1, fargate_spot = 0, base = 1 }
}

variable "autoscaling" {
  description = "Service auto scaling (see the ecs module): on CPU only by default (requests_per_target = 0); a requests-per-target policy beside it when requests_per_target > 0. enabled = false switches it off, which the moto_server test run needs: moto cannot read back a scalable target."
  type = object({
    enabled             = optional(bool, true)
    min_capacity        = optional(number, 1)
    max_capacity        = optional(number, 4)
    cpu_target_percent  = optional(number, 70)
    requests_per_target = optional(number, 0)
    scale_in_cooldown   = optional(number, 300)
    scale_out_cooldown  = optional(number, 60)
  })
  default = {}
}

variable "container_insights" {
  description = "Container Insights on the cluster: enabled, enhanced or disabled."
  type        = string
  default     = "enabled"
}

variable "enable_execute_command" {
  description = "ECS Exec into the tasks: not supported, must stay false (the image has no shell and a read-only root file system)."
  type        = bool
  default     = false
}

variable "log_level" {
  description = "The service's LOG_LEVEL."
  type        = string
  default     = "info"
}

variable "log_retention_days" {
  description = "Retention of the service's log group, in days."
  type        = number
  default     = 30
}

variable "alarm_email" {
  description = "E-mail address for alarm notifications; null for none."
  type        = string
  default     = null
}

variable "alarm_thresholds" {
  description = "Alarm thresholds (see the cloudwatch module)."
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

variable "ecr_repository_name" {
  description = "Name of the image repository that infrastructure/bootstrap created for every environment (its output ecr_repository_name); null means service_name. This root reads it and never creates or deletes it."
  type        = string
  default     = null
}

variable "deploy_role_name" {
  description = "Name of this environment's GitHub Actions deploy role, created by infrastructure/bootstrap (output deploy_role_names); the deploy permissions are attached to it. null attaches none."
  type        = string
  default     = null
}

variable "timing_overrides" {
  description = "Per-environment changes to the timing budget in timing.json (same field names); the merged budget is validated as a whole."
  type        = map(number)
  default     = {}
}

variable "tags" {
  description = "Tags added to every resource, besides Project, Environment and ManagedBy."
  type        = map(string)
  default     = {}
}
