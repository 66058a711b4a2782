data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.name

  # ARNs built from names, so that this module needs nothing from the ecs module (which
  # needs the roles from this one).
  service_arn         = "arn:${local.partition}:ecs:${local.region}:${local.account}:service/${var.cluster_name}/${var.ecs_service_name}"
  task_definition_arn = "arn:${local.partition}:ecs:${local.region}:${local.account}:task-definition/${var.task_family}:*"
  cluster_tasks_arn   = "arn:${local.partition}:ecs:${local.region}:${local.account}:task/${var.cluster_name}/*"
  codedeploy_app_arn  = "arn:${local.partition}:codedeploy:${local.region}:${local.account}:application:${coalesce(var.codedeploy_app_name, "none")}"
  codedeploy_dg_arn   = "arn:${local.partition}:codedeploy:${local.region}:${local.account}:deploymentgroup:${coalesce(var.codedeploy_app_name, "none")}/${coalesce(var.codedeploy_group_name, "none")}"
  codedeploy_cfg_arn  = "arn:${local.partition}:codedeploy:${local.region}:${local.account}:deploymentconfig:*"
  deploy_settings_arn = "arn:${local.partition}:ssm:${local.region}:${local.account}:parameter${coalesce(var.deploy_settings_parameter_name, "/none")}"

  # The container's secrets, by service: ECS reads SSM parameters with GetParameters and
  # Secrets Manager secrets with GetSecretValue, as the execution role. A secret's
  # valueFrom may name a JSON key and version after its ARN; the grant is on the secret.
  ssm_secret_arns = sort(distinct([for a in var.secret_arns : a if can(regex("^arn:[^:]+:ssm:", a))]))
  sm_secret_arns  = sort(distinct([for a in var.secret_arns : regex("^arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:[^:]+", a) if can(regex("^arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:[^:]+", a))]))

  ecs_tasks_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Only ECS acting for this account may assume the role (confused-deputy guard).
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:ecs:${local.region}:${local.account}:*" }
      }
    }]
  })
}

# The execution role is what ECS itself uses to start a task: pull the image, write logs.
resource "aws_iam_role" "execution" {
  name               = "${var.name}-execution"
  description        = "ECS task execution role of ${var.name}: pull from one repository, write to one log group"
  assume_role_policy = local.ecs_tasks_trust

  tags = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name = "pull-image-write-logs"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = "ecr:GetAuthorizationToken" # has no resource-level form
        Resource = "*"
      },
      {
        Sid      = "PullThisRepository"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = var.ecr_repository_arn
      },
      {
        Sid      = "WriteThisLogGroup"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${var.log_group_arn}:log-stream:*"
      },
      ], length(local.ssm_secret_arns) == 0 ? [] : [{
        Sid      = "ReadTheseParameters"
        Effect   = "Allow"
        Action   = "ssm:GetParameters"
        Resource = local.ssm_secret_arns
        }], length(local.sm_secret_arns) == 0 ? [] : [{
        Sid      = "ReadTheseSecrets"
        Effect   = "Allow"
        Action   = "secretsmanager:GetSecretValue"
        Resource = local.sm_secret_arns
    }])
  })
}

# The task role is what the application's own code may do: nothing by default.
resource "aws_iam_role" "task" {
  name               = "${var.name}-task"
  description        = "ECS task role of ${var.name}: the application's own permissions (none by default)"
  assume_role_policy = local.ecs_tasks_trust

  tags = var.tags
}

resource "aws_iam_role_policy" "task" {
  count = var.task_role_policy_json == null ? 0 : 1

  name   = "application"
  role   = aws_iam_role.task.id
  policy = var.task_role_policy_json
}

