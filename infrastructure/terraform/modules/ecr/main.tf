resource "aws_ecr_repository" "this" {
  name = var.repository_name

  # Images are addressed by version and never overwritten: a tag names one image forever,
  # so a rollback to a version gets exactly what was tested.
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = var.kms_key_arn == null ? "AES256" : "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

locals {
  # ECR applies the rules in priority order, and an image that matches a rule's tag
  # selection is never expired by a later rule. So: first one rule per deployment tag
  # pattern, which keeps the newest images deployed to each environment (and protects them
  # from the release count); then the release count, which selects only release tags, so
  # that what a release brings along untagged (the per-architecture images of its index,
  # OCI 1.1 referrers: cosign signatures and attestations) neither counts nor expires by
  # count; then, only if asked for, the untagged rule.
  deployed_rules = [for i, pattern in var.deployed_tag_patterns : {
    rulePriority = i + 1
    description  = "Keep the last ${var.keep_deployed_images} images tagged ${pattern} (deployed); protect them from the rules below"
    selection = {
      tagStatus      = "tagged"
      tagPatternList = [pattern]
      countType      = "imageCountMoreThan"
      countNumber    = var.keep_deployed_images
    }
    action = { type = "expire" }
  }]
  release_rule = {
    rulePriority = length(var.deployed_tag_patterns) + 1
    description  = "Keep the last ${var.keep_releases} releases (tags ${var.release_tag_pattern})"
    selection = {
      tagStatus      = "tagged"
      tagPatternList = [var.release_tag_pattern]
      countType      = "imageCountMoreThan"
      countNumber    = var.keep_releases
    }
    action = { type = "expire" }
  }
  untagged_rule = var.untagged_expiry_days == null ? [] : [{
    rulePriority = length(var.deployed_tag_patterns) + 2
    description  = "Expire untagged images after ${var.untagged_expiry_days} days"
    selection = {
      tagStatus   = "untagged"
      countType   = "sinceImagePushed"
      countUnit   = "days"
      countNumber = var.untagged_expiry_days
    }
    action = { type = "expire" }
  }]
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name

  policy = jsonencode({
    rules = concat(local.deployed_rules, [local.release_rule], local.untagged_rule)
  })
}
