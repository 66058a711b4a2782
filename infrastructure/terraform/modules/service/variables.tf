variable "service_name" {
  description = "Name of the service: the ECS service, the container and the Service dimension of its metrics."
  type        = string
  default     = "hello-service"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.service_name))
    error_message = "service_name must be 3 to 20 lower-case letters, digits or '-', starting with a letter (names of the form <service>-<environment> must fit AWS's 32-character limits)."
  }
}

variable "environment" {
  description = "Environment name (staging, production, ...): part of every resource name and the service's APP_ENV."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.environment))
    error_message = "environment must be 2 to 10 lower-case letters or digits, starting with a letter."
  }
}

variable "image_tag" {
  description = "Version tag of the image Terraform's first task definition revision uses (push it to the repository before the first full apply). The deploy pipeline owns the running image afterwards."
  type        = string
  default     = "0.1.0"

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && var.image_tag != "latest"
    error_message = "image_tag must be a valid image tag other than latest (images are addressed by version)."
  }
}

variable "container_image" {
  description = "Full image reference of Terraform's first task definition revision (<registry>/<repository>:<tag> or @sha256:<digest>); null means the shared ECR repository (ecr_repository_name) at image_tag. The deploy pipeline owns the running image afterwards."
  type        = string
  default     = null

  validation {
    condition     = var.container_image == null || (can(regex("^[a-z0-9][^\\s@]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", coalesce(var.container_image, "x"))) && !endswith(coalesce(var.container_image, "x"), ":latest"))
    error_message = "container_image must be null or a full image reference ending in a version tag or a digest (<registry>/<repository>:<tag> or <registry>/<repository>@sha256:<digest>), not :latest."
  }
}

variable "container_port" {
  description = "Port the container listens on: the target group's port and the service's PORT."
  type        = number
  default     = 5000

  validation {
    condition     = var.container_port >= 1024 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be a whole number between 1024 and 65535 (the container runs as a non-root user)."
  }
}

variable "health_check_path" {
  description = "The readiness path the ALB checks on each task (a task that answers anything but 200 gets no traffic); ours answers 503 as soon as it starts draining."
  type        = string
  default     = "/ready"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$", var.health_check_path)) && length(var.health_check_path) <= 1024
    error_message = "health_check_path must be a URL path starting with '/' (at most 1024 characters, no query string)."
  }
}

variable "liveness_command" {
  description = "The container health check (ECS healthCheck.command), exec form: [\"CMD\", program, args...] or [\"CMD-SHELL\", command]. Default: our binary's own healthcheck (the image has no shell). ECS replaces a task that fails it."
  type        = list(string)
  default     = ["CMD", "/hello-service", "healthcheck"]

  validation {
    condition     = length(var.liveness_command) >= 2 && contains(["CMD", "CMD-SHELL"], var.liveness_command[0])
    error_message = "liveness_command must be [\"CMD\", program, args...] or [\"CMD-SHELL\", command] (ECS healthCheck.command)."
  }
}

variable "container_environment" {
  description = "More environment variables of the container (plain text in the task definition; secrets go in container_secrets). They may not redefine the ones the module sets: APP_ENV, PORT, LOG_LEVEL, LOG_FORMAT, WORKERS, IDLE_TIMEOUT_S, DRAIN_DELAY_S, SHUTDOWN_TIMEOUT_S, EMF_INTERVAL_S."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.container_environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "container_environment names must be environment variable names (letters, digits, '_', not starting with a digit)."
  }
  validation {
    condition     = length(setintersection(keys(var.container_environment), ["APP_ENV", "PORT", "LOG_LEVEL", "LOG_FORMAT", "WORKERS", "IDLE_TIMEOUT_S", "DRAIN_DELAY_S", "SHUTDOWN_TIMEOUT_S", "EMF_INTERVAL_S"])) == 0
    error_message = "container_environment may not set APP_ENV, PORT, LOG_LEVEL, LOG_FORMAT, WORKERS, IDLE_TIMEOUT_S, DRAIN_DELAY_S, SHUTDOWN_TIMEOUT_S or EMF_INTERVAL_S: the module sets them from its own inputs."
  }
}

