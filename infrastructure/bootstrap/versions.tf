terraform {
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.70, < 6.0"
    }
  }

  # Local state on purpose: this root creates the bucket that every other state lives in.
  # Keep terraform.tfstate safe (or move it into the bucket afterwards; see README.md).
}
