variable "aws_region" {
  description = "AWS region of the state bucket and lock table."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as us-east-1 or eu-west-1."
  }
}

variable "aws_endpoint_url" {
  description = "Send every AWS API call to this URL (an emulator, for tests). Empty means real AWS."
  type        = string
  default     = ""

  validation {
    condition     = var.aws_endpoint_url == "" || can(regex("^https?://[^/\\s]+/?$", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be empty or a base URL such as http://127.0.0.1:5000."
  }
}

variable "project" {
  description = "Project name: prefix of the bucket, table and role names."
  type        = string
  default     = "hello-service"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.project))
    error_message = "project must be 3 to 32 lower-case letters, digits or '-', starting with a letter."
  }
}

variable "state_bucket_name" {
  description = "Name of the state bucket; null makes <project>-tfstate-<account id> (bucket names are global)."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be null or a valid S3 bucket name (3 to 63 lower-case letters, digits, '.' and '-')."
  }
}

variable "state_kms_key_arn" {
  description = "KMS key for the state bucket; null uses SSE-S3 (AES256)."
  type        = string
  default     = null

  validation {
    condition     = var.state_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.state_kms_key_arn))
    error_message = "state_kms_key_arn must be null or a KMS key ARN."
  }
}

variable "enforce_tls" {
  description = "Deny every non-TLS request to the state bucket by bucket policy. Only an emulator serving plain HTTP needs this off."
  type        = bool
  default     = true
}

variable "github_repository" {
  description = "The GitHub repository (owner/name) whose workflows may assume the deploy roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$", var.github_repository))
    error_message = "github_repository must be <owner>/<repository>, such as octo-org/hello-service (no wildcards)."
  }
}

variable "github_repository_ids" {
  description = "The immutable numeric IDs of github_repository's owner and of the repository. GitHub's OIDC subject claim names them (repo:<owner>@<owner id>/<repo>@<repo id>:...) for repositories created or renamed since 2026-07-15, or that opted in; the roles then trust that form besides the name-only one. null: the name-only form only."
  type = object({
    owner      = number
    repository = number
  })
  default = null

  validation {
    condition     = var.github_repository_ids == null || try(var.github_repository_ids.owner > 0 && var.github_repository_ids.repository > 0 && floor(var.github_repository_ids.owner) == var.github_repository_ids.owner && floor(var.github_repository_ids.repository) == var.github_repository_ids.repository, false)
    error_message = "github_repository_ids must be null or whole positive numbers { owner = ..., repository = ... } (GitHub's IDs of the owner and the repository)."
  }
}

variable "environments" {
  description = "GitHub environments that get a deploy role each; a role trusts only workflow jobs that run in its environment."
  type        = list(string)
  default     = ["staging", "production"]

  validation {
    condition     = length(var.environments) > 0 && alltrue([for e in var.environments : can(regex("^[a-z][a-z0-9]{1,9}$", e))])
    error_message = "environments must be a non-empty list of 2 to 10 lower-case letters or digits each, starting with a letter (the same names as the root module's environment)."
  }
}

variable "create_oidc_provider" {
  description = "Create the GitHub OIDC provider; false uses the one that already exists in the account (there can be only one per URL)."
  type        = bool
  default     = true
}

variable "image_publisher_environment" {
  description = "The environment whose deploy role may push images to the repository (the pipeline's build job runs in it); every environment's deploy role may pull."
  type        = string
  default     = "staging"
}

variable "ecr_repository_name" {
  description = "Name of the image repository that every environment deploys from; null uses project."
  type        = string
  default     = null

  validation {
    condition     = var.ecr_repository_name == null || can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.ecr_repository_name))
    error_message = "ecr_repository_name must be null or a valid ECR repository name (lower-case letters, digits, and . _ - / between them)."
  }
}

variable "ecr_keep_releases" {
  description = "Number of most recent releases (version-tagged image indexes) the repository keeps; a release's signatures, attestations and per-architecture images do not count."
  type        = number
  default     = 30
}

variable "ecr_keep_deployed_images" {
  description = "Number of most recent images tagged <environment>-* the repository keeps per environment, whatever the release count: the running version and its rollback targets, once the deploy tags what it deploys <environment>-<version> (modules/ecr/README.md)."
  type        = number
  default     = 10
}

variable "ecr_untagged_expiry_days" {
  description = "Days after which untagged images expire; null (the default) expires none (OCI 1.1 signatures and attestations, and per-architecture images, carry no tag)."
  type        = number
  default     = null
}

variable "create_lock_table" {
  description = "Create a DynamoDB lock table. The backends lock with use_lockfile in the state bucket and need none; only an emulator without S3 conditional writes (the project's moto run) needs the table."
  type        = bool
  default     = false
}

variable "ecr_force_delete" {
  description = "Let destroy delete the repository with its images (throw-away accounts and tests only)."
  type        = bool
  default     = false
}

variable "terraform_roles" {
  description = "Create the roles terraform.yml runs with: <project>-<env>-terraform per environment (apply) and <project>-terraform-plan (read-only, pull requests)."
  type        = bool
  default     = true
}

variable "terraform_policy_arn" {
  description = "Managed policy of the apply roles; null uses AdministratorAccess (the stack creates VPCs, load balancers and IAM roles)."
  type        = string
  default     = null

  validation {
    condition     = var.terraform_policy_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/", var.terraform_policy_arn))
    error_message = "terraform_policy_arn must be null or an IAM managed policy ARN (arn:aws:iam::<account or aws>:policy/...)."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
