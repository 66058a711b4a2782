#!/usr/bin/env bash
# Deploy a new image (or an existing task definition) to an ECS service and follow the
# deployment to its final state.
#
#   deploy.sh --settings FILE
#             (--image REF --template FILE [--version V] [--git-sha SHA] | --task-definition ARN)
#             [--verifier PATH] [--timeout-s N] [--verify-deadline-s V]
#             [--rollback-timeout-s R] [--poll-s N] [--no-wait]
#
#   deploy.sh --cluster C --service S --strategy rolling|blue_green|canary|linear
#             (--image REF --template FILE --values FILE [--version V] [--git-sha SHA]
#              | --task-definition ARN)
#             [--codedeploy-app NAME --codedeploy-group NAME --test-url URL] [options as above]
#
# --settings is the environment's deploy settings document (deploy-settings.sh --out):
# it supplies the cluster, service, strategy, CodeDeploy names, test listener URL and
# template values, Terraform's family, CPU, memory, CPU architecture and the two roles
# for the new revision, and the network configuration and capacity provider strategy for
# the AppSpec. Options given as well must agree with it.
#
# With --image: the service's current task definition is the base (everything
# register-task-definition accepts is kept, with the settings' values on top); the
# container definitions are rendered from the template with the values plus image=REF;
# the result is registered as a new revision tagged with the version and git sha. With
# --task-definition: that revision is deployed as it is (how a rollback redeploys the
# previous revision).
#
# rolling        `ecs update-service`; ECS's circuit breaker and alarms may roll it back;
#                wait-deployment.sh follows it to COMPLETED.
# blue_green, canary, linear
#                a CodeDeploy deployment (codedeploy-deploy.sh), verified on the test
#                listener before production traffic moves: the deployment waits at Ready,
#                verify-service.sh checks --test-url with the revision's version (with
#                --verifier if given, else with curl), then continue-deployment shifts traffic
#                as the deployment group's configuration says; a failed verification
#                stops the deployment with automatic rollback. The deployment group must
#                deploy this cluster's service, have a test listener, and wait at Ready
#                (deployment ready option STOP_DEPLOYMENT) longer than the verification
#                takes: all checked before anything is registered. The AppSpec names the
#                container and port behind the load balancer (the settings'
#                container_name and container_port, which the revision must have) and,
#                from the settings, the network configuration and capacity providers.
#
# Every option is checked (and the template rendered once) before the first AWS call.
# A throttled or failed read is retried; AWS refusing a call (access denied, not found,
# invalid) stops the deploy at once, with the CLI's message.
#
# Time, at most (each AWS call is cut at AWS_CALL_TIMEOUT_S, default 60 s, + 5 s):
#   preparation   the reads before anything changes share 120 s (+ 30 s for the last);
#                 then one register-task-definition call (--image);
#   rolling       update-service, then --timeout-s N (default 1800) for the deployment,
#                 + 45 s (the last status read, the stopped tasks' diagnostics);
#   CodeDeploy    N for the deployment (the wait for Ready, the verification within
#                 --verify-deadline-s V (default 300), the traffic shift, the original
#                 tasks' termination wait) and --rollback-timeout-s R (default 600) for a
#                 stop and its rollback: codedeploy-deploy.sh's N + R + 4 min;
# in all: N + 6 min for rolling, N + R + 9 min for CodeDeploy.
#
# Step outputs (stdout, and $GITHUB_OUTPUT when set): previous_task_definition,
# previous_version (from the previous revision's "version" tag, may be empty),
# task_definition, deployment_id, and for CodeDeploy rolled_back=true when it stopped the
# deployment and the rollback was confirmed.
# Exit codes: 0 deployed; 1 not deployed (refused, failed, rolled back or timed out:
# the messages say which); 2 bad arguments.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/aws.sh
source "$here/lib/aws.sh"
# shellcheck source=lib/settings.sh
source "$here/lib/settings.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