variable "container_secrets" {
  description = "Environment variables whose values ECS reads when a task starts: name to the ARN of an SSM parameter or a Secrets Manager secret. The execution role may read exactly these (ssm:GetParameters, secretsmanager:GetSecretValue); a parameter or secret encrypted with a customer managed KMS key also needs kms:Decrypt on that key, which this module does not grant."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.container_secrets) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "container_secrets names must be environment variable names (letters, digits, '_', not starting with a digit)."
  }
  validation {
    condition     = alltrue([for v in values(var.container_secrets) : can(regex("^arn:aws[a-z-]*:(ssm:[a-z0-9-]+:[0-9]{12}:parameter/.+|secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+)$", v))])
    error_message = "container_secrets values must be full ARNs of SSM parameters (arn:aws:ssm:<region>:<account>:parameter/<name>) or Secrets Manager secrets (arn:aws:secretsmanager:<region>:<account>:secret:<name>)."
  }
  validation {
    condition     = length(setintersection(keys(var.container_secrets), keys(var.container_environment))) == 0
    error_message = "A name may be in container_environment or in container_secrets, not both."
  }
}

variable "container_command" {
  description = "The container's command, exec form (replaces the image's CMD); null keeps the image's."
  type        = list(string)
  default     = null

  validation {
    condition     = var.container_command == null || try(length(var.container_command) > 0, false)
    error_message = "container_command must be null or a non-empty list of strings."
  }
}

variable "readonly_root_filesystem" {
  description = "Run the container with a read-only root file system (ours writes nothing to it); false for an image that writes to its own file system."
  type        = bool
  default     = true
}

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && can(regex("/(1[6-9]|20)$", var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block from /16 to /20 (room for the /24 subnets)."
  }
}

variable "az_count" {
  description = "Number of availability zones (2 or 3)."
  type        = number
  default     = 2

  validation {
    condition     = contains([2, 3], var.az_count)
    error_message = "az_count must be 2 or 3: an ALB needs two zones, and three is the most this layout carves."
  }
}

variable "network_profile" {
  description = "Network cost profile: ha_nat (a NAT gateway per zone), single_nat (one NAT gateway) or endpoints_only (no NAT, VPC endpoints only). See docs/SETUP.md for the monthly cost of each."
  type        = string
  default     = "ha_nat"

  validation {
    condition     = contains(["ha_nat", "single_nat", "endpoints_only"], var.network_profile)
    error_message = "network_profile must be one of ha_nat, single_nat, endpoints_only."
  }
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

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", coalesce(var.certificate_arn, "x")))
    error_message = "certificate_arn must be null or an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."
  }
}

variable "route53_zone_id" {
  description = "The Route 53 hosted zone that holds domain_name. With it the module makes the DNS-validated ACM certificate (unless certificate_arn is given) and the alias record that points domain_name at the load balancer. null: both are yours."
  type        = string
  default     = null

  validation {
    condition     = var.route53_zone_id == null || can(regex("^Z[A-Z0-9]{1,31}$", coalesce(var.route53_zone_id, "x")))
    error_message = "route53_zone_id must be null or a hosted zone ID such as Z0123456789ABCDEFGHIJ."
  }
}

variable "domain_name" {
  description = "The name clients use, such as app.example.com: it becomes service_url (https://<domain_name>), the URL the pipeline verifies. Give with it route53_zone_id (the module makes the certificate and the alias record) or certificate_arn (yours; point the name at alb_dns_name, docs/SETUP.md). null: the plain-HTTP demo on the ALB's own name."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be null or a lower-case DNS name such as app.example.com (no scheme, port or path)."
  }
  validation {
    condition     = var.domain_name == null || var.certificate_arn != null || var.route53_zone_id != null
    error_message = "domain_name needs route53_zone_id (the module then makes a DNS-validated certificate and the alias record) or certificate_arn (a certificate of yours for that name): HTTPS is what the pipeline verifies on it."
  }
  validation {
    condition     = var.domain_name != null || (var.certificate_arn == null && var.route53_zone_id == null)
    error_message = "certificate_arn and route53_zone_id need domain_name, the name the certificate covers and the record is made for: the pipeline verifies https://<domain_name>, and the ALB's own DNS name is covered by no certificate of yours."
  }
}

