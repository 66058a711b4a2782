# The iam module: least privilege for the execution role, nothing for the task role, and
# a deploy policy scoped to this service's resources.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name               = "hello-service-test"
  ecr_repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/hello-service-test"
  log_group_arn      = "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/hello-service-test"
  cluster_name       = "hello-service-test"
  ecs_service_name   = "hello-service"
  task_family        = "hello-service-test"
  deploy_role_name   = "hello-service-test-deploy"

  deploy_settings_parameter_name = "/hello-service/test/deploy-settings"
}

run "rolling" {
  command = apply
  module {
    source = "./modules/iam"
  }

  assert {
    condition     = length(aws_iam_role_policy.task) == 0
    error_message = "The task role has no permissions by default."
  }
  assert {
    condition = (jsondecode(aws_iam_role.task.assume_role_policy).Statement[0].Principal.Service == "ecs-tasks.amazonaws.com" &&
    jsondecode(aws_iam_role.task.assume_role_policy).Statement[0].Condition.StringEquals["aws:SourceAccount"] == "123456789012")
    error_message = "Only ECS tasks of this account assume the task role."
  }
  assert {
    condition = ([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if s.Sid == "PullThisRepository"] == [var.ecr_repository_arn] &&
    [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if s.Sid == "WriteThisLogGroup"] == ["${var.log_group_arn}:log-stream:*"])
    error_message = "The execution role pulls from this one repository and writes to this one log group."
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Sid if s.Resource == "*"] == ["EcrLogin"]
    error_message = "Only ecr:GetAuthorizationToken (which has no resource form) is granted on *."
  }
  assert {
    condition = ([for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Resource if s.Sid == "PassExactlyTheTwoRoles"] ==
    [[aws_iam_role.execution.arn, aws_iam_role.task.arn]])
    error_message = "The deploy role passes exactly the execution and task roles."
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Condition.StringEquals["iam:PassedToService"] if s.Sid == "PassExactlyTheTwoRoles"] == ["ecs-tasks.amazonaws.com"]
    error_message = "The roles may be passed to ECS tasks only."
  }
  assert {
    condition = ([for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Resource if s.Sid == "UpdateThisService"] ==
    ["arn:aws:ecs:us-east-1:123456789012:service/hello-service-test/hello-service"])
    error_message = "The deploy role updates this one service."
  }
  assert {
    condition = ([for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Resource if s.Sid == "TagThisFamilyWhenRegistering"] ==
    ["arn:aws:ecs:us-east-1:123456789012:task-definition/hello-service-test:*"])
    error_message = "The deploy role tags task definitions of this family only (RegisterTaskDefinition itself has no resource-level form)."
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Resource if s.Sid == "DescribeTasksOfThisCluster"] == ["arn:aws:ecs:us-east-1:123456789012:task/hello-service-test/*"]
    error_message = "The deploy role describes the tasks of this cluster only."
  }
  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Action if s.Resource == "*"])) == toset([
    "ecr:GetAuthorizationToken", "ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:ListTasks"])
    error_message = "Only the calls without a resource-level form are granted on *."
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Resource if s.Sid == "ReadDeploySettings"] == ["arn:aws:ssm:us-east-1:123456789012:parameter/hello-service/test/deploy-settings"]
    error_message = "The deploy role reads this environment's deploy settings parameter only."
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Condition.StringEquals["ecs:CreateAction"] if s.Sid == "TagThisFamilyWhenRegistering"] == ["RegisterTaskDefinition"]
    error_message = "The deploy role may tag task definitions only while registering them."
  }
  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Resource if s.Sid == "PullFromTheRepository"] == [var.ecr_repository_arn]
    error_message = "The deploy role pulls from this one repository."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : !contains(flatten([s.Action]), "ecr:PutImage") && !contains(flatten([s.Action]), "ecr:InitiateLayerUpload")])
    error_message = "The deploy role cannot push (the bootstrap grants that to the publishing environment only)."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : !can(regex("codedeploy", jsonencode(s)))])
    error_message = "Rolling: no CodeDeploy permissions."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : !contains(flatten([s.Action]), "*") && !contains(flatten([s.Action]), "ecs:*") && !contains(flatten([s.Action]), "iam:*")])
    error_message = "No wildcard actions in the deploy policy."
  }
  assert {
    condition     = aws_iam_role_policy.deploy[0].role == "hello-service-test-deploy" && output.deploy_role_arn == "arn:aws:iam::123456789012:role/hello-service-test-deploy"
    error_message = "The deploy policy goes onto the bootstrap's deploy role."
  }
  assert {
    condition     = length(aws_iam_role.codedeploy) == 0 && output.codedeploy_role_arn == null
    error_message = "Rolling: no CodeDeploy role."
  }
}

