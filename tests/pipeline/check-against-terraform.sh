#!/usr/bin/env bash
# The pipeline against what Terraform really made: run by infrastructure/tests/moto-e2e
# after it applied the bootstrap and the root module (staging, rolling) on moto_server.
#
#   check-against-terraform.sh --parameter NAME --deploy-role NAME --account ID
#                              --canary-plan PLAN_JSON --work DIR
#
# --parameter    the deploy settings parameter Terraform wrote (output deploy_settings_parameter)
# --deploy-role  the environment's deploy role (the bootstrap's; staging also publishes images)
# --canary-plan  `terraform show -json` of a plan of the same stack with
#                deployment_strategy = "canary" (moto cannot apply CodeDeploy)
#
# Checks, one PASS/FAIL line each:
#  1. deploy-settings.sh accepts the parameter, and it has exactly the keys and types of
#     the test fixture (tests/pipeline/fixtures/deploy-settings-staging.json) the other
#     pipeline tests use, template values included;
#  2. deploy.sh, reading only that parameter, registers a revision identical to the one
#     Terraform registered (same template, same values, same image tag, same family,
#     size, roles and platform): the two renderings of the one template agree;
#  3. the deploy role's policies as AWS holds them allow every call of the jobs staging's
#     role runs (version, publish, deploy, rollback) and nothing else
#     (check-permissions.py); and the planned policy and settings of the canary strategy
#     allow the CodeDeploy calls too.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
python=${PYTHON:-/usr/bin/python3}

parameter="" deploy_role="" account="" canary_plan="" work=""
while [ "$#" -gt 0 ]; do
  case $1 in
    --parameter) parameter=$2; shift 2 ;;
    --deploy-role) deploy_role=$2; shift 2 ;;
    --account) account=$2; shift 2 ;;
    --canary-plan) canary_plan=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) echo "usage: see the header of $0" >&2; exit 2 ;;
  esac
done
for v in parameter deploy_role account canary_plan work; do
  [ -n "${!v}" ] || { echo "error: --${v//_/-} is required" >&2; exit 2; }
done
: "${AWS_ENDPOINT_URL:?run under tools/with-moto (the moto run of infrastructure/tests/moto-e2e)}"
# make test-infra may run without make test-pipeline: what the checks need beyond it.
"$REPO_ROOT/tools/ensure-packages" jq python3 python3-yaml
mkdir -p "$work"

# --- 1. the parameter Terraform wrote is what the pipeline reads -------------------------
settings=$work/deploy-settings.json
expect_ok "deploy-settings.sh accepts the parameter Terraform wrote" \
  "$SCRIPTS/deploy-settings.sh" --parameter "$parameter" --out "$settings"
# shellcheck disable=SC2016 # jq text
shape='[paths(type != "object") as $p | "\($p | map(tostring) | join(".")):\(getpath($p) | type)"] | sort | join(" ")'
expect_eq "the parameter has the keys and types of the fixture the pipeline tests use" \
  "$(jq -r "$shape" "$FIXTURES/deploy-settings-staging.json")" "$(jq -r "$shape" "$settings")"

# --- 2. deploy.sh's rendering equals Terraform's ----------------------------------------
repository_url=$(jq -r .ecr_repository_url "$settings")
cluster=$(jq -r .cluster_name "$settings")
service=$(jq -r .service_name "$settings")
terraform_revision=$(aws ecs describe-services --cluster "$cluster" --services "$service" --query 'services[0].taskDefinition' --output text)
terraform_image=$(aws ecs describe-task-definition --task-definition "$terraform_revision" \
  --query 'taskDefinition.containerDefinitions[0].image' --output text)
expect_ok "deploy.sh deploys from the settings alone (the image Terraform's revision names)" \
  "$SCRIPTS/deploy.sh" --settings "$settings" --image "$terraform_image" --template "$TEMPLATE" --version 0.1.0 --no-wait
pipeline_revision=$(sed -n 's/^task_definition=//p' <<<"$out")
if [[ $terraform_image == "$repository_url:"* ]]; then
  pass "Terraform's revision runs an image of the repository the settings name"
else
  fail "Terraform's revision runs an image of the repository the settings name" "image $terraform_image, repository $repository_url"
fi
comparable='.taskDefinition | {family, cpu, memory, networkMode, requiresCompatibilities, executionRoleArn,
  taskRoleArn, runtimePlatform, containerDefinitions}'
if [ -n "$pipeline_revision" ] && [ "$pipeline_revision" != "$terraform_revision" ]; then
  expect_eq "the pipeline's revision equals Terraform's (container definitions, family, size, roles, platform)" \
    "$(aws ecs describe-task-definition --task-definition "$terraform_revision" --output json | jq -cS "$comparable")" \
    "$(aws ecs describe-task-definition --task-definition "$pipeline_revision" --output json | jq -cS "$comparable")"
else
  fail "the pipeline's revision equals Terraform's" "no new revision registered (Terraform's: $terraform_revision)"
fi

# --- 3. the deploy role may do exactly what the jobs call --------------------------------
policies=()
for name in $(aws iam list-role-policies --role-name "$deploy_role" --query 'PolicyNames' --output text); do
  aws iam get-role-policy --role-name "$deploy_role" --policy-name "$name" --query PolicyDocument --output json \
    >"$work/policy-$name.json"
  policies+=(--policy "$work/policy-$name.json")
done
expect_eq "the deploy role carries the root's deploy policy and the bootstrap's publish policy" \
  "deploy-$cluster publish-images" "$(aws iam list-role-policies --role-name "$deploy_role" --query 'PolicyNames' --output text | tr '\t' '\n' | sort | paste -sd ' ')"
expect_ok "rolling: the deploy role allows every call of the version, publish, deploy and rollback jobs, and nothing more" \
  "$python" "$here/check-permissions.py" --settings "$settings" --parameter "$parameter" --account "$account" \
  --job version --job publish --job deploy --job rollback ${policies[@]+"${policies[@]}"}
printf '%s\n' "$out" | grep -E '^(FAIL|[0-9]+ permission)' || true

jq -r '.resource_changes[] | select(.address == "module.service.module.iam.aws_iam_role_policy.deploy[0]") | .change.after.policy' \
  "$canary_plan" >"$work/canary-deploy-policy.json"
jq -r '.resource_changes[] | select(.address == "module.service.aws_ssm_parameter.deploy_settings") | .change.after.value' \
  "$canary_plan" >"$work/canary-settings.json"
expect_ok "canary (planned): the settings name the CodeDeploy application and group" \
  "$SCRIPTS/deploy-settings.sh" --file "$work/canary-settings.json" --out "$work/canary-settings.checked.json"
expect_eq "canary (planned): CodeDeploy names as Terraform gives them" "canary $cluster $service" \
  "$(jq -r '"\(.deployment_strategy) \(.codedeploy_app_name) \(.codedeploy_deployment_group_name)"' "$work/canary-settings.json")"
expect_ok "canary (planned): the deploy role allows every call, CodeDeploy's included, and nothing more" \
  "$python" "$here/check-permissions.py" --settings "$work/canary-settings.json" --parameter "$parameter" \
  --account "$account" --job version --job publish --job deploy --job rollback \
  --policy "$work/canary-deploy-policy.json" --policy "$work/policy-publish-images.json"
printf '%s\n' "$out" | grep -E '^(FAIL|[0-9]+ permission)' || true

finish
