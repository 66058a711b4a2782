data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  bucket_name     = coalesce(var.state_bucket_name, "${var.project}-tfstate-${data.aws_caller_identity.current.account_id}")
  github_host     = "token.actions.githubusercontent.com"
  oidc_arn        = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
  environments    = toset(var.environments)
  repository_name = coalesce(var.ecr_repository_name, var.project)

  # The GitHub environment the infrastructure applies of an environment run in: its own,
  # so that a job of the deploy environment can never assume the apply role.
  infrastructure_environments = { for env in var.environments : env => "${env}-infrastructure" }

  # A role with this trust is assumed only by a workflow job of this repository that runs
  # in the given GitHub environment (exact match: no wildcards, no branches, no pull
  # requests). Keyed by GitHub environment name.
  # The repository as the subject claim names it: <owner>/<repo>, and with
  # github_repository_ids also GitHub's immutable form <owner>@<id>/<repo>@<id> (the default
  # for repositories created or renamed since 2026-07-15). StringEquals with a list matches
  # either, each exactly; with one form the condition stays a single string.
  github_subject_repos = concat([var.github_repository], var.github_repository_ids == null ? [] : [
    "${split("/", var.github_repository)[0]}@${var.github_repository_ids.owner}/${split("/", var.github_repository)[1]}@${var.github_repository_ids.repository}"
  ])

  github_trust = { for env in concat(var.environments, values(local.infrastructure_environments)) : env => jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.oidc_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.github_host}:aud" = "sts.amazonaws.com"
          "${local.github_host}:sub" = jsondecode(length(local.github_subject_repos) == 1 ? jsonencode("repo:${var.github_repository}:environment:${env}") : jsonencode([for r in local.github_subject_repos : "repo:${r}:environment:${env}"]))
        }
      }
    }]
  }) }
}

resource "aws_s3_bucket" "state" {
  bucket = local.bucket_name

  # A bucket holding state versions cannot be deleted by Terraform: that is the point.
  force_destroy = false
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.state_kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.state_kms_key_arn
    }
    bucket_key_enabled = var.state_kms_key_arn != null
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "state_tls_only" {
  count = var.enforce_tls ? 1 : 0

  bucket = aws_s3_bucket.state.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.state]
}

# The backends lock in the bucket itself (use_lockfile, Terraform 1.10 and later): no
# table. A DynamoDB lock table only for what cannot lock in S3 (an emulator without S3
# conditional writes, such as the project's moto run).
resource "aws_dynamodb_table" "locks" {
  count = var.create_lock_table ? 1 : 0

  name         = "${var.project}-terraform-locks"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "LockID"

  attribute {
    name = "LockID"
    type = "S"
  }

  server_side_encryption {
    enabled = true
  }

  point_in_time_recovery {
    enabled = true
  }
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.github_host}"
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1

  url = "https://${local.github_host}"
}

# One deploy role per GitHub environment. The trust admits only a workflow job of this
# repository that runs in that environment (so environment protection rules, such as a
# required reviewer for production, guard the role). The permissions are attached by the
# root module's iam module, which knows the exact resources.
resource "aws_iam_role" "deploy" {
  for_each = local.environments

  name                 = "${var.project}-${each.key}-deploy"
  description          = "GitHub Actions deploys of ${var.github_repository} in environment ${each.key}"
  max_session_duration = 3600
  assume_role_policy   = local.github_trust[each.key]
}

# The one image repository of every environment: the pipeline builds an image once,
# pushes it here, and deploys that same digest to staging and then to production. An
# account-level resource like the state bucket, so no environment's destroy takes it away.
module "ecr" {
  source = "../terraform/modules/ecr"

  repository_name       = local.repository_name
  keep_releases         = var.ecr_keep_releases
  deployed_tag_patterns = [for env in var.environments : "${env}-*"]
  keep_deployed_images  = var.ecr_keep_deployed_images
  untagged_expiry_days  = var.ecr_untagged_expiry_days
  force_delete          = var.ecr_force_delete
}

# Only the publishing environment's deploy role may push (the pipeline's build job runs
# in that environment). Every deploy role may pull and look images up: the root module's
# iam module grants that, next to the rest of what deploying needs.
resource "aws_iam_role_policy" "publish_images" {
  name = "publish-images"
  role = try(aws_iam_role.deploy[var.image_publisher_environment].name, "")
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken" # has no resource-level form
        Resource = "*"
      },
      {
        # Push (layers and manifests, including the signatures and attestations that
        # cosign adds as images of their own) and read back what was pushed.
        Sid    = "PublishToThisRepository"
        Effect = "Allow"
        Action = [
          "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
          "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:InitiateLayerUpload",
          "ecr:PutImage", "ecr:UploadLayerPart",
        ]
        Resource = module.ecr.repository_arn
      },
    ]
  })

  lifecycle {
    precondition {
      condition     = contains(var.environments, var.image_publisher_environment)
      error_message = "image_publisher_environment '${var.image_publisher_environment}' must be one of environments (${join(", ", var.environments)})."
    }
  }
}

# The roles terraform.yml runs Terraform with. Applying this stack creates VPCs, load
# balancers and IAM roles, so the apply role is broad (AdministratorAccess unless
# terraform_policy_arn names another policy). It trusts only jobs in the environment's own
# infrastructure environment (<env>-infrastructure), never the deploy environment: a job
# that deploys (and runs the image's code paths) cannot become an administrator. Give
# production-infrastructure its own required reviewers (docs/SETUP.md).
resource "aws_iam_role" "terraform" {
  for_each = var.terraform_roles ? local.environments : toset([])

  name                 = "${var.project}-${each.key}-terraform"
  description          = "Terraform applies of ${var.github_repository} in environment ${local.infrastructure_environments[each.key]}"
  max_session_duration = 3600
  assume_role_policy   = local.github_trust[local.infrastructure_environments[each.key]]
}

resource "aws_iam_role_policy_attachment" "terraform" {
  for_each = aws_iam_role.terraform

  role       = each.value.name
  policy_arn = coalesce(var.terraform_policy_arn, "arn:${data.aws_partition.current.partition}:iam::aws:policy/AdministratorAccess")
}

# Plans on pull requests: read-only, trusted by pull-request jobs of this repository only
# (GitHub gives pull requests from forks no OIDC token). Plans run without the state lock,
# so reading is all they need.
resource "aws_iam_role" "terraform_plan" {
  count = var.terraform_roles ? 1 : 0

  name                 = "${var.project}-terraform-plan"
  description          = "Terraform plans of pull requests of ${var.github_repository} (read-only)"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = local.oidc_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.github_host}:aud" = "sts.amazonaws.com"
          "${local.github_host}:sub" = jsondecode(length(local.github_subject_repos) == 1 ? jsonencode("repo:${var.github_repository}:pull_request") : jsonencode([for r in local.github_subject_repos : "repo:${r}:pull_request"]))
        }
      }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "terraform_plan" {
  count = var.terraform_roles ? 1 : 0

  role       = aws_iam_role.terraform_plan[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/ReadOnlyAccess"
}
