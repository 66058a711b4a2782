#!/usr/bin/env bash
# Deploy a new image (or an existing task definition) to an ECS service and follow the
# deployment to its final state.
#
#   deploy.sh --cluster C --service S --strategy rolling|blue_green|canary|linear
#             (--image REF --template FILE --values FILE [--version V] [--git-sha SHA]
#              | --task-definition ARN)
#             [--codedeploy-app NAME --codedeploy-group NAME]
#             [--timeout-s N] [--poll-s N] [--no-wait]
#
# With --image: the service's current task definition is the base (Terraform owns its
# roles, CPU, memory, network mode and platform); the container definitions are
# rendered from the template with the values plus image=REF; the result is registered as
# a new revision tagged with the version and git sha. With --task-definition: that
# revision is deployed as it is (how a rollback redeploys the previous revision).
#
# rolling        `ecs update-service`; ECS's circuit breaker and alarms may roll it back.
# blue_green, canary, linear
#                a CodeDeploy deployment of the revision (the deployment group's
#                configuration decides how traffic moves); CodeDeploy rolls back on
#                failure and on its alarms.
# Either way the job fails unless the deployment reached success (wait-deployment.sh).
#
# Step outputs (stdout, and $GITHUB_OUTPUT when set): previous_task_definition,
# previous_version (from the previous revision's "version" tag, may be empty),
# task_definition, and deployment_id.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

cluster="" service="" strategy="" image="" template="" values="" version="" git_sha=""
task_definition="" codedeploy_app="" codedeploy_group="" timeout_s=1800 poll_s=15 wait=true
while [ "$#" -gt 0 ]; do
  case $1 in
    --cluster) cluster=$(option_value "$@"); shift 2 ;;
    --service) service=$(option_value "$@"); shift 2 ;;
    --strategy) strategy=$(option_value "$@"); shift 2 ;;
    --image) image=$(option_value "$@"); shift 2 ;;
    --template) template=$(option_value "$@"); shift 2 ;;
    --values) values=$(option_value "$@"); shift 2 ;;
    --version) version=$(option_value "$@"); shift 2 ;;
    --git-sha) git_sha=$(option_value "$@"); shift 2 ;;
    --task-definition) task_definition=$(option_value "$@"); shift 2 ;;
    --codedeploy-app) codedeploy_app=$(option_value "$@"); shift 2 ;;
    --codedeploy-group) codedeploy_group=$(option_value "$@"); shift 2 ;;
    --timeout-s) timeout_s=$(option_value "$@"); shift 2 ;;
    --poll-s) poll_s=$(option_value "$@"); shift 2 ;;
    --no-wait) wait=false; shift ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
if [ -z "$cluster" ] || [ -z "$service" ]; then usage_error "--cluster and --service are required"; fi
case $strategy in
  rolling) controller=ECS ;;
  blue_green | canary | linear)
    controller=CODE_DEPLOY
    if [ -z "$codedeploy_app" ] || [ -z "$codedeploy_group" ]; then
      usage_error "--strategy $strategy needs --codedeploy-app and --codedeploy-group"
    fi
    ;;
  "") usage_error "--strategy is required" ;;
  *) usage_error "--strategy '$strategy': allowed are rolling, blue_green, canary, linear" ;;
esac
if [ -n "$image" ] && [ -n "$task_definition" ]; then usage_error "give --image or --task-definition, not both"; fi
if [ -z "$image" ] && [ -z "$task_definition" ]; then usage_error "give --image (with --template and --values) or --task-definition"; fi
if [ -n "$image" ]; then
  if [ -z "$template" ] || [ -z "$values" ]; then usage_error "--image needs --template and --values"; fi
  if [[ $image != *@sha256:* ]]; then
    warn "image '$image' is not pinned by digest; deploys should name the image by digest"
  fi
fi
require_commands aws jq
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log "reading service $service in cluster $cluster"
aws ecs describe-services --cluster "$cluster" --services "$service" --output json >"$work/service.json"
jq -e '(.services | length) == 1 and .services[0].status == "ACTIVE"' "$work/service.json" >/dev/null \
  || die "service '$service' not found (or not ACTIVE) in cluster '$cluster'"
previous=$(jq -r '.services[0].taskDefinition' "$work/service.json")
actual_controller=$(jq -r '.services[0].deploymentController.type // "ECS"' "$work/service.json")
[ "$actual_controller" = "$controller" ] \
  || die "strategy '$strategy' needs the $controller deployment controller, but the service uses $actual_controller (set the environment's strategy to match the Terraform deployment_strategy)"
