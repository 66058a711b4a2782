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
  "FAIL iam:PassRole on arn:aws:iam::123456789012:role/hello-service-staging-task .* is not allowed <- deploy job, scripts/deploy.sh: aws ecs register-task-definition" \
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
  "FAIL unknown AWS call .*: deploy job, scripts/wait-deployment.sh: aws ecs delete-service" \
  check --root "$tmp/repo" --settings "$settings" --job deploy --job publish --policy "$deploy_policy" --policy "$publish_policy"

# --- every job, as the role that runs it -------------------------------------------------
# Staging's deploy role runs deploy.yml's version and build jobs and deploy-environment.yml's
# deploy and rollback jobs; production's runs the last two, with the deploy policy only.
all_jobs=(--job version --job publish --job deploy --job rollback)
expect_ok "staging: the role's policies allow every call of the version, publish, deploy and rollback jobs" \
  check --settings "$settings" "${all_jobs[@]}" --policy "$deploy_policy" --policy "$publish_policy"
staging_out=$out
expect_ok "production: the deploy policy alone allows every call of the deploy and rollback jobs, and nothing more" \
  check --settings "$settings" --job deploy --job rollback --policy "$deploy_policy"
# Each call the issue named is among those checked, under the job that makes it.
found() { # NAME PERMISSION WHY: the check's line for PERMISSION names WHY
  if grep -E "^  ok   $2 on " <<<"$staging_out" | grep -qF -- "$3"; then pass "$1"; else
    fail "$1" "no ok line for $2 naming '$3'" "$(grep -E "^  ok   $2 on " <<<"$staging_out")"; fi
}
found "the version job's settings read is checked" "ssm:GetParameter" "version job, scripts/deploy-settings.sh: aws ssm get-parameter"
found "the version job's image listing is checked" "ecr:DescribeImages" "deploy.yml version: next semantic version (or the one asked for): aws ecr describe-images"
found "the rollback job's read of the previous revision is checked" "ecs:DescribeTaskDefinition" "deploy-environment.yml rollback: "
found "the rollback job's verifier pull is checked" "ecr:BatchGetImage" "deploy-environment.yml rollback: the verifier"
found "the rollback job's rollback.sh (and the deploy.sh it runs) is checked" "ecs:UpdateService" "rollback job, scripts/deploy.sh: aws ecs update-service"
found "publish-index.sh's manifest reads are checked" "ecr:BatchGetImage" "publish job, scripts/publish-index.sh: registry GET manifests/"
found "publish-index.sh's blob reads are checked" "ecr:GetDownloadUrlForLayer" "publish job, scripts/publish-index.sh: registry GET blobs/"
found "publish-index.sh's index and tag writes are checked" "ecr:PutImage" "publish job, scripts/publish-index.sh: registry PUT manifests/"
found "the build job's cosign verify is checked" "ecr:BatchGetImage" "deploy.yml build: verify the signature and both attestations: cosign verify"
found "the trust check's cosign verify (verify-image.sh) is checked" "ecr:BatchGetImage" "deploy job, scripts/verify-image.sh: cosign verify"
found "the trust check's cosign reads of layers are checked" "ecr:GetDownloadUrlForLayer" "deploy job, scripts/verify-image.sh: cosign verify"

# Broken copies: a call the role's policy does not allow fails the check, naming the call.
mutate no-describe-images '(.Statement[] | select(.Sid == "PullFromTheRepository") | .Action) |= map(select(. != "ecr:DescribeImages"))'
expect_fail "version job: a policy without ecr:DescribeImages fails on the version job's listing" 1 \
  "FAIL ecr:DescribeImages on .* is not allowed <- deploy.yml version: next semantic version" \
  check --settings "$settings" --job version --policy "$tmp/no-describe-images.json"
mutate no-ssm '.Statement |= map(select(.Sid != "ReadDeploySettings"))'
expect_fail "version job: a policy without ssm:GetParameter fails on its settings read" 1 \
  "FAIL ssm:GetParameter on .* is not allowed <- version job, scripts/deploy-settings.sh: aws ssm get-parameter" \
  check --settings "$settings" --job version --policy "$tmp/no-ssm.json"
mutate no-tags '.Statement |= map(select(.Sid != "ReadTagsOfThisFamily"))'
expect_fail "rollback job: a policy that cannot read a revision's tags fails on the previous version's lookup" 1 \
  "FAIL ecs:ListTagsForResource on .* is not allowed <- .*rollback job, scripts/rollback.sh: aws ecs describe-task-definition" \
  check --settings "$settings" --job rollback --policy "$tmp/no-tags.json"
jq '(.Statement[] | select(.Sid == "PublishToThisRepository") | .Action) |= map(select(. != "ecr:PutImage"))' \
  "$publish_policy" >"$tmp/no-put.json"
expect_fail "publish job: without ecr:PutImage, publish-index.sh's tag writes fail the check" 1 \
  "FAIL ecr:PutImage on .* is not allowed <- .*publish job, scripts/publish-index.sh: registry PUT manifests/" \
  check --settings "$settings" --job publish --policy "$deploy_policy" --policy "$tmp/no-put.json"
# The trust check alone needs the pull permissions: a deploy with a curl verifier (no
# docker create of the image) still reads the image and its signatures with cosign.
mkdir -p "$tmp/curl-only"
cp -r "$REPO_ROOT/scripts" "$REPO_ROOT/.github" "$tmp/curl-only/"
sed -i -E '/docker (create|cp|rm) /d' "$tmp/curl-only/.github/workflows/deploy-environment.yml"
mutate no-pull '(.Statement[] | select(.Sid == "PullFromTheRepository") | .Action) |= map(select(. == "ecr:DescribeImages"))'
expect_fail "deploy job: the trust check's cosign verify needs ecr:BatchGetImage, docker create or not" 1 \
  "FAIL ecr:BatchGetImage on .* is not allowed <- deploy job, scripts/verify-image.sh: cosign verify" \
  check --root "$tmp/curl-only" --settings "$settings" --job deploy --policy "$tmp/no-pull.json"
# A registry request the check does not know is an error, as an unknown AWS call is.
mkdir -p "$tmp/registry"
cp -r "$REPO_ROOT/scripts" "$REPO_ROOT/.github" "$tmp/registry/"
# shellcheck disable=SC2016 # a line of shell text for the copy
printf '\nstatus=$(api DELETE "manifests/$tag" "$work/delete")\n' >>"$tmp/registry/scripts/publish-index.sh"
expect_fail "a registry request the check does not know is an error" 1 \
  "FAIL unknown AWS call .*: publish job, scripts/publish-index.sh: registry DELETE manifests/" \
  check --root "$tmp/registry" --settings "$settings" --job publish --policy "$deploy_policy" --policy "$publish_policy"

finish
