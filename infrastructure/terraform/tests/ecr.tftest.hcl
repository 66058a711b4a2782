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
    condition = (jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[0].selection == {
      tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7
    })
    error_message = "Untagged images expire after 7 days."
  }
  assert {
    condition = (jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection == {
      tagStatus = "any", countType = "imageCountMoreThan", countNumber = 30
    })
    error_message = "The last 30 images are kept."
  }
}

run "kms" {
  command = apply
  module {
    source = "./modules/ecr"
  }
  variables {
    kms_key_arn         = "arn:aws:kms:us-east-1:123456789012:key/0000"
    keep_release_images = 10
  }

  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS" && aws_ecr_repository.this.encryption_configuration[0].kms_key == "arn:aws:kms:us-east-1:123456789012:key/0000"
    error_message = "A KMS key switches encryption to KMS."
  }
  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this.policy).rules[1].selection.countNumber == 10
    error_message = "keep_release_images sets the count rule."
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

run "invalid_keep_release_images" {
  command = plan
  module {
    source = "./modules/ecr"
  }
  variables {
    keep_release_images = 1
  }
  expect_failures = [var.keep_release_images]
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