cluster="" service="" strategy="" image="" template="" values="" version="" git_sha=""
task_definition="" codedeploy_app="" codedeploy_group="" timeout_s=1800 poll_s=15 wait=true
settings="" test_url="" verifier="" verify_deadline_s=300 rollback_timeout_s=600
while [ "$#" -gt 0 ]; do
  case $1 in
    --cluster) cluster=$(option_value "$@"); shift 2 ;;
    --service) service=$(option_value "$@"); shift 2 ;;
    --strategy) strategy=$(option_value "$@"); shift 2 ;;
    --image) image=$(option_value "$@"); shift 2 ;;
    --template) template=$(option_value "$@"); shift 2 ;;
    --values) values=$(option_value "$@"); shift 2 ;;
    --settings) settings=$(option_value "$@"); shift 2 ;;
    --version) version=$(option_value "$@"); shift 2 ;;
    --git-sha) git_sha=$(option_value "$@"); shift 2 ;;
    --task-definition) task_definition=$(option_value "$@"); shift 2 ;;
    --codedeploy-app) codedeploy_app=$(option_value "$@"); shift 2 ;;
    --codedeploy-group) codedeploy_group=$(option_value "$@"); shift 2 ;;
    --timeout-s) timeout_s=$(option_value "$@"); shift 2 ;;
    --poll-s) poll_s=$(option_value "$@"); shift 2 ;;
    --test-url) test_url=$(option_value "$@"); shift 2 ;;
    --verifier) verifier=$(option_value "$@"); shift 2 ;;
    --verify-deadline-s) verify_deadline_s=$(option_value "$@"); shift 2 ;;
    --rollback-timeout-s) rollback_timeout_s=$(option_value "$@"); shift 2 ;;
    --no-wait) wait=false; shift ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
is_positive_int "$timeout_s" || usage_error "--timeout-s '$timeout_s' must be a whole number of seconds"
is_positive_int "$poll_s" || usage_error "--poll-s '$poll_s' must be a whole number of seconds"
[ "$poll_s" -lt "$timeout_s" ] || usage_error "--poll-s ($poll_s) must be shorter than --timeout-s ($timeout_s)"
is_positive_int "$verify_deadline_s" || usage_error "--verify-deadline-s '$verify_deadline_s' must be a whole number of seconds"
is_positive_int "$rollback_timeout_s" || usage_error "--rollback-timeout-s '$rollback_timeout_s' must be a whole number of seconds"
[ -z "$verifier" ] || [ -x "$verifier" ] || usage_error "--verifier '$verifier' is not an executable"
# ECS tag values (the version and git sha tags): letters, digits, spaces and _.:/=+-@.
tag_value='^[A-Za-z0-9_.:/=+@ -]{1,256}$'
[ -z "$version" ] || [[ $version =~ $tag_value ]] || usage_error "--version '$version' is not a valid tag value (letters, digits and _.:/=+-@)"
[ -z "$git_sha" ] || [[ $git_sha =~ $tag_value ]] || usage_error "--git-sha '$git_sha' is not a valid tag value"
if [ -n "$task_definition" ] && ! [[ $task_definition =~ ^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/)?[A-Za-z0-9_-]{1,255}(:[1-9][0-9]*)?$ ]]; then
  usage_error "--task-definition '$task_definition' is not a task definition ARN or family[:revision]"
fi
[ -z "$template" ] || [ -r "$template" ] || usage_error "--template '$template' not found"
[ -z "$values" ] || [ -r "$values" ] || usage_error "--values '$values' not found"
[ -z "$settings" ] || [ -r "$settings" ] || usage_error "--settings '$settings' not found"
require_commands jq
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The reads before the deployment starts (retried while AWS throttles or fails) share
# this much time; --timeout-s is the deployment's own.
PREPARE_S=120
prepare_deadline=$(($(date +%s) + PREPARE_S))

