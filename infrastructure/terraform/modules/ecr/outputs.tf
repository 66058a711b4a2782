output "repository_name" {
  description = "Name of the repository."
  value       = aws_ecr_repository.this.name
}

output "repository_arn" {
  description = "ARN of the repository (what the execution and deploy roles are scoped to)."
  value       = aws_ecr_repository.this.arn
}

output "repository_url" {
  description = "URL to tag and push images to (<account>.dkr.ecr.<region>.amazonaws.com/<name>)."
  value       = aws_ecr_repository.this.repository_url
}

output "lifecycle_policy" {
  description = "The repository's lifecycle policy (JSON): which images it keeps and which expire."
  value       = aws_ecr_lifecycle_policy.this.policy
}
