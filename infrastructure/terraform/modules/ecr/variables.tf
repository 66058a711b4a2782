variable "repository_name" {
  description = "Name of the ECR repository (for example hello-service)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.repository_name)) && length(var.repository_name) <= 256
    error_message = "repository_name must be lower-case letters and digits separated by '.', '_', '-' or '/' (ECR naming rules), at most 256 characters."
  }
}

variable "keep_release_images" {
  description = "Number of most recent images the lifecycle policy keeps; older ones expire (the image a rollback needs must be among them)."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_release_images >= 2 && floor(var.keep_release_images) == var.keep_release_images
    error_message = "keep_release_images must be a whole number of at least 2 (the running image and the one to roll back to)."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (left over from interrupted pushes) expire."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_expiry_days >= 1 && floor(var.untagged_expiry_days) == var.untagged_expiry_days
    error_message = "untagged_expiry_days must be a whole number of at least 1."
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
