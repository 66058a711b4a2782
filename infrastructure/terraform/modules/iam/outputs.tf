# Whoever uses the execution role (the task definition) waits for its permissions: a task
# started before them could not pull its image.
output "execution_role_arn" {
  description = "ARN of the ECS task execution role (known once its policy is attached)."
  value       = aws_iam_role.execution.arn
  depends_on  = [aws_iam_role_policy.execution]
}

output "execution_role_name" {
  description = "Name of the ECS task execution role."
  value       = aws_iam_role.execution.name
}

output "task_role_arn" {
  description = "ARN of the ECS task role (the application's permissions)."
  value       = aws_iam_role.task.arn
}

output "task_role_name" {
  description = "Name of the ECS task role."
  value       = aws_iam_role.task.name
}

# The deployment group waits for its role's policy: CodeDeploy checks the role's
# permissions when the group is created.
output "codedeploy_role_arn" {
  description = "ARN of the CodeDeploy service role (known once its policy is attached); null without codedeploy."
  value       = var.codedeploy ? aws_iam_role.codedeploy[0].arn : null
  depends_on  = [aws_iam_role_policy_attachment.codedeploy]
}

output "deploy_role_arn" {
  description = "ARN of the GitHub Actions deploy role the deploy permissions are attached to; null without deploy_role_name."
  value       = var.deploy_role_name == null ? null : data.aws_iam_role.deploy[0].arn
}

output "deploy_policy_json" {
  description = "The deploy role's permissions (JSON); null without deploy_role_name."
  value       = var.deploy_role_name == null ? null : aws_iam_role_policy.deploy[0].policy
}
