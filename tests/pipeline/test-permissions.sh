#!/usr/bin/env bash
# check-permissions.py itself: it must pass the deploy role's policies as Terraform writes
# them (fixtures taken from the moto run's IAM, see below) and fail each policy or script
# made to break it. The check against the policies AWS (moto) really holds runs in
# infrastructure/tests/moto-e2e (tests/pipeline/check-against-terraform.sh).
#
# Fixtures: deploy-policy-staging.json and publish-policy.json are the two inline policies
# of hello-service-staging-deploy as the moto run of make test-infra reads them back
# (build/infra/moto/pipeline/policy-*.json); deploy-policy-canary.json is the deploy policy
# of the same stack planned with deployment_strategy = "canary" (the moto run's canary
# plan, module.iam.aws_iam_role_policy.deploy[0]).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
python=${PYTHON:-/usr/bin/python3}
checker=$REPO_ROOT/tests/pipeline/check-permissions.py
settings=$FIXTURES/deploy-settings-staging.json
deploy_policy=$FIXTURES/deploy-policy-staging.json
publish_policy=$FIXTURES/publish-policy.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # ARGS... (settings, policies and jobs vary)
  "$python" "$checker" --parameter /hello-service/staging/deploy-settings --account 123456789012 "$@"
}
mutate() { # NAME JQ: the deploy policy changed by JQ, into $tmp/NAME.json
  jq "$2" "$deploy_policy" >"$tmp/$1.json"
}

expect_ok "the staging role's policies allow the deploy and publish jobs' calls, and nothing more" \
  check --settings "$settings" --job deploy --job publish --policy "$deploy_policy" --policy "$publish_policy"
expect_eq "every call found is checked (ECS, SSM, ECR login, pull, push, PassRole for both roles)" \
  "ecr:BatchCheckLayerAvailability ecr:BatchGetImage ecr:CompleteLayerUpload ecr:DescribeImages ecr:GetAuthorizationToken ecr:GetDownloadUrlForLayer ecr:InitiateLayerUpload ecr:PutImage ecr:UploadLayerPart ecs:DescribeServices ecs:DescribeTaskDefinition ecs:DescribeTasks ecs:ListTagsForResource ecs:ListTasks ecs:RegisterTaskDefinition ecs:TagResource ecs:UpdateService iam:PassRole ssm:GetParameter" \
  "$(sed -n 's/^  ok   \([^ ]*\) on .*/\1/p' <<<"$out" | sort -u | paste -sd ' ')"
expect_eq "iam:PassRole is checked for both roles" "2" "$(grep -c '^  ok   iam:PassRole on ' <<<"$out")"

mutate no-task-role '(.Statement[] | select(.Sid == "PassExactlyTheTwoRoles") | .Resource) |= map(select(endswith("-execution")))'
expect_fail "a role the revision names but the policy may not pass is found" 1 \
  "FAIL iam:PassRole on arn:aws:iam::123456789012:role/hello-service-staging-task .* is not allowed <- scripts/deploy.sh: aws ecs register-task-definition" \
  check --settings "$settings" --job deploy --job publish --policy "$tmp/no-task-role.json" --policy "$publish_policy"
mutate wrong-service '(.Statement[] | select(.Sid == "PassExactlyTheTwoRoles") | .Condition.StringEquals["iam:PassedToService"]) = "ec2.amazonaws.com"'
expect_fail "a PassRole condition for another service does not count" 1 "FAIL iam:PassRole on .*-execution" \
  check --settings "$settings" --job deploy --job publish --policy "$tmp/wrong-service.json" --policy "$publish_policy"
mutate other-service '(.Statement[] | select(.Sid == "UpdateThisService") | .Resource) |= sub("/hello-service$"; "/other")'
expect_fail "an update of another service does not count" 1 "FAIL ecs:UpdateService on arn:aws:ecs:us-east-1:123456789012:service/hello-service-staging/hello-service is not allowed" \
  check --settings "$settings" --job deploy --job publish --policy "$tmp/other-service.json" --policy "$publish_policy"
