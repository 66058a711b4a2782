terraform {
  # 1.7: mock providers in `terraform test`; 1.10: S3-native state locking (use_lockfile in
  # environments/<env>.s3.tfbackend).
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.100.0 is what the project's CI checks against; 6.x changes the ECS and
      # region arguments this code uses.
      version = ">= 5.70, < 6.0"
    }
  }

  # Partial configuration: each environment's bucket, key and locking are in
  # environments/<env>.s3.tfbackend (terraform init -backend-config=...).
  backend "s3" {}
}