# The settings fill in what was not given; what was given must agree with them.
container_name="" container_port=""
if [ -n "$settings" ]; then
  settings_load "$settings"
  from_settings() { # VARIABLE OPTION KEY
    local current=${!1} wanted
    wanted=$(settings_get "$settings" "$3")
    if [ -z "$current" ]; then
      printf -v "$1" '%s' "$wanted"
    elif [ "$current" != "$wanted" ]; then
      usage_error "$2 '$current' disagrees with the deploy settings ($3 = '$wanted')"
    fi
  }
  from_settings cluster --cluster cluster_name
  from_settings service --service service_name
  from_settings strategy --strategy deployment_strategy
  from_settings codedeploy_app --codedeploy-app codedeploy_app_name
  from_settings codedeploy_group --codedeploy-group codedeploy_deployment_group_name
  from_settings test_url --test-url test_url
  container_name=$(settings_get "$settings" container_name)
  container_port=$(settings_get "$settings" container_port)
  if [ -n "$values" ]; then usage_error "give --values or --settings (which holds the values), not both"; fi
  values=$work/template-values.json
  jq '.container_template_values' "$settings" >"$values"
fi
if [ -z "$cluster" ] || [ -z "$service" ]; then usage_error "--cluster and --service are required (or --settings)"; fi
case $strategy in
  rolling) controller=ECS ;;
  blue_green | canary | linear)
    controller=CODE_DEPLOY
    if [ -z "$codedeploy_app" ] || [ -z "$codedeploy_group" ]; then
      usage_error "--strategy $strategy needs --codedeploy-app and --codedeploy-group"
    fi
    # Verified on the test listener before production traffic moves: a URL to check
    # (with the --verifier binary or file if given, else verify-service.sh's curl), and
    # someone to continue the deployment.
    case $test_url in
      http://?* | https://?*) ;;
      "") usage_error "--strategy $strategy needs the test listener's URL (--test-url, or test_url in the settings) to verify before traffic shifts" ;;
      *) usage_error "--test-url '$test_url' must start with http:// or https://" ;;
    esac
    if ! $wait; then
      usage_error "--no-wait does not go with --strategy $strategy: the deployment waits at Ready for this script to verify and continue it"
    fi
    [ "$verify_deadline_s" -lt "$timeout_s" ] \
      || usage_error "--verify-deadline-s ($verify_deadline_s) must be shorter than --timeout-s ($timeout_s), which includes it"
    ;;
  "") usage_error "--strategy is required" ;;
  *) usage_error "--strategy '$strategy': allowed are rolling, blue_green, canary, linear" ;;
esac
if [ -n "$image" ] && [ -n "$task_definition" ]; then usage_error "give --image or --task-definition, not both"; fi
if [ -z "$image" ] && [ -z "$task_definition" ]; then usage_error "give --image (with --template and --values) or --task-definition"; fi
if [ -n "$image" ]; then
  if [ -z "$template" ] || [ -z "$values" ]; then usage_error "--image needs --template and --values (or --settings)"; fi
  [[ $image =~ ^[^[:space:]]+$ ]] || usage_error "--image '$image' is not an image reference"
  if [[ $image != *@sha256:* ]]; then
    warn "image '$image' is not pinned by digest; deploys should name the image by digest"
  fi
  # The template with these values renders (no missing or unknown placeholder, valid
  # JSON) before anything in AWS is touched.
  "$here/render-task-definition.sh" --template "$template" --values "$values" --set "image=$image" >/dev/null
fi
require_commands aws

# read_aws COMMAND...: one AWS read into $aws_out, retried while retryable, within the
# preparation's time (and at least 30 s).
read_aws() {
  local deadline=$prepare_deadline
  [ "$deadline" -ge $(($(date +%s) + 30)) ] || deadline=$(($(date +%s) + 30))
  aws_retry "$deadline" "$@" || die "$2 $3 failed: $aws_error"
}

log "reading service $service in cluster $cluster"
read_aws aws ecs describe-services --cluster "$cluster" --services "$service" --output json
printf '%s\n' "$aws_out" >"$work/service.json"
jq -e '(.services | length) == 1 and .services[0].status == "ACTIVE"' "$work/service.json" >/dev/null \
  || die "service '$service' not found (or not ACTIVE) in cluster '$cluster'"
previous=$(jq -r '.services[0].taskDefinition' "$work/service.json")
actual_controller=$(jq -r '.services[0].deploymentController.type // "ECS"' "$work/service.json")
[ "$actual_controller" = "$controller" ] \
  || die "strategy '$strategy' needs the $controller deployment controller, but the service uses $actual_controller (set the environment's strategy to match the Terraform deployment_strategy)"
