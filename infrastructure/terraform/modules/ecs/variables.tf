variable "cluster_name" {
  description = "Name of the ECS cluster (for example hello-service-staging)."
  type        = string
}

variable "service_name" {
  description = "Name of the ECS service."
  type        = string
  default     = "hello-service"
}

variable "task_family" {
  description = "Family of the task definition (the deploy pipeline registers its revisions under the same family)."
  type        = string
}

variable "container_name" {
  description = "Name of the container in the task definition (and the awslogs stream prefix)."
  type        = string
  default     = "hello-service"
}

variable "image" {
  description = "Image of the first task definition revision Terraform registers (repository URL and version tag). Afterwards the deploy pipeline owns the running image; see README.md."
  type        = string
}

variable "container_port" {
  description = "Port the service listens on (its PORT)."
  type        = number
  default     = 5000
}

variable "readonly_root_filesystem" {
  description = "Run the container with a read-only root file system (ours writes nothing to it). false for an image that writes to its own file system."
  type        = bool
  default     = true
}

variable "liveness_command" {
  description = "The container health check (ECS healthCheck.command), exec form: [\"CMD\", program, args...] or [\"CMD-SHELL\", command]. Default: the service binary's own healthcheck subcommand (the image has no shell)."
  type        = list(string)
  default     = ["CMD", "/hello-service", "healthcheck"]
}

variable "container_environment" {
  description = "More environment variables of the container, after the service's own (APP_ENV, PORT, LOG_LEVEL, LOG_FORMAT, WORKERS, IDLE_TIMEOUT_S, DRAIN_DELAY_S, SHUTDOWN_TIMEOUT_S, EMF_INTERVAL_S), which they may not redefine. Plain text in the task definition: secrets go in container_secrets."
  type        = map(string)
  default     = {}
}

variable "container_secrets" {
  description = "Environment variables whose values ECS reads at task start: name to the ARN of an SSM parameter or a Secrets Manager secret (the execution role may read exactly these)."
  type        = map(string)
  default     = {}
}

variable "container_command" {
  description = "The container's command (exec form, overrides the image's CMD); null keeps the image's."
  type        = list(string)
  default     = null
}

variable "cpu" {
  description = "Task CPU units (256 = 0.25 vCPU)."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Task memory in MiB: a size Fargate offers for the chosen cpu (the service module checks it)."
  type        = number
  default     = 512
}

variable "cpu_architecture" {
  description = "CPU architecture of the task: X86_64 or ARM64 (Graviton; the image must be built for it)."
  type        = string
  default     = "X86_64"
}

variable "desired_count" {
  description = "Number of tasks the service starts with (auto scaling moves it between its bounds afterwards)."
  type        = number
  default     = 2
}

variable "vpc_id" {
  description = "ID of the VPC (for the tasks' security group)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets the tasks run in (no public IPs)."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the load balancer: the only source the tasks admit."
  type        = string
}

variable "target_group_arns" {
  description = "Target group ARNs by role: blue (always) and green (CodeDeploy strategies)."
  type        = map(string)

  validation {
    condition     = contains(keys(var.target_group_arns), "blue")
    error_message = "target_group_arns must contain the key blue."
  }
}

variable "target_group_names" {
  description = "Target group names by role (CodeDeploy names them, not ARNs)."
  type        = map(string)
  default     = {}
}

variable "production_listener_arn" {
  description = "Listener that serves clients (CodeDeploy strategies shift it)."
  type        = string
  default     = null
}

variable "test_listener_arn" {
  description = "CodeDeploy test listener (CodeDeploy strategies)."
  type        = string
  default     = null
}

variable "execution_role_arn" {
  description = "ARN of the task execution role."
  type        = string
}

variable "task_role_arn" {
  description = "ARN of the task role."
  type        = string
}

variable "codedeploy_role_arn" {
  description = "ARN of the CodeDeploy service role (CodeDeploy strategies)."
  type        = string
  default     = null
}

variable "log_group_name" {
  description = "CloudWatch log group of the container's awslogs driver."
  type        = string
}

