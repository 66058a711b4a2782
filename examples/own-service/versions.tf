terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.70, < 6.0"
    }
  }

  # A real environment keeps its state remotely, for example:
  # backend "s3" {}   (terraform init -backend-config=<env>.s3.tfbackend)
}