mutate extra '.Statement += [{"Sid": "Extra", "Effect": "Allow", "Action": ["ecs:DeleteService"], "Resource": "*"}]'
expect_fail "a permission no call needs is found" 1 "FAIL Extra grants ecs:DeleteService, which no call of the deploy/publish job needs" \
  check --settings "$settings" --job deploy --job publish --policy "$tmp/extra.json" --policy "$publish_policy"
mutate deny '.Statement += [{"Sid": "Deny", "Effect": "Deny", "Action": "ssm:*", "Resource": "*"}]'
expect_fail "an explicit deny wins" 1 "FAIL ssm:GetParameter on arn:aws:ssm:us-east-1:123456789012:parameter/hello-service/staging/deploy-settings is not allowed" \
  check --settings "$settings" --job deploy --job publish --policy "$tmp/deny.json" --policy "$publish_policy"
expect_fail "production's role (deploy job only) must not be able to push" 1 "FAIL PublishToThisRepository grants ecr:PutImage, which no call of the deploy job needs" \
  check --settings "$settings" --job deploy --policy "$deploy_policy" --policy "$publish_policy"
expect_fail "without the publish policy the build job cannot push" 1 "FAIL ecr:PutImage on arn:aws:ecr:us-east-1:123456789012:repository/hello-service is not allowed <- deploy.yml build" \
  check --settings "$settings" --job deploy --job publish --policy "$deploy_policy"
jq '.deployment_strategy = "canary" | .codedeploy_app_name = "hello-service-staging" | .codedeploy_deployment_group_name = "hello-service"' \
  "$settings" >"$tmp/canary.json"
expect_fail "canary: a policy without CodeDeploy fails on each CodeDeploy call" 1 \
  "FAIL codedeploy:CreateDeployment on arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:hello-service-staging/hello-service is not allowed" \
  check --settings "$tmp/canary.json" --job deploy --job publish --policy "$deploy_policy" --policy "$publish_policy"

canary_policy=$FIXTURES/deploy-policy-canary.json
expect_ok "canary: the planned deploy policy allows every call, CodeDeploy's included, and nothing more" \
  check --settings "$tmp/canary.json" --job deploy --job publish --policy "$canary_policy" --policy "$publish_policy"
jq '(.Statement[] | select(.Sid == "DeployThroughThisDeploymentGroup") | .Action) |= map(select(. != "codedeploy:ContinueDeployment"))' \
  "$canary_policy" >"$tmp/no-continue.json"
expect_fail "canary: a role that creates deployments of a group with a ready wait must be able to continue them" 1 \
  "FAIL codedeploy:ContinueDeployment on arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:hello-service-staging/hello-service is not allowed" \
  check --settings "$tmp/canary.json" --job deploy --job publish --policy "$tmp/no-continue.json" --policy "$publish_policy"
jq '(.Statement[] | select(.Sid == "RegisterRevisionsOfThisApplication") | .Action) |= map(select(. != "codedeploy:GetApplicationRevision" and . != "codedeploy:GetApplication"))' \
  "$canary_policy" >"$tmp/no-get-revision.json"
expect_fail "canary: create-deployment needs GetApplication and GetApplicationRevision on the application" 1 \
  "FAIL codedeploy:GetApplicationRevision on arn:aws:codedeploy:us-east-1:123456789012:application:hello-service-staging is not allowed" \
  check --settings "$tmp/canary.json" --job deploy --job publish --policy "$tmp/no-get-revision.json" --policy "$publish_policy"

# A new AWS call in a script must not go unchecked.
mkdir -p "$tmp/repo"
cp -r "$REPO_ROOT/scripts" "$REPO_ROOT/.github" "$tmp/repo/"
printf '\naws ecs delete-service --cluster x --service y\n' >>"$tmp/repo/scripts/wait-deployment.sh"
expect_fail "an AWS call the check does not know is an error" 1 \
  "FAIL unknown AWS call .*: scripts/wait-deployment.sh: aws ecs delete-service" \
  check --root "$tmp/repo" --settings "$settings" --job deploy --job publish --policy "$deploy_policy" --policy "$publish_policy"

finish