variable "alb_access_logs_bucket" {
  description = "S3 bucket for ALB access logs; null disables them."
  type        = string
  default     = null

  validation {
    condition     = var.alb_access_logs_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.alb_access_logs_bucket, "x")))
    error_message = "alb_access_logs_bucket must be null or an S3 bucket name (3 to 63 lower-case letters, digits, '.' or '-', starting and ending with a letter or digit)."
  }
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

  validation {
    condition     = alltrue([for c in var.test_listener_cidrs : can(cidrhost(c, 0))])
    error_message = "test_listener_cidrs must be valid IPv4 CIDR blocks."
  }
}

variable "deployment_strategy" {
  description = "rolling (ECS), blue_green, canary or linear (CodeDeploy). See docs/SETUP.md on switching."
  type        = string
  default     = "rolling"

  validation {
    condition     = contains(["rolling", "blue_green", "canary", "linear"], var.deployment_strategy)
    error_message = "deployment_strategy must be one of rolling, blue_green, canary, linear."
  }
}

variable "desired_count" {
  description = "Number of tasks the service starts with."
  type        = number
  default     = 2

  validation {
    condition     = var.desired_count >= 1 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number of at least 1."
  }
  validation {
    condition     = !var.autoscaling.enabled || (var.desired_count >= var.autoscaling.min_capacity && var.desired_count <= var.autoscaling.max_capacity)
    error_message = "desired_count must lie between autoscaling.min_capacity and autoscaling.max_capacity."
  }
}

variable "cpu" {
  description = "Task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.cpu)
    error_message = "cpu must be one of 256, 512, 1024, 2048, 4096 (Fargate task sizes)."
  }
}

variable "memory" {
  description = "Task memory in MiB."
  type        = number
  default     = 512

  # Fargate's sizes per cpu (at most 30720 MiB); checked only for a valid cpu, which the
  # cpu rule reports otherwise.
  validation {
    condition     = !contains(keys(local.fargate_memory), tostring(var.cpu)) || contains(lookup(local.fargate_memory, tostring(var.cpu), []), var.memory)
    error_message = "memory ${var.memory} MiB is not a Fargate size for cpu ${var.cpu}; allowed: ${join(", ", lookup(local.fargate_memory, tostring(var.cpu), []))}."
  }
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "capacity_provider_weights" {
  description = "Share of tasks on FARGATE and FARGATE_SPOT, and the number always on FARGATE (base)."
  type = object({
    fargate      = number
    fargate_spot = number
    base         = number
  })
  default = { fargate = 1, fargate_spot = 0, base = 1 }

  validation {
    condition = (var.capacity_provider_weights.fargate >= 0 && var.capacity_provider_weights.fargate_spot >= 0 &&
      var.capacity_provider_weights.fargate + var.capacity_provider_weights.fargate_spot > 0 &&
    var.capacity_provider_weights.base >= 0 && var.capacity_provider_weights.base <= 100000)
    error_message = "capacity_provider_weights: weights must be at least 0 with a positive sum, and base between 0 and 100000."
  }
  validation {
    condition     = var.cpu_architecture != "ARM64" || var.capacity_provider_weights.fargate_spot == 0
    error_message = "ARM64 tasks cannot run on Fargate Spot: with cpu_architecture = \"ARM64\" set capacity_provider_weights.fargate_spot to 0."
  }
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

  validation {
    condition = (var.autoscaling.min_capacity >= 1 &&
    var.autoscaling.max_capacity >= var.autoscaling.min_capacity)
    error_message = "autoscaling.min_capacity must be at least 1 and autoscaling.max_capacity at least min_capacity."
  }
  validation {
    condition     = var.autoscaling.cpu_target_percent > 0 && var.autoscaling.cpu_target_percent < 100
    error_message = "autoscaling.cpu_target_percent must be between 0 and 100 (exclusive)."
  }
  validation {
    condition     = var.autoscaling.requests_per_target >= 0 && var.autoscaling.scale_in_cooldown >= 0 && var.autoscaling.scale_out_cooldown >= 0
    error_message = "autoscaling.requests_per_target and the cooldowns must be at least 0."
  }
}

variable "container_insights" {
  description = "Container Insights on the cluster: enabled, enhanced or disabled."
  type        = string
  default     = "enabled"

  validation {
    condition     = contains(["enabled", "enhanced", "disabled"], var.container_insights)
    error_message = "container_insights must be one of enabled, enhanced, disabled."
  }
}

variable "enable_execute_command" {
  description = "ECS Exec into the tasks: not supported, must stay false (the image has no shell and a read-only root file system)."
  type        = bool
  default     = false

  validation {
    condition     = !var.enable_execute_command
    error_message = "enable_execute_command is not supported: ECS Exec needs a shell in the image, a writable root file system for its SSM agent, and a route to ssmmessages. Read the service's logs and /info instead."
  }
}

variable "log_level" {
  description = "The service's LOG_LEVEL."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be one of debug, info, warn, error."
  }
}