run "codedeploy" {
  command = apply
  module {
    source = "./modules/iam"
  }
  variables {
    codedeploy            = true
    codedeploy_app_name   = "hello-service-test"
    codedeploy_group_name = "hello-service"
  }

  assert {
    condition = ([for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Resource if s.Sid == "DeployThroughThisDeploymentGroup"] ==
      ["arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:hello-service-test/hello-service"] &&
      [for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Resource if s.Sid == "RegisterRevisionsOfThisApplication"] ==
    ["arn:aws:codedeploy:us-east-1:123456789012:application:hello-service-test"])
    error_message = "The deploy role drives this CodeDeploy application and deployment group only."
  }
  assert {
    condition = (toset(one([for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Action if s.Sid == "DeployThroughThisDeploymentGroup"])) == toset([
      "codedeploy:ContinueDeployment", "codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:GetDeploymentGroup", "codedeploy:StopDeployment"]) &&
      toset(one([for s in jsondecode(aws_iam_role_policy.deploy[0].policy).Statement : s.Action if s.Sid == "RegisterRevisionsOfThisApplication"])) == toset([
    "codedeploy:GetApplication", "codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"]))
    error_message = "The deploy role may continue a deployment after verifying it (the group's ready wait), and has what CreateDeployment needs on the application (GetApplication, GetApplicationRevision, RegisterApplicationRevision)."
  }
  assert {
    condition     = aws_iam_role_policy_attachment.codedeploy[0].policy_arn == "arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS"
    error_message = "CodeDeploy's own role carries the AWS policy for ECS blue/green."
  }
  assert {
    condition     = jsondecode(aws_iam_role.codedeploy[0].assume_role_policy).Statement[0].Principal.Service == "codedeploy.amazonaws.com"
    error_message = "Only CodeDeploy assumes the CodeDeploy role."
  }
}

run "without_deploy_role" {
  command = apply
  module {
    source = "./modules/iam"
  }
  variables {
    deploy_role_name = null
  }

  assert {
    condition     = length(aws_iam_role_policy.deploy) == 0 && output.deploy_role_arn == null
    error_message = "No deploy role name: no deploy policy."
  }
}

run "invalid_ecr_repository_arn" {
  command = plan
  module {
    source = "./modules/iam"
  }
  variables {
    ecr_repository_arn = "*"
  }
  expect_failures = [var.ecr_repository_arn]
}

run "invalid_log_group_arn" {
  command = plan
  module {
    source = "./modules/iam"
  }
  variables {
    log_group_arn = "/ecs/hello-service-test"
  }
  expect_failures = [var.log_group_arn]
}

run "invalid_task_role_policy_json" {
  command = plan
  module {
    source = "./modules/iam"
  }
  variables {
    task_role_policy_json = "{not json"
  }
  expect_failures = [var.task_role_policy_json]
}

run "secrets_exactly_these" {
  command = plan
  module {
    source = "./modules/iam"
  }
  variables {
    secret_arns = [
      "arn:aws:ssm:us-east-1:123456789012:parameter/orders/db-password",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/api-AbCdEf:key::",
    ]
  }

  assert {
    condition = ([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [s.Action, s.Resource] if s.Sid == "ReadTheseParameters"] ==
      [["ssm:GetParameters", ["arn:aws:ssm:us-east-1:123456789012:parameter/orders/db-password"]]] &&
      [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [s.Action, s.Resource] if s.Sid == "ReadTheseSecrets"] ==
    [["secretsmanager:GetSecretValue", ["arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/api-AbCdEf"]]])
    error_message = "The execution role reads exactly the container's parameters and secrets (a secret's JSON key is not part of its ARN)."
  }
}

run "no_secrets_no_grant" {
  command = plan
  module {
    source = "./modules/iam"
  }

  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if contains(["ReadTheseParameters", "ReadTheseSecrets"], s.Sid)]) == 0
    error_message = "Without secrets the execution role reads no parameter or secret."
  }
}