variable "app_env" {
  description = "The service's APP_ENV (also the Environment dimension of its metrics)."
  type        = string
}

variable "log_level" {
  description = "The service's LOG_LEVEL."
  type        = string
  default     = "info"
}

variable "emf_interval_s" {
  description = "Seconds between the service's CloudWatch EMF records (EMF_INTERVAL_S)."
  type        = number
  default     = 60

  validation {
    condition     = var.emf_interval_s >= 1 && var.emf_interval_s <= 3600
    error_message = "emf_interval_s must be between 1 and 3600."
  }
}

variable "workers" {
  description = "The service's WORKERS (threads); null derives it from the task's CPU: one per whole vCPU, at least one."
  type        = number
  default     = null

  validation {
    condition     = coalesce(var.workers, 1) >= 1 && coalesce(var.workers, 1) <= 64
    error_message = "workers must be null or between 1 and 64."
  }
}

variable "timing" {
  description = "The validated timing budget (output budget of the timing module): stop timeout, drain and shutdown, idle timeout, grace period, container health check."
  type = object({
    drain_delay_s                         = number
    shutdown_timeout_s                    = number
    stop_timeout_s                        = number
    idle_timeout_s                        = number
    health_check_grace_period_s           = number
    container_health_check_interval_s     = number
    container_health_check_timeout_s      = number
    container_health_check_retries        = number
    container_health_check_start_period_s = number
  })
}

variable "deployment_strategy" {
  description = "How a new version replaces the old: rolling (ECS, circuit breaker and alarms roll back), blue_green (CodeDeploy, all at once), canary (CodeDeploy, 10 % for 5 minutes, then the rest) or linear (CodeDeploy, 10 % more every minute)."
  type        = string
  default     = "rolling"
}

variable "deployment_alarm_names" {
  description = "CloudWatch alarms that stop and roll back a deployment."
  type        = list(string)
  default     = []
}

variable "codedeploy_ready_wait_minutes" {
  description = "CodeDeploy strategies: minutes a deployment waits, with the test listener on the replacement task set and no production traffic on it, for the deploy pipeline's verification and its ContinueDeployment; after that it stops and rolls back."
  type        = number
  default     = 15
}

variable "blue_termination_wait_minutes" {
  description = "CodeDeploy strategies: minutes the old task set stays up after traffic moved (a cheap rollback window)."
  type        = number
  default     = 5

  validation {
    condition     = var.blue_termination_wait_minutes >= 0 && var.blue_termination_wait_minutes <= 2880
    error_message = "blue_termination_wait_minutes must be between 0 and 2880."
  }
}

variable "capacity_provider_weights" {
  description = "Share of tasks on FARGATE and FARGATE_SPOT (Spot costs about 70 % less and can be interrupted with 2 minutes' notice: for non-critical environments), and how many tasks always run on FARGATE (base)."
  type = object({
    fargate      = number
    fargate_spot = number
    base         = number
  })
  default = { fargate = 1, fargate_spot = 0, base = 1 }
}

variable "container_insights" {
  description = "CloudWatch Container Insights on the cluster: enabled, enhanced or disabled."
  type        = string
  default     = "enabled"
}

variable "enable_execute_command" {
  description = "ECS Exec into the tasks: must stay false (the service module refuses true). The image has no shell, the root file system is read-only (the SSM agent ECS Exec injects needs to write), and the endpoints_only network profile has no ssmmessages endpoint."
  type        = bool
  default     = false
}

variable "autoscaling" {
  description = "Service auto scaling: enabled; min and max tasks; target CPU percent; target requests per task per minute for a second policy, 0 (the default) for CPU only (rolling only, because it follows one target group; set it near the rate a task serves at the CPU target, see docs/OPTIMIZATION.md); cooldowns in seconds."
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

variable "alb_resource_label" {
  description = "app/<alb-name>/<id>/targetgroup/<tg-name>/<id> of the blue target group: the ALBRequestCountPerTarget scaling metric."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
