locals {
  # An endpoint URL means an AWS API emulator (moto_server in this project's tests):
  # every service goes there, and the checks that need real AWS are skipped.
  emulated = var.aws_endpoint_url != ""
  endpoint = local.emulated ? var.aws_endpoint_url : null
}

provider "aws" {
  region = var.aws_region

  # Against an emulator a failing call must fail fast, not retry for a quarter of an hour.
  max_retries                 = local.emulated ? 2 : null
  skip_credentials_validation = local.emulated
  skip_metadata_api_check     = local.emulated
  skip_region_validation      = local.emulated
  skip_requesting_account_id  = false
  s3_use_path_style           = local.emulated

  endpoints {
    acm                    = local.endpoint
    applicationautoscaling = local.endpoint
    cloudwatch             = local.endpoint
    codedeploy             = local.endpoint
    ec2                    = local.endpoint
    ecr                    = local.endpoint
    ecs                    = local.endpoint
    elbv2                  = local.endpoint
    events                 = local.endpoint
    iam                    = local.endpoint
    kms                    = local.endpoint
    logs                   = local.endpoint
    route53                = local.endpoint
    s3                     = local.endpoint
    sns                    = local.endpoint
    ssm                    = local.endpoint
    sts                    = local.endpoint
  }

  default_tags {
    tags = local.tags
  }
}