variable "log_retention_days" {
  description = "Retention of the service's log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ... 3653); never 0 (forever)."
  }
}

variable "alarm_email" {
  description = "E-mail address for alarm notifications; null for none."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", coalesce(var.alarm_email, "x")))
    error_message = "alarm_email must be null or an e-mail address."
  }
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

  validation {
    condition = alltrue([for p in [var.alarm_thresholds.cpu_percent, var.alarm_thresholds.memory_percent, var.alarm_thresholds.error_5xx_percent] :
    p > 0 && p <= 100])
    error_message = "alarm_thresholds.cpu_percent, memory_percent and error_5xx_percent must be percentages above 0 and at most 100."
  }
  validation {
    condition     = var.alarm_thresholds.p99_latency_s > 0 && var.alarm_thresholds.unhealthy_hosts >= 0
    error_message = "alarm_thresholds.p99_latency_s must be above 0 and alarm_thresholds.unhealthy_hosts at least 0."
  }
  validation {
    condition = (var.alarm_thresholds.spot_interruptions >= 1 && floor(var.alarm_thresholds.spot_interruptions) == var.alarm_thresholds.spot_interruptions &&
    var.alarm_thresholds.spot_interruptions_period_s >= 60 && var.alarm_thresholds.spot_interruptions_period_s <= 86400 && var.alarm_thresholds.spot_interruptions_period_s % 60 == 0)
    error_message = "alarm_thresholds.spot_interruptions must be a whole number of at least 1, and spot_interruptions_period_s a multiple of 60 seconds up to 86400."
  }
}

variable "ecr_repository_name" {
  description = "Name of the image repository that infrastructure/bootstrap created for every environment (its output ecr_repository_name); null means service_name. This root reads it and never creates or deletes it."
  type        = string
  default     = null

  validation {
    condition     = var.ecr_repository_name == null || can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.ecr_repository_name))
    error_message = "ecr_repository_name must be null or a valid ECR repository name (lower-case letters, digits, and . _ - / between them)."
  }
}

variable "deploy_role_name" {
  description = "Name of this environment's GitHub Actions deploy role, created by infrastructure/bootstrap (output deploy_role_names); the deploy permissions are attached to it. null attaches none."
  type        = string
  default     = null

  validation {
    condition     = var.deploy_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", coalesce(var.deploy_role_name, "x")))
    error_message = "deploy_role_name must be null or an IAM role name (1 to 64 letters, digits or +=,.@_-), not an ARN."
  }
}

variable "timing" {
  description = "The timing budget, for a service whose drain differs from ours: values that replace those of the project's timing.json (same field names, see modules/timing/README.md); the merged budget is validated as a whole. Empty: timing.json as it is."
  type        = map(number)
  default     = {}

  validation {
    condition = alltrue([for k in keys(var.timing) : contains([
      "alb_health_check_interval_s", "alb_health_check_timeout_s", "alb_healthy_threshold",
      "alb_unhealthy_threshold", "alb_deregistration_delay_s", "alb_idle_timeout_s", "drain_margin_s",
      "drain_delay_s", "shutdown_timeout_s", "stop_timeout_s", "idle_timeout_s", "health_check_grace_period_s",
      "container_health_check_interval_s", "container_health_check_timeout_s",
      "container_health_check_retries", "container_health_check_start_period_s", "codedeploy_ready_wait_minutes",
    ], k)])
    error_message = "timing may only name fields of timing.json (see infrastructure/terraform/modules/timing/README.md)."
  }
}