aws ecs describe-task-definition --task-definition "$previous" --include TAGS --output json >"$work/previous.json"
previous=$(jq -r '.taskDefinition.taskDefinitionArn' "$work/previous.json")
previous_version=$(jq -r '[.tags[]? | select(.key == "version") | .value][0] // ""' "$work/previous.json")
emit_output previous_task_definition "$previous"
emit_output previous_version "$previous_version"

if [ -n "$image" ]; then
  tag_args=()
  [ -z "$version" ] || tag_args+=(--tag "version=$version")
  [ -z "$git_sha" ] || tag_args+=(--tag "git-sha=$git_sha")
  log "rendering the task definition from $template"
  "$here/render-task-definition.sh" --template "$template" --values "$values" --set "image=$image" \
    --base "$work/previous.json" ${tag_args[@]+"${tag_args[@]}"} >"$work/register.json"
  log "registering a new revision of $(jq -r .family "$work/register.json")"
  task_definition=$(aws ecs register-task-definition --cli-input-json "file://$work/register.json" \
    --query 'taskDefinition.taskDefinitionArn' --output text)
  log "registered $task_definition"
fi
emit_output task_definition "$task_definition"

if [ "$controller" = ECS ]; then
  log "updating service $service to $task_definition"
  aws ecs update-service --cluster "$cluster" --service "$service" \
    --task-definition "$task_definition" --output json >"$work/update.json"
  if ! $wait; then
    emit_output deployment_id ""
    log "not waiting for the deployment (--no-wait)"
    exit 0
  fi
  deployment_id=$(jq -r --arg td "$task_definition" \
    '[.service.deployments[]? | select(.status == "PRIMARY" and .taskDefinition == $td)][0].id // empty' "$work/update.json")
  [ -n "$deployment_id" ] \
    || die "update-service started no PRIMARY deployment of $task_definition (the answer lists: $(jq -c '[.service.deployments[]? | {id, status, taskDefinition}]' "$work/update.json"))"
  emit_output deployment_id "$deployment_id"
  log "following ECS deployment $deployment_id (timeout ${timeout_s} s)"
  # (Not exec: the EXIT trap must still remove the work directory.)
  "$here/wait-deployment.sh" --cluster "$cluster" --service "$service" \
    --deployment-id "$deployment_id" --task-definition "$task_definition" \
    --timeout-s "$timeout_s" --poll-s "$poll_s"
  exit $?
fi

# CodeDeploy: the AppSpec names the revision and the container and port behind the
# load balancer, both read from the revision itself.
if [ "$task_definition" = "$previous" ]; then
  log "the service already runs $task_definition: nothing to deploy"
  emit_output deployment_id ""
  exit 0
fi
aws ecs describe-task-definition --task-definition "$task_definition" --output json >"$work/target.json"
# (The AppSpec version must read 0.0, which jq would print as 0: hence the string.)
jq -n --arg td "$task_definition" --slurpfile t "$work/target.json" '
  ($t[0].taskDefinition.containerDefinitions[0]) as $c
  | [{TargetService: {Type: "AWS::ECS::Service", Properties: {
      TaskDefinition: $td,
      LoadBalancerInfo: {ContainerName: $c.name, ContainerPort: $c.portMappings[0].containerPort}}}}]
  | "{\"version\":0.0,\"Resources\":\(tojson)}"
  | {revisionType: "AppSpecContent", appSpecContent: {content: .}}' >"$work/revision.json"
log "starting a CodeDeploy deployment ($codedeploy_app/$codedeploy_group)"
deployment_id=$(aws deploy create-deployment --application-name "$codedeploy_app" \
  --deployment-group-name "$codedeploy_group" --revision "file://$work/revision.json" \
  --description "deploy $task_definition${version:+ (version $version)}" \
  --query deploymentId --output text)
emit_output deployment_id "$deployment_id"
if ! $wait; then
  log "not waiting for the deployment (--no-wait)"
  exit 0
fi
log "following CodeDeploy deployment $deployment_id (timeout ${timeout_s} s)"
if "$here/wait-deployment.sh" --codedeploy-deployment "$deployment_id" \
  --cluster "$cluster" --service "$service" --task-definition "$task_definition" \
  --timeout-s "$timeout_s" --poll-s "$poll_s"; then
  exit 0
fi
# A deployment that is still running when we give up is stopped and rolled back, so
# that the next deploy or rollback is not blocked by it.
status=$(aws deploy get-deployment --deployment-id "$deployment_id" --query 'deploymentInfo.status' --output text 2>/dev/null || echo unknown)
case $status in
  Created | Queued | InProgress | Baking | Ready)
    warn "stopping CodeDeploy deployment $deployment_id ($status) with automatic rollback"
    aws deploy stop-deployment --deployment-id "$deployment_id" --auto-rollback-enabled --output json >/dev/null \
      || warn "could not stop deployment $deployment_id"
    ;;
esac
exit 1
