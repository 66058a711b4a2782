output "state_bucket" {
  description = "Name of the state bucket (the bucket of environments/<env>.s3.tfbackend)."
  value       = aws_s3_bucket.state.bucket
}

output "lock_table" {
  description = "Name of the DynamoDB lock table; null without create_lock_table (the backends lock in the bucket)."
  value       = var.create_lock_table ? aws_dynamodb_table.locks[0].name : null
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

output "ecr_repository_url" {
  description = "The image repository every environment deploys from (push the first image here)."
  value       = module.ecr.repository_url
}

output "ecr_repository_name" {
  description = "Name of the image repository: ecr_repository_name in environments/<env>.tfvars when it is not the service name."
  value       = module.ecr.repository_name
}

output "image_publisher_environment" {
  description = "The environment whose deploy role may push images."
  value       = var.image_publisher_environment
}

output "terraform_role_arns" {
  description = "Terraform apply role ARN by environment: the AWS_TERRAFORM_ROLE_ARN variable of the GitHub environment <env>-infrastructure."
  value       = { for env, role in aws_iam_role.terraform : env => role.arn }
}

output "infrastructure_environments" {
  description = "GitHub environment of each environment's Terraform applies (create them in the repository's settings): the apply roles trust only these."
  value       = local.infrastructure_environments
}

output "terraform_plan_role_arn" {
  description = "Read-only role of pull-request plans: the repository variable AWS_TERRAFORM_PLAN_ROLE_ARN (null without terraform_roles)."
  value       = var.terraform_roles ? aws_iam_role.terraform_plan[0].arn : null
}

output "backend_config" {
  description = "Contents of environments/<env>.s3.tfbackend by environment."
  value = { for env in var.environments : env => join("\n", [
    "bucket         = \"${aws_s3_bucket.state.bucket}\"",
    "key            = \"${var.project}/${env}/terraform.tfstate\"",
    "region         = \"${var.aws_region}\"",
    "encrypt        = true",
    "use_lockfile   = true",
  ]) }
}
