# The bootstrap root: a state bucket that is versioned, encrypted, private and TLS-only,
# a lock table, and deploy roles that only this repository's environment jobs can assume.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_data "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = {
      arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    }
  }
  mock_resource "aws_s3_bucket" {
    defaults = {
      arn = "arn:aws:s3:::hello-service-tfstate-123456789012"
    }
  }
  mock_resource "aws_ecr_repository" {
    defaults = {
      arn            = "arn:aws:ecr:us-east-1:123456789012:repository/hello-service"
      repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/mocked"
    }
  }
}

variables {
  github_repository = "example-org/hello-service"
}

run "defaults" {
  command = apply

  assert {
    condition     = aws_s3_bucket.state.bucket == "hello-service-tfstate-123456789012" && !aws_s3_bucket.state.force_destroy
    error_message = "The bucket is named after the account and is never force-destroyed."
  }
  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "State versions are kept."
  }
  assert {
    condition     = [for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : r.apply_server_side_encryption_by_default[0].sse_algorithm] == ["AES256"]
    error_message = "State is encrypted at rest."
  }
  assert {
    condition = (aws_s3_bucket_public_access_block.state.block_public_acls && aws_s3_bucket_public_access_block.state.block_public_policy &&
    aws_s3_bucket_public_access_block.state.ignore_public_acls && aws_s3_bucket_public_access_block.state.restrict_public_buckets)
    error_message = "All public access is blocked."
  }
  assert {
    condition = (jsondecode(aws_s3_bucket_policy.state_tls_only[0].policy).Statement[0].Effect == "Deny" &&
    jsondecode(aws_s3_bucket_policy.state_tls_only[0].policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false")
    error_message = "Requests without TLS are denied."
  }
  assert {
    condition     = length(aws_dynamodb_table.locks) == 0 && output.lock_table == null
    error_message = "No lock table by default: the backends lock in the bucket (use_lockfile)."
  }
  assert {
    condition     = aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The GitHub OIDC provider with the STS audience."
  }
  assert {
    condition     = toset(keys(aws_iam_role.deploy)) == toset(["staging", "production"]) && aws_iam_role.deploy["production"].name == "hello-service-production-deploy"
    error_message = "One deploy role per environment."
  }
  assert {
    condition = (jsondecode(aws_iam_role.deploy["production"].assume_role_policy).Statement[0].Condition.StringEquals == {
      "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
      "token.actions.githubusercontent.com:sub" = "repo:example-org/hello-service:environment:production"
    })
    error_message = "The production role trusts only jobs of this repository in the production environment (exact match, no wildcard)."
  }
  assert {
    condition = (jsondecode(aws_iam_role.deploy["staging"].assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity" &&
      jsondecode(aws_iam_role.deploy["staging"].assume_role_policy).Statement[0].Principal.Federated == aws_iam_openid_connect_provider.github[0].arn &&
    !can(jsondecode(aws_iam_role.deploy["staging"].assume_role_policy).Statement[0].Condition.StringLike))
    error_message = "The staging role is assumed only through the GitHub OIDC provider, with no StringLike (wildcard) condition."
  }
  assert {
    condition = (module.ecr.repository_name == "hello-service" && output.ecr_repository_name == "hello-service" &&
    output.ecr_repository_url == "123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service")
    error_message = "One image repository for every environment, named after the project."
  }
  assert {
    condition     = aws_iam_role_policy.publish_images.role == "hello-service-staging-deploy"
    error_message = "Only the publishing environment's (staging's) deploy role may push."
  }
  assert {
    condition = ([for st in jsondecode(aws_iam_role_policy.publish_images.policy).Statement : st.Resource if st.Sid == "PublishToThisRepository"] ==
      ["arn:aws:ecr:us-east-1:123456789012:repository/hello-service"] &&
    contains([for st in jsondecode(aws_iam_role_policy.publish_images.policy).Statement : st.Action if st.Sid == "PublishToThisRepository"][0], "ecr:PutImage"))
    error_message = "The publisher pushes to this one repository."
  }
  assert {
    condition = (toset(keys(aws_iam_role.terraform)) == toset(["staging", "production"]) &&
    aws_iam_role_policy_attachment.terraform["staging"].policy_arn == "arn:aws:iam::aws:policy/AdministratorAccess")
    error_message = "An apply role per environment."
  }
  assert {
    condition = (jsondecode(aws_iam_role.terraform["production"].assume_role_policy).Statement[0].Condition.StringEquals == {
      "token.actions.githubusercontent.com:aud" = "sts.amazonaws.com"
      "token.actions.githubusercontent.com:sub" = "repo:example-org/hello-service:environment:production-infrastructure"
    })
    error_message = "The production apply role trusts only jobs in the production-infrastructure environment."
  }
  assert {
    condition = alltrue([for env in ["staging", "production"] :
      !strcontains(aws_iam_role.terraform[env].assume_role_policy, ":environment:${env}\"") &&
    !strcontains(aws_iam_role.deploy[env].assume_role_policy, "-infrastructure")])
    error_message = "No job of a deploy environment can assume an apply role (AdministratorAccess), and no infrastructure job a deploy role."
  }
  assert {
    condition     = output.infrastructure_environments == { staging = "staging-infrastructure", production = "production-infrastructure" }
    error_message = "The output names the GitHub environments to create for the applies."
  }
  assert {
    condition = ([for r in jsondecode(module.ecr.lifecycle_policy).rules : "${r.selection.tagStatus} ${join(",", r.selection.tagPatternList)}"] ==
    ["tagged staging-*", "tagged production-*", "tagged *.*.*"])
    error_message = "The repository keeps each environment's deployed images ahead of the release count, and expires nothing untagged."
  }
  assert {
    condition = (jsondecode(aws_iam_role.terraform_plan[0].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:example-org/hello-service:pull_request" &&
    aws_iam_role_policy_attachment.terraform_plan[0].policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess")
    error_message = "Pull-request plans get a read-only role trusted by this repository's pull requests only."
  }
  assert {
    condition     = output.backend_config["staging"] == "bucket         = \"hello-service-tfstate-123456789012\"\nkey            = \"hello-service/staging/terraform.tfstate\"\nregion         = \"us-east-1\"\nencrypt        = true\nuse_lockfile   = true"
    error_message = "backend_config gives each environment's .s3.tfbackend contents, locking in the bucket."
  }
}

run "existing_oidc_provider_kms_and_emulator" {
  command = apply
  variables {
    create_oidc_provider = false
    state_kms_key_arn    = "arn:aws:kms:us-east-1:123456789012:key/0000"
    enforce_tls          = false
    state_bucket_name    = "my-state-bucket"
    create_lock_table    = true
  }

  assert {
    condition     = aws_dynamodb_table.locks[0].hash_key == "LockID" && aws_dynamodb_table.locks[0].billing_mode == "PAY_PER_REQUEST" && aws_dynamodb_table.locks[0].server_side_encryption[0].enabled && output.lock_table == "hello-service-terraform-locks"
    error_message = "create_lock_table: a LockID lock table, on demand, encrypted (for an emulator without S3 conditional writes)."
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0 && output.oidc_provider_arn == "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    error_message = "create_oidc_provider = false uses the existing provider."
  }
  assert {
    condition     = [for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : r.apply_server_side_encryption_by_default[0].sse_algorithm] == ["aws:kms"]
    error_message = "A KMS key switches the bucket to SSE-KMS."
  }
  assert {
    condition     = length(aws_s3_bucket_policy.state_tls_only) == 0 && aws_s3_bucket.state.bucket == "my-state-bucket"
    error_message = "enforce_tls = false drops the TLS-only policy (for an emulator); state_bucket_name names the bucket."
  }
}

run "other_publisher_without_terraform_roles" {
  command = apply
  variables {
    image_publisher_environment = "production"
    ecr_repository_name         = "team/hello"
    terraform_roles             = false
  }

  assert {
    condition     = aws_iam_role_policy.publish_images.role == "hello-service-production-deploy" && module.ecr.repository_name == "team/hello"
    error_message = "image_publisher_environment picks the pushing role; ecr_repository_name names the repository."
  }
  assert {
    condition     = length(aws_iam_role.terraform) == 0 && length(aws_iam_role.terraform_plan) == 0 && output.terraform_plan_role_arn == null
    error_message = "terraform_roles = false creates no Terraform roles."
  }
}

run "invalid_image_publisher_environment" {
  command = plan
  variables {
    image_publisher_environment = "qa"
  }
  expect_failures = [aws_iam_role_policy.publish_images]
}

run "invalid_ecr_repository_name" {
  command = plan
  variables {
    ecr_repository_name = "Hello Service"
  }
  expect_failures = [var.ecr_repository_name]
}

run "invalid_terraform_policy_arn" {
  command = plan
  variables {
    terraform_policy_arn = "AdministratorAccess"
  }
  expect_failures = [var.terraform_policy_arn]
}

run "invalid_github_repository_wildcard" {
  command = plan
  variables {
    github_repository = "example-org/*"
  }
  expect_failures = [var.github_repository]
}

run "invalid_environments" {
  command = plan
  variables {
    environments = ["Production"]
  }
  expect_failures = [var.environments]
}

run "invalid_aws_region" {
  command = plan
  variables {
    aws_region = "us-east"
  }
  expect_failures = [var.aws_region]
}

run "invalid_aws_endpoint_url" {
  command = plan
  variables {
    aws_endpoint_url = "localhost"
  }
  expect_failures = [var.aws_endpoint_url]
}

run "invalid_project" {
  command = plan
  variables {
    project = "Hello_Service"
  }
  expect_failures = [var.project]
}

run "invalid_state_bucket_name" {
  command = plan
  variables {
    state_bucket_name = "My_Bucket"
  }
  expect_failures = [var.state_bucket_name]
}

run "invalid_state_kms_key_arn" {
  command = plan
  variables {
    state_kms_key_arn = "alias/state"
  }
  expect_failures = [var.state_kms_key_arn]
}

# GitHub's immutable subject claims (repo:<owner>@<id>/<repo>@<id>:...): with the IDs the
# roles trust that form too, each subject exactly.
run "immutable_subject_claims" {
  command = plan
  variables {
    github_repository_ids = { owner = 123456, repository = 456789 }
  }

  assert {
    condition = jsondecode(aws_iam_role.terraform_plan[0].assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == [
      "repo:example-org/hello-service:pull_request", "repo:example-org@123456/hello-service@456789:pull_request",
    ]
    error_message = "The plan role trusts the pull requests of this repository under both subject forms."
  }
}

run "invalid_repository_ids" {
  command = plan
  variables {
    github_repository_ids = { owner = 0, repository = 1.5 }
  }
  expect_failures = [var.github_repository_ids]
}
