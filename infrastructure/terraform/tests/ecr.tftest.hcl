# The ecr module: immutable, scanned, encrypted, with a lifecycle policy.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  repository_name = "hello-service-test"
}

run "defaults" {
  command = apply
  module {
    source = "./modules/ecr"
  }

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "Tags are immutable."
  }
  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "Images are scanned on push."
  }
  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "AES256" && !aws_ecr_repository.this.force_delete
    error_message = "Images are encrypted (AES256 by default) and the repository is not force-deleted."
  }
  assert {
    condition = (jsondecode(aws_ecr_lifecycle_policy.this.policy).rules == [{
      rulePriority = 1, description = "Keep the last 30 releases (tags *.*.*)", action = { type = "expire" }
      selection    = { tagStatus = "tagged", tagPatternList = ["*.*.*"], countType = "imageCountMoreThan", countNumber = 30 }
    }])
    error_message = "By default one rule: the last 30 releases (version tags) are kept."
  }
  assert {
    condition     = alltrue([for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : r.selection.tagStatus == "tagged"])
    error_message = "No rule selects untagged images (or any image): OCI 1.1 referrers (signatures, attestations) and per-architecture images carry no tag, and neither count nor expire."
  }
}

run "deployed_tags_protected_ahead_of_the_release_count" {
  command = apply
  module {
    source = "./modules/ecr"
  }
  variables {
    deployed_tag_patterns = ["staging-*", "production-*"]
    keep_deployed_images  = 5
    keep_releases         = 40
  }

  assert {
    condition = ([for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : "${r.rulePriority} ${r.selection.tagStatus} ${join(",", r.selection.tagPatternList)} ${r.selection.countNumber}"] == [
    "1 tagged staging-* 5", "2 tagged production-* 5", "3 tagged *.*.* 40"])
    error_message = "Each environment's deployment tags come first (an image they select is never expired by the later release count), then the release count."
  }
}

run "untagged_expiry_on_request" {
  command = apply
  module {
    source = "./modules/ecr"
  }
  variables {
    untagged_expiry_days = 14
  }

  assert {
    condition = (jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1] == {
      rulePriority = 2, description = "Expire untagged images after 14 days", action = { type = "expire" }
      selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 14 }
    })
    error_message = "untagged_expiry_days adds the untagged rule, last."
  }
}

run "kms" {
  command = apply
  module {
    source = "./modules/ecr"
  }
  variables {
    kms_key_arn   = "arn:aws:kms:us-east-1:123456789012:key/0000"
    keep_releases = 10
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS" && aws_ecr_repository.this.encryption_configuration[0].kms_key == "arn:aws:kms:us-east-1:123456789012:key/0000"
    error_message = "A KMS key switches encryption to KMS."
  }
  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection.countNumber == 10
    error_message = "keep_releases sets the release count."
  }
}

run "invalid_repository_name" {
  command = plan
  module {
    source = "./modules/ecr"
  }
  variables {
    repository_name = "Hello Service"
  }
  expect_failures = [var.repository_name]
}

run "invalid_keep_releases" {
  command = plan
  module {
    source = "./modules/ecr"
  }
  variables {
    keep_releases = 1
  }
  expect_failures = [var.keep_releases]
}

run "invalid_release_tag_pattern" {
  command = plan
  module {
    source = "./modules/ecr"
  }
  variables {
    release_tag_pattern = "*"
  }
  expect_failures = [var.release_tag_pattern]
}

run "invalid_deployed_tag_patterns" {
  command = plan
  module {
    source = "./modules/ecr"
  }
  variables {
    deployed_tag_patterns = ["*"]
  }
  expect_failures = [var.deployed_tag_patterns]
}

run "invalid_keep_deployed_images" {
  command = plan
  module {
    source = "./modules/ecr"
  }
  variables {
    keep_deployed_images = 1
  }
  expect_failures = [var.keep_deployed_images]
}

run "invalid_untagged_expiry_days" {
  command = plan
  module {
    source = "./modules/ecr"
  }
  variables {
    untagged_expiry_days = 0
  }
  expect_failures = [var.untagged_expiry_days]
}

run "invalid_kms_key_arn" {
  command = plan
  module {
    source = "./modules/ecr"
  }
  variables {
    kms_key_arn = "alias/ecr"
  }
  expect_failures = [var.kms_key_arn]
}
