variable "name" {
  description = "Name prefix of the roles and policies (for example hello-service-staging)."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ARN of the one ECR repository (shared by the environments) the execution role and the deploy role may pull from."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecr:", var.ecr_repository_arn))
    error_message = "ecr_repository_arn must be an ECR repository ARN (arn:aws:ecr:...)."
  }
}

variable "log_group_arn" {
  description = "ARN of the one log group the execution role may write to."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:logs:", var.log_group_arn))
    error_message = "log_group_arn must be a CloudWatch Logs log group ARN (arn:aws:logs:...)."
  }
}

variable "cluster_name" {
  description = "ECS cluster name: the deploy role may update only the service in it."
  type        = string
}

variable "ecs_service_name" {
  description = "ECS service name: the one service the deploy role may update."
  type        = string
}

variable "task_family" {
  description = "Task definition family: the deploy role may register revisions of this family only."
  type        = string
}

variable "task_role_policy_json" {
  description = "IAM policy (JSON) for what the application itself may call; null leaves the task role without permissions (the service calls no AWS API)."
  type        = string
  default     = null

  validation {
    condition     = var.task_role_policy_json == null || can(jsondecode(var.task_role_policy_json))
    error_message = "task_role_policy_json must be null or a JSON policy document."
  }
}

variable "codedeploy" {
  description = "Create the CodeDeploy service role and let the deploy role drive this service's CodeDeploy application."
  type        = bool
  default     = false
}

variable "codedeploy_app_name" {
  description = "Name of the CodeDeploy application (with codedeploy)."
  type        = string
  default     = null
}

variable "codedeploy_group_name" {
  description = "Name of the CodeDeploy deployment group (with codedeploy)."
  type        = string
  default     = null
}

variable "deploy_role_name" {
  description = "Name of the GitHub Actions deploy role that infrastructure/bootstrap created (it carries the OIDC trust); this module attaches the deploy permissions to it. null attaches nothing."
  type        = string
  default     = null
}

variable "deploy_settings_parameter_name" {
  description = "Name of the SSM parameter holding the deploy settings (root output deploy_settings_parameter); the deploy role may read it. null grants nothing."
  type        = string
  default     = null
}

variable "secret_arns" {
  description = "ARNs of the SSM parameters and Secrets Manager secrets the container reads at start (its secrets): the execution role may read exactly these."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