read_aws aws ecs describe-task-definition --task-definition "$previous" --include TAGS --output json
printf '%s\n' "$aws_out" >"$work/previous.json"
previous=$(jq -r '.taskDefinition.taskDefinitionArn' "$work/previous.json")
previous_version=$(jq -r '[.tags[]? | select(.key == "version") | .value][0] // ""' "$work/previous.json")
emit_output previous_task_definition "$previous"
emit_output previous_version "$previous_version"

# CodeDeploy: the deployment group is checked before anything is registered.
if [ "$controller" = CODE_DEPLOY ]; then
  log "checking CodeDeploy deployment group $codedeploy_app/$codedeploy_group"
  read_aws aws deploy get-deployment-group --application-name "$codedeploy_app" \
    --deployment-group-name "$codedeploy_group" --output json
  printf '%s\n' "$aws_out" >"$work/group.json"
  jq -e --arg c "$cluster" --arg s "$service" \
    'any(.deploymentGroupInfo.ecsServices[]?; .clusterName == $c and .serviceName == $s)' "$work/group.json" >/dev/null \
    || die "CodeDeploy deployment group $codedeploy_app/$codedeploy_group deploys $(jq -c '[.deploymentGroupInfo.ecsServices[]? | "\(.clusterName)/\(.serviceName)"]' "$work/group.json"), not $cluster/$service"
  # What the verification before traffic shifts needs from the group: a wait at Ready
  # (STOP_DEPLOYMENT) long enough to notice Ready, verify and continue; a test listener
  # for --test-url to reach the replacement tasks; and --timeout-s room for the
  # verification and the wait before the original tasks end.
  problems=$(jq -r --argjson verify "$verify_deadline_s" --argjson poll "$poll_s" --argjson timeout "$timeout_s" '
    .deploymentGroupInfo as $g
    | ($g.blueGreenDeploymentConfiguration.deploymentReadyOption // {}) as $ready
    | (($ready.waitTimeInMinutes // 0) * 60) as $wait
    | (($g.blueGreenDeploymentConfiguration.terminateBlueInstancesOnDeploymentSuccess.terminationWaitTimeInMinutes // 0) * 60) as $termination
    | (select(($ready.actionOnTimeout // "CONTINUE_DEPLOYMENT") != "STOP_DEPLOYMENT")
        | "it shifts production traffic as soon as the replacement tasks run (deployment ready option \($ready.actionOnTimeout // "CONTINUE_DEPLOYMENT")): verifying before traffic moves needs STOP_DEPLOYMENT with a wait"),
      (select(($ready.actionOnTimeout // "") == "STOP_DEPLOYMENT" and $wait < $verify + $poll + 130)
        | "it waits \($wait / 60) min at Ready, less than the verification needs (--verify-deadline-s \($verify) + one poll of \($poll) s + 130 s for the calls around it): CodeDeploy would stop the deployment first"),
      (select([$g.loadBalancerInfo.targetGroupPairInfoList[]?.testTrafficRoute.listenerArns[]?] | length == 0)
        | "it has no test listener, so the test URL would not reach the replacement tasks"),
      (select($timeout < $verify + $termination + 2 * $poll)
        | "--timeout-s \($timeout) leaves no room for the verification (\($verify) s) and the \($termination / 60) min the group keeps the original tasks after the traffic shift")
  ' "$work/group.json")
  if [ -n "$problems" ]; then
    die "CodeDeploy deployment group $codedeploy_app/$codedeploy_group cannot be verified before traffic shifts:
  - ${problems//$'\n'/$'\n'  - }"
  fi
  log "deployment group: $(jq -r '.deploymentGroupInfo | "\(.deploymentConfigName // "?"), target groups \([.loadBalancerInfo.targetGroupPairInfoList[]?.targetGroups[]?.name] | join(" and ") | if . == "" then "?" else . end), waits \(.blueGreenDeploymentConfiguration.deploymentReadyOption.waitTimeInMinutes) min at Ready"' "$work/group.json")"
fi

if [ -n "$image" ]; then
  tag_args=()
  [ -z "$version" ] || tag_args+=(--tag "version=$version")
  [ -z "$git_sha" ] || tag_args+=(--tag "git-sha=$git_sha")
  log "rendering the task definition from $template"
  "$here/render-task-definition.sh" --template "$template" --values "$values" --set "image=$image" \
    --base "$work/previous.json" ${tag_args[@]+"${tag_args[@]}"} >"$work/register.json"
  if [ -n "$settings" ]; then
    # Terraform's current task settings, not those of whatever revision runs: a CPU,
    # memory or role change applied by Terraform reaches the service with the next deploy
    # (Terraform itself leaves the running revision to the pipeline).
    if ! jq --slurpfile s "$settings" '$s[0] as $s
      | .family = $s.task_family | .cpu = ($s.cpu | tostring) | .memory = ($s.memory | tostring)
      | .executionRoleArn = $s.execution_role_arn | .taskRoleArn = $s.task_role_arn
      | .runtimePlatform = ((.runtimePlatform // {operatingSystemFamily: "LINUX"}) + {cpuArchitecture: $s.cpu_architecture})' \
      "$work/register.json" >"$work/register.tmp" 2>"$work/register.err"; then
      die "cannot put the deploy settings' task settings into the new revision: $(cat "$work/register.err")"
    fi
    mv "$work/register.tmp" "$work/register.json"
    # What is registered is checked, not assumed: the settings' family, size, roles and
    # platform, and the container the load balancer sends traffic to.
    problems=$(jq -r --slurpfile s "$settings" '$s[0] as $s
      | [ (select(.family != $s.task_family) | "family \(.family | tojson), expected \($s.task_family)"),
          (select(.cpu != ($s.cpu | tostring)) | "cpu \(.cpu | tojson), expected \($s.cpu)"),
          (select(.memory != ($s.memory | tostring)) | "memory \(.memory | tojson), expected \($s.memory)"),
          (select(.executionRoleArn != $s.execution_role_arn) | "executionRoleArn \(.executionRoleArn | tojson), expected \($s.execution_role_arn)"),
          (select(.taskRoleArn != $s.task_role_arn) | "taskRoleArn \(.taskRoleArn | tojson), expected \($s.task_role_arn)"),
          (select(.runtimePlatform.cpuArchitecture != $s.cpu_architecture) | "cpuArchitecture \(.runtimePlatform.cpuArchitecture | tojson), expected \($s.cpu_architecture)"),
          (select(any(.containerDefinitions[]?; .name == $s.container_name and any(.portMappings[]?; .containerPort == $s.container_port)) | not)
            | "has no container \u0027\($s.container_name)\u0027 listening on \($s.container_port) (container_name and container_port in the deploy settings: where the load balancer sends traffic)") ]
      | .[]' "$work/register.json" 2>&1) || problems="the register-task-definition input is not a JSON object: $problems"
    if [ -n "$problems" ]; then
      die "the rendered task definition is not what the deploy settings say:
  - ${problems//$'\n'/$'\n'  - }"
    fi
  fi
  log "registering a new revision of $(jq -r .family "$work/register.json")"
  aws_call aws ecs register-task-definition --cli-input-json "file://$work/register.json" --output json \
    || die "register-task-definition failed: $aws_error"
  task_definition=$(jq -r '.taskDefinition.taskDefinitionArn // empty' <<<"$aws_out")
  [ -n "$task_definition" ] || die "register-task-definition answered without a task definition ARN: $(head -c 300 <<<"$aws_out")"
  log "registered $task_definition"
fi
emit_output task_definition "$task_definition"

if [ "$controller" = ECS ]; then
  log "updating service $service to $task_definition"
  aws_call aws ecs update-service --cluster "$cluster" --service "$service" \
    --task-definition "$task_definition" --output json || die "update-service failed: $aws_error"
  printf '%s\n' "$aws_out" >"$work/update.json"
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
  rc=0
  "$here/wait-deployment.sh" --cluster "$cluster" --service "$service" \
    --deployment-id "$deployment_id" --task-definition "$task_definition" \
    --timeout-s "$timeout_s" --poll-s "$poll_s" || rc=$?
  # 0 success; anything else (failed, rolled back, timed out, state unknown) is a failed deploy.
  [ "$rc" -eq 0 ] || exit 1
  exit 0
fi

# CodeDeploy: the AppSpec names the revision and the container and port behind the
# load balancer: the settings' container_name and container_port (without settings, the
# revision's first container and port), which the revision must have; and, from the
# settings, the service's network configuration and capacity provider strategy, which
# CodeDeploy gives the replacement task set (an ECS service under CodeDeploy takes
# changes to them only this way).
if [ "$task_definition" = "$previous" ]; then
  log "the service already runs $task_definition: nothing to deploy"
  emit_output deployment_id ""
  exit 0
fi
read_aws aws ecs describe-task-definition --task-definition "$task_definition" --include TAGS --output json
printf '%s\n' "$aws_out" >"$work/target.json"
if [ -z "$container_name" ]; then
  container_name=$(jq -r '.taskDefinition.containerDefinitions[0].name' "$work/target.json")
  container_port=$(jq -r '.taskDefinition.containerDefinitions[0].portMappings[0].containerPort' "$work/target.json")
fi
jq -e --arg n "$container_name" --argjson p "$container_port" \
  'any(.taskDefinition.containerDefinitions[]; .name == $n and any(.portMappings[]?; .containerPort == $p))' "$work/target.json" >/dev/null \
  || die "$task_definition has no container '$container_name' listening on $container_port, which the load balancer sends traffic to"
# The version the test listener must answer with: the revision's own tag.
expected_version=$(jq -r '[.tags[]? | select(.key == "version") | .value][0] // ""' "$work/target.json")
[ -n "$expected_version" ] || expected_version=$version
network='null' capacity='null'
if [ -n "$settings" ]; then
  network=$(jq -c '.network_configuration // null' "$settings")
  capacity=$(jq -c '.capacity_provider_strategy // null' "$settings")
fi
# (The AppSpec version must read 0.0, which jq would print as 0: hence the string.)
jq -n --arg td "$task_definition" --arg name "$container_name" --argjson port "$container_port" \
  --argjson network "$network" --argjson capacity "$capacity" '
  {TaskDefinition: $td, LoadBalancerInfo: {ContainerName: $name, ContainerPort: $port}}
  + (if $network == null then {} else {NetworkConfiguration: {AwsvpcConfiguration: {
      Subnets: $network.subnets, SecurityGroups: $network.security_groups,
      AssignPublicIp: (if $network.assign_public_ip then "ENABLED" else "DISABLED" end)}}} end)
  + (if ($capacity // []) == [] then {} else {CapacityProviderStrategy: [$capacity[]
      | {CapacityProvider: .capacity_provider, Weight: .weight, Base: (.base // 0)}]} end)
  | [{TargetService: {Type: "AWS::ECS::Service", Properties: .}}]
  | "{\"version\":0.0,\"Resources\":\(tojson)}"
  | {revisionType: "AppSpecContent", appSpecContent: {content: .}}' >"$work/revision.json"
codedeploy_args=(--app "$codedeploy_app" --group "$codedeploy_group" --revision "$work/revision.json"
  --description "deploy $task_definition${expected_version:+ (version $expected_version)}"
  --test-url "$test_url" --cluster "$cluster" --service "$service" --task-definition "$task_definition"
  --timeout-s "$timeout_s" --verify-deadline-s "$verify_deadline_s" --rollback-timeout-s "$rollback_timeout_s"
  --poll-s "$poll_s")
[ -z "$verifier" ] || codedeploy_args+=(--verifier "$verifier")
[ -z "$expected_version" ] || codedeploy_args+=(--expect-version "$expected_version")
# (Not exec: the EXIT trap must still remove the work directory.)
rc=0
"$here/codedeploy-deploy.sh" "${codedeploy_args[@]}" || rc=$?
exit "$rc"
