terraform {
  # 1.7: mock providers in `terraform test`.
  required_version = ">= 1.7"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.100.0 is what the project's CI checks against; 6.x changes the ECS and
      # region arguments this code uses.
      version = ">= 5.70, < 6.0"
    }
  }

  # Partial configuration: each environment's bucket, key and lock table are in
  # environments/<env>.s3.tfbackend (terraform init -backend-config=...).
  backend "s3" {}
}
