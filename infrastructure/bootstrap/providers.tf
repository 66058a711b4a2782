locals {
  emulated = var.aws_endpoint_url != ""
  endpoint = local.emulated ? var.aws_endpoint_url : null
}

provider "aws" {
  region = var.aws_region

  max_retries                 = local.emulated ? 2 : null
  skip_credentials_validation = local.emulated
  skip_metadata_api_check     = local.emulated
  skip_region_validation      = local.emulated
  skip_requesting_account_id  = false
  s3_use_path_style           = local.emulated

  endpoints {
    dynamodb = local.endpoint
    ecr      = local.endpoint
    iam      = local.endpoint
    s3       = local.endpoint
    sts      = local.endpoint
  }

  default_tags {
    tags = merge(var.tags, { Project = var.project, ManagedBy = "terraform", Stack = "bootstrap" })
  }
}