# CodeDeploy's own role for ECS blue/green: shift listeners, create and delete task sets.
resource "aws_iam_role" "codedeploy" {
  count = var.codedeploy ? 1 : 0

  name        = "${var.name}-codedeploy"
  description = "CodeDeploy service role of ${var.name}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "codedeploy.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account } }
    }]
  })

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "codedeploy" {
  count = var.codedeploy ? 1 : 0

  role       = aws_iam_role.codedeploy[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AWSCodeDeployRoleForECS"
}

data "aws_iam_role" "deploy" {
  count = var.deploy_role_name == null ? 0 : 1

  name = var.deploy_role_name
}

# What the pipeline needs to deploy a version of this service, and nothing else: each
# statement names the scripts' calls it serves (tests/pipeline/check-permissions.py
# checks every AWS call of scripts/ and the deploy workflows against this policy, on the
# policy as AWS holds it). Pushing images is granted by infrastructure/bootstrap, which
# owns the one repository, to the publishing environment's role only.
resource "aws_iam_role_policy" "deploy" {
  count = var.deploy_role_name == null ? 0 : 1

  name = "deploy-${var.name}"
  role = data.aws_iam_role.deploy[0].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "EcrLogin"
          Effect   = "Allow"
          Action   = "ecr:GetAuthorizationToken" # has no resource-level form
          Resource = "*"
        },
        {
          # Look a version up by tag, and pull the image (the workflow takes the verifier
          # out of the image it deploys).
          Sid      = "PullFromTheRepository"
          Effect   = "Allow"
          Action   = ["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"]
          Resource = var.ecr_repository_arn
        },
        {
          # RegisterTaskDefinition has no resource-level form; what a registration can do
          # is bounded by the roles it may pass (below) and the tags it may set.
          Sid      = "RegisterTaskDefinitions"
          Effect   = "Allow"
          Action   = "ecs:RegisterTaskDefinition"
          Resource = "*"
        },
        {
          Sid      = "TagThisFamilyWhenRegistering"
          Effect   = "Allow"
          Action   = "ecs:TagResource"
          Resource = local.task_definition_arn
          Condition = {
            StringEquals = { "ecs:CreateAction" = "RegisterTaskDefinition" }
          }
        },
        {
          # describe-task-definition --include TAGS: the revision's version tag.
          Sid      = "ReadTagsOfThisFamily"
          Effect   = "Allow"
          Action   = "ecs:ListTagsForResource"
          Resource = local.task_definition_arn
        },
        {
          # Read-only calls without a resource-level form.
          Sid      = "ReadTaskDefinitionsAndListTasks"
          Effect   = "Allow"
          Action   = ["ecs:DescribeTaskDefinition", "ecs:ListTasks"]
          Resource = "*"
        },
        {
          # Why the tasks of a failed deployment stopped.
          Sid      = "DescribeTasksOfThisCluster"
          Effect   = "Allow"
          Action   = "ecs:DescribeTasks"
          Resource = local.cluster_tasks_arn
        },
        {
          Sid      = "UpdateThisService"
          Effect   = "Allow"
          Action   = ["ecs:DescribeServices", "ecs:UpdateService"]
          Resource = local.service_arn
        },
        {
          Sid      = "PassExactlyTheTwoRoles"
          Effect   = "Allow"
          Action   = "iam:PassRole"
          Resource = [aws_iam_role.execution.arn, aws_iam_role.task.arn]
          Condition = {
            StringEquals = { "iam:PassedToService" = "ecs-tasks.amazonaws.com" }
          }
        },
      ],
      [for statement in [
        {
          Sid      = "ReadDeploySettings"
          Effect   = "Allow"
          Action   = "ssm:GetParameter"
          Resource = local.deploy_settings_arn
        },
      ] : statement if var.deploy_settings_parameter_name != null],
      [for statement in [
        {
          # Create a deployment, follow it, continue it once the replacement task set is
          # verified behind the test listener (the group's ready wait), or stop it.
          Sid    = "DeployThroughThisDeploymentGroup"
          Effect = "Allow"
          Action = [
            "codedeploy:ContinueDeployment", "codedeploy:CreateDeployment", "codedeploy:GetDeployment",
            "codedeploy:GetDeploymentGroup", "codedeploy:StopDeployment",
          ]
          Resource = local.codedeploy_dg_arn
        },
        {
          # CreateDeployment needs GetApplicationRevision or RegisterApplicationRevision on
          # the application (CodeDeploy permissions reference), and AWS's policy for a
          # service that creates deployments (CodePipeline's CodeDeploy action) adds
          # GetApplication: all three, on this application only.
          Sid    = "RegisterRevisionsOfThisApplication"
          Effect = "Allow"
          Action = [
            "codedeploy:GetApplication", "codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision",
          ]
          Resource = local.codedeploy_app_arn
        },
        {
          Sid      = "ReadDeploymentConfigs"
          Effect   = "Allow"
          Action   = "codedeploy:GetDeploymentConfig"
          Resource = local.codedeploy_cfg_arn
        },
      ] : statement if var.codedeploy],
    )
  })
}
