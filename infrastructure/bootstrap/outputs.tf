output "state_bucket" {
  description = "Name of the state bucket (the bucket of environments/<env>.s3.tfbackend)."
  value       = aws_s3_bucket.state.bucket
}

output "lock_table" {
  description = "Name of the DynamoDB lock table (dynamodb_table of environments/<env>.s3.tfbackend)."
  value       = aws_dynamodb_table.locks.name
}

output "oidc_provider_arn" {
  description = "ARN of the GitHub OIDC provider."
  value       = local.oidc_arn
}

output "deploy_role_arns" {
  description = "Deploy role ARN by environment: the AWS_DEPLOY_ROLE_ARN variable of each GitHub environment."
  value       = { for env, role in aws_iam_role.deploy : env => role.arn }
}

output "deploy_role_names" {
  description = "Deploy role name by environment: deploy_role_name in environments/<env>.tfvars."
  value       = { for env, role in aws_iam_role.deploy : env => role.name }
}

output "backend_config" {
  description = "Contents of environments/<env>.s3.tfbackend by environment."
  value = { for env in var.environments : env => join("\n", [
    "bucket         = \"${aws_s3_bucket.state.bucket}\"",
    "key            = \"${var.project}/${env}/terraform.tfstate\"",
    "region         = \"${var.aws_region}\"",
    "dynamodb_table = \"${aws_dynamodb_table.locks.name}\"",
    "encrypt        = true",
  ]) }
}
