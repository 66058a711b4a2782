variable "repository_name" {
  description = "Name of the ECR repository (for example hello-service)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.repository_name)) && length(var.repository_name) <= 256
    error_message = "repository_name must be lower-case letters and digits separated by '.', '_', '-' or '/' (ECR naming rules), at most 256 characters."
  }
}

variable "keep_releases" {
  description = "Number of most recent releases (images with a tag matching release_tag_pattern) the lifecycle policy keeps; older releases expire unless a deployed_tag_patterns rule keeps them. Counts releases, not manifests: a release's untagged companions (per-architecture images, signatures, attestations) do not count."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_releases >= 2 && floor(var.keep_releases) == var.keep_releases
    error_message = "keep_releases must be a whole number of at least 2 (the running release and the one to roll back to)."
  }
}

variable "release_tag_pattern" {
  description = "ECR tag pattern (wildcard *) of release tags: the pipeline tags each release's image index with its version (MAJOR.MINOR.PATCH)."
  type        = string
  default     = "*.*.*"

  validation {
    condition     = length(var.release_tag_pattern) > 0 && length(regexall("\\*", var.release_tag_pattern)) <= 4 && var.release_tag_pattern != "*"
    error_message = "release_tag_pattern must be a tag pattern other than \"*\" with at most 4 wildcards (an ECR limit)."
  }
}

variable "deployed_tag_patterns" {
  description = "ECR tag patterns of deployment tags, one rule each, ahead of the release count: an image with such a tag (for example production-1.4.2, added when a version is deployed) is kept among the last keep_deployed_images of its pattern whatever the release count says, so what an environment runs and its rollback target never expire."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.deployed_tag_patterns : length(p) > 0 && p != "*" && length(regexall("\\*", p)) <= 4])
    error_message = "deployed_tag_patterns must be tag patterns other than \"*\" with at most 4 wildcards each."
  }
}

variable "keep_deployed_images" {
  description = "Number of most recent images each deployed_tag_patterns rule keeps (the running version and the ones a rollback may go back to)."
  type        = number
  default     = 10

  validation {
    condition     = var.keep_deployed_images >= 2 && floor(var.keep_deployed_images) == var.keep_deployed_images
    error_message = "keep_deployed_images must be a whole number of at least 2."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images expire; null (the default) expires none. An untagged rule would also expire what live releases hold untagged: the per-architecture images of a multi-arch index and OCI 1.1 referrers (cosign v3 signatures and attestations), which carry no tag."
  type        = number
  default     = null

  validation {
    condition     = var.untagged_expiry_days == null || (coalesce(var.untagged_expiry_days, 1) >= 1 && floor(coalesce(var.untagged_expiry_days, 1)) == coalesce(var.untagged_expiry_days, 1))
    error_message = "untagged_expiry_days must be null or a whole number of at least 1."
  }
}

variable "kms_key_arn" {
  description = "ARN of a customer-managed KMS key to encrypt images with; null uses AES256 (S3-managed keys)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN (arn:aws:kms:...)."
  }
}

variable "force_delete" {
  description = "Let Terraform delete the repository while it still holds images (for throw-away environments only)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
