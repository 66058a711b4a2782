#!/usr/bin/env bash
# deploy.sh against a stand-in for the AWS CLI (fake-aws/aws) that records every call:
# what it checks before its first AWS call, what it refuses to register, and how it
# reads answers that come with warnings. (test-moto.sh runs it against moto_server with
# the real CLI; moto cannot fail, throttle or warn.)
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export AWS_CALL_TIMEOUT_S=10
settings=$FIXTURES/deploy-settings-staging.json
image=123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service@sha256:3333333333333333333333333333333333333333333333333333333333333333
previous=arn:aws:ecs:us-east-1:123456789012:task-definition/hello-service-staging:7
new=arn:aws:ecs:us-east-1:123456789012:task-definition/hello-service-staging:8
deploy() { "$SCRIPTS/deploy.sh" --settings "$settings" --image "$image" --template "$TEMPLATE" "$@"; }
total_calls() { wc -l <"$FAKE_AWS_DIR/calls" | tr -d ' '; }

# The answers of a healthy rolling deploy: the service, its revision, the registration,
# the update, and the deployment COMPLETED; each with a warning on stderr.
rolling_answers() {
  local warning=${1:-}
  answer_json ecs describe-services "$(jq -n --arg td "$previous" '{services: [{serviceName: "hello-service",
    status: "ACTIVE", taskDefinition: $td, deploymentController: {type: "ECS"}, deployments: []}], failures: []}')" "$warning"
  answer_json ecs describe-task-definition "$(jq --arg td "$previous" '.taskDefinition.taskDefinitionArn = $td' \
    "$FIXTURES/describe-task-definition.json")" "$warning"
  answer_json ecs register-task-definition "$(jq -n --arg td "$new" '{taskDefinition: {taskDefinitionArn: $td, revision: 8}}')" "$warning"
  answer_json ecs update-service "$(jq -n --arg td "$new" '{service: {deployments: [{id: "ecs-svc/1", status: "PRIMARY", taskDefinition: $td}]}}')" "$warning"
  answer_json ecs describe-services "$(jq -n --arg td "$new" '{services: [{serviceName: "hello-service", status: "ACTIVE",
    taskDefinition: $td, deployments: [{id: "ecs-svc/1", status: "PRIMARY", taskDefinition: $td, rolloutState: "COMPLETED",
    desiredCount: 2, runningCount: 2, pendingCount: 0}]}], failures: []}')" "$warning"
}

# --- a rolling deploy whose every answer comes with a warning on stderr -----------------
fake_aws "$tmp/fake"
rolling_answers "$CLI_WARNING"
expect_ok "rolling: every answer with a warning on stderr, and the deploy succeeds" deploy --version 1.5.0 --poll-s 1
expect_eq "rolling: the new revision is the registered one" "task_definition=$new" "$(grep '^task_definition=' <<<"$out")"
expect_eq "rolling: register, then update" "1 1" "$(calls_of ecs register-task-definition) $(calls_of ecs update-service)"

# --- every option is checked before the first AWS call ---------------------------------
for bad in "--timeout-s 30m" "--timeout-s 0" "--poll-s soon" "--version 1.5.0!" "--git-sha a;b" "--template $tmp/nope.tftpl"; do
  fake_aws "$tmp/fake"
  rolling_answers
  # shellcheck disable=SC2086 # the option and its value
  expect_fail "options: '$bad' is refused (exit 2) before any AWS call" 2 "error: " deploy $bad
  expect_eq "options: '$bad' made no AWS call" 0 "$(total_calls)"
done
fake_aws "$tmp/fake"
rolling_answers
expect_fail "options: --task-definition that is not a revision is refused before any AWS call" 2 \
  "is not a task definition ARN" "$SCRIPTS/deploy.sh" --settings "$settings" --task-definition "hello service:7"
expect_eq "options: a bad --task-definition made no AWS call" 0 "$(total_calls)"
jq 'del(.container_template_values.workers)' "$settings" >"$tmp/no-workers.json"
expect_fail "options: a template placeholder without a value stops the deploy before any AWS call" 1 \
  "no value for placeholder\(s\): workers" \
  "$SCRIPTS/deploy.sh" --settings "$tmp/no-workers.json" --image "$image" --template "$TEMPLATE"
expect_eq "options: the template is rendered before any AWS call" 0 "$(total_calls)"

# --- the register-task-definition input is checked, not assumed ------------------------
# A base revision whose runtimePlatform is not an object: merging the settings' CPU
# architecture into it fails. The deploy must stop there, saying why, instead of
# registering the base's family, size and roles.
fake_aws "$tmp/fake"
answer_json ecs describe-services "$(jq -n --arg td "$previous" '{services: [{serviceName: "hello-service",
  status: "ACTIVE", taskDefinition: $td, deploymentController: {type: "ECS"}, deployments: []}], failures: []}')"
answer_json ecs describe-task-definition "$(jq --arg td "$previous" '.taskDefinition.taskDefinitionArn = $td
  | .taskDefinition.family = "someone-else" | .taskDefinition.runtimePlatform = "LINUX"' "$FIXTURES/describe-task-definition.json")"
answer_json ecs register-task-definition "$(jq -n --arg td "$new" '{taskDefinition: {taskDefinitionArn: $td}}')"
expect_fail "register: a settings merge that fails stops the deploy with jq's reason" 1 \
  "cannot put the deploy settings' task settings into the new revision: jq: error .*(string|object)" \
  deploy --version 1.5.0 --no-wait
expect_eq "register: nothing was registered" 0 "$(calls_of ecs register-task-definition)"

# --- CodeDeploy: verified on the test listener before traffic shifts ---------------------
test_url=http://hello-service-staging-123456789.us-east-1.elb.amazonaws.com:8080
jq --arg url "$test_url" '.deployment_strategy = "canary" | .codedeploy_app_name = "hello-service-staging"
  | .codedeploy_deployment_group_name = "hello-service" | .test_url = $url' "$settings" >"$tmp/canary.json"
# A verifier that records its call (in the stand-in's call log, to see the order) and
# passes or fails as $tmp/verifier.rc says.
cat >"$tmp/verifier" <<SH
#!/bin/sh
printf 'verifier %s\n' "\$*" >>"\$FAKE_AWS_DIR/calls"
exit "\$(cat "$tmp/verifier.rc")"
SH
chmod +x "$tmp/verifier"
canary() { "$SCRIPTS/deploy.sh" --settings "$tmp/canary.json" --image "$image" --template "$TEMPLATE" \
  --version 1.5.0 --verifier "$tmp/verifier" --poll-s 1 --timeout-s 30 --verify-deadline-s 5 --rollback-timeout-s 20 "$@"; }
# group [JQ]: the deployment group's answer (waits 15 min at Ready, keeps the original
# tasks 0 min, has a test listener), changed by JQ.
group() {
  answer_json deploy get-deployment-group "$(jq -n '{deploymentGroupInfo: {
    applicationName: "hello-service-staging", deploymentGroupName: "hello-service",
    deploymentConfigName: "CodeDeployDefault.ECSCanary10Percent5Minutes",
    ecsServices: [{clusterName: "hello-service-staging", serviceName: "hello-service"}],
    blueGreenDeploymentConfiguration: {
      deploymentReadyOption: {actionOnTimeout: "STOP_DEPLOYMENT", waitTimeInMinutes: 15},
      terminateBlueInstancesOnDeploymentSuccess: {action: "TERMINATE", terminationWaitTimeInMinutes: 0}},
    loadBalancerInfo: {targetGroupPairInfoList: [{
      targetGroups: [{name: "hello-service-staging-blue"}, {name: "hello-service-staging-green"}],
      prodTrafficRoute: {listenerArns: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/hello-service-staging/0123456789abcdef/1111111111111111"]},
      testTrafficRoute: {listenerArns: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/hello-service-staging/0123456789abcdef/2222222222222222"]}}]}}}' \
    | jq "${1:-.}")"
}
# deployment ID STATUS [JQ]: a get-deployment answer for ID.
deployment() {
  answer_json deploy "get-deployment@$1" "$(jq --arg id "$1" --arg status "$2" \
    '.deploymentInfo.deploymentId = $id | .deploymentInfo.status = $status' \
    "$FIXTURES/codedeploy-canary-success/02-in-progress.json" | jq "${3:-.}")"
}
# The service (under CodeDeploy), its revisions, the registration, the deployment's id.
codedeploy_answers() {
  fake_aws "$tmp/fake"
  echo 0 >"$tmp/verifier.rc"
  answer_json ecs describe-services "$(jq -n --arg td "$previous" '{services: [{serviceName: "hello-service",
    status: "ACTIVE", taskDefinition: $td, deploymentController: {type: "CODE_DEPLOY"}, deployments: []}], failures: []}')"
  answer_json ecs "describe-task-definition@$previous" "$(jq --arg td "$previous" '.taskDefinition.taskDefinitionArn = $td' \
    "$FIXTURES/describe-task-definition.json")"
  answer_json ecs "describe-task-definition@$new" "$(jq --arg td "$new" '.taskDefinition.taskDefinitionArn = $td
    | .tags = [{key: "version", value: "1.5.0"}]' "$FIXTURES/describe-task-definition.json")"
  answer_json ecs register-task-definition "$(jq -n --arg td "$new" '{taskDefinition: {taskDefinitionArn: $td}}')"
  # create-deployment keeps the AppSpec it was given, for the checks below.
  # shellcheck disable=SC2016 # the stand-in's text, run by it
  printf '%s\n' 'for a in "${args[@]}"; do case $a in file://*) cp "${a#file://}" "$FAKE_AWS_DIR/revision.json" ;; esac; done' \
    'echo "{\"deploymentId\": \"d-NEW\"}"' | answer deploy create-deployment
  answer_json ecs list-tasks '[]'
  printf 'exit 0\n' | answer deploy continue-deployment
  answer_json deploy stop-deployment '{"status": "Pending", "statusMessage": "Stopping the deployment"}'
}
# stopped_when_stopped ID: ID stays InProgress until stop-deployment is called, then is
# Stopped (no rollback deployment: no traffic had moved).
stopped_when_stopped() {
  printf '%s\n' "if grep -q '^deploy stop-deployment' \"\$FAKE_AWS_DIR/calls\"; then status=Stopped; else status=InProgress; fi" \
    "jq --arg id $1 --arg status \"\$status\" '.deploymentInfo.deploymentId = \$id | .deploymentInfo.status = \$status' $(printf '%q' "$FIXTURES/codedeploy-canary-success/02-in-progress.json")" \
    | answer deploy "get-deployment@$1"
}
# rolled_back_answers: the group's answer; d-NEW gets Ready, is stopped, and its rollback
# d-ROLLBACK succeeds.
rolled_back_answers() {
  group
  deployment d-NEW Created
  deployment d-NEW Ready
  deployment d-NEW Stopped '.deploymentInfo.rollbackInfo = {rollbackDeploymentId: "d-ROLLBACK", rollbackMessage: "Deployment stopped by request"}'
  deployment d-ROLLBACK InProgress
  deployment d-ROLLBACK Succeeded
}
order() { sed -E 's/^(verifier|[a-z]+ [a-z-]+).*/\1/' "$FAKE_AWS_DIR/calls" | grep -E '^(verifier|deploy (create|continue|stop)-deployment)' | paste -sd ' '; }

# Verified: continue, then traffic shifts to Succeeded.
codedeploy_answers
group
deployment d-NEW Created
deployment d-NEW Ready
deployment d-NEW InProgress
deployment d-NEW Succeeded
expect_ok "canary: Ready, verified on the test listener, continued, Succeeded" canary
expect_eq "canary: create, verify, then continue; never stopped" \
  "deploy create-deployment verifier deploy continue-deployment" "$(order)"
expect_eq "canary: the verifier checks the test listener for the new version" \
  "verifier verify --url $test_url --consecutive 5 --deadline-s 5 --interval-ms 2000 --expect-version 1.5.0" \
  "$(grep '^verifier ' "$FAKE_AWS_DIR/calls")"
expect_eq "canary: continue-deployment waits for nothing more (READY_WAIT)" \
  "deploy continue-deployment --deployment-id d-NEW --deployment-wait-type READY_WAIT" "$(grep '^deploy continue-deployment' "$FAKE_AWS_DIR/calls")"
appspec=$(jq -r '.appSpecContent.content' "$FAKE_AWS_DIR/revision.json" 2>&1) || true
expect_eq "AppSpec: the revision, container and port" "$new|hello-service|5000" \
  "$(jq -r '.Resources[0].TargetService.Properties | "\(.TaskDefinition)|\(.LoadBalancerInfo.ContainerName)|\(.LoadBalancerInfo.ContainerPort)"' <<<"$appspec")"
expect_eq "AppSpec: the settings' network configuration, in the AppSpec's form" \
  '{"AwsvpcConfiguration":{"AssignPublicIp":"DISABLED","SecurityGroups":["sg-0123456789abcdef0"],"Subnets":["subnet-0a1b2c3d4e5f60718","subnet-0f1e2d3c4b5a69788"]}}' \
  "$(jq -cS '.Resources[0].TargetService.Properties.NetworkConfiguration' <<<"$appspec")"
expect_eq "AppSpec: the settings' capacity provider strategy, in the AppSpec's form" \
  '[{"Base":1,"CapacityProvider":"FARGATE","Weight":1},{"Base":0,"CapacityProvider":"FARGATE_SPOT","Weight":3}]' \
  "$(jq -cS '.Resources[0].TargetService.Properties.CapacityProviderStrategy' <<<"$appspec")"
if grep -q '^{"version":0.0,' <<<"$appspec"; then pass "AppSpec: version 0.0"; else fail "AppSpec: version 0.0" "$appspec"; fi

# The test listener fails verification: stopped with rollback, never continued.
codedeploy_answers
echo 1 >"$tmp/verifier.rc"
rolled_back_answers
expect_fail "canary: a failed verification stops the deployment and follows the rollback" 1 \
  "ROLLED BACK: deployment d-NEW stopped, rollback deployment d-ROLLBACK Succeeded" canary
expect_eq "canary: verify, then stop with auto-rollback; never continued" \
  "deploy create-deployment verifier deploy stop-deployment" "$(order)"
expect_eq "canary: the stop asks for the automatic rollback" \
  "deploy stop-deployment --deployment-id d-NEW --auto-rollback-enabled --output json" "$(grep '^deploy stop-deployment' "$FAKE_AWS_DIR/calls")"
expect_eq "canary: the rollback is a step output" "rolled_back=true" "$(grep '^rolled_back=' <<<"$out")"

# Never Ready within --timeout-s: stopped before any production traffic moved.
codedeploy_answers
group
stopped_when_stopped d-NEW
expect_fail "canary: not Ready in time: stopped, production never left the original tasks" 1 \
  "STOPPED: deployment d-NEW is Stopped before any production traffic moved" canary --timeout-s 8
expect_eq "canary: not Ready in time: no verification, no continue" "deploy create-deployment deploy stop-deployment" "$(order)"

# AWS stops answering altogether (every status read, the stop, the diagnostics hang):
# the deploy still ends within its budget, --timeout-s + --rollback-timeout-s and the
# few seconds each cut call may take, and says it could not confirm a rollback.
codedeploy_answers
group
for op in "get-deployment@d-NEW" stop-deployment list-tasks; do
  printf 'exec sleep 600\n' | answer deploy "$op"
done
printf 'exec sleep 600\n' | answer ecs list-tasks
start=$SECONDS
AWS_CALL_TIMEOUT_S=3 expect_fail "budget: a CodeDeploy API that stops answering ends in 'rollback not confirmed'" 1 \
  "ROLLBACK NOT CONFIRMED: deployment d-NEW is in an unknown state" canary --timeout-s 10 --rollback-timeout-s 10
elapsed=$((SECONDS - start))
# 10 + 10 s of budget; 60 s for rendering, registering and the cut calls on a busy machine.
if [ "$elapsed" -le 80 ]; then
  pass "budget: it ended within --timeout-s + --rollback-timeout-s + 60 s ($elapsed s)"
else
  fail "budget: it ended within --timeout-s + --rollback-timeout-s + 60 s" "took $elapsed s"
fi

# CodeDeploy's own rollback (an alarm) after the shift: reported, not stopped again.
codedeploy_answers
group
deployment d-NEW Ready
deployment d-NEW InProgress
deployment d-NEW Failed '.deploymentInfo.errorInformation = {code: "ALARM_ACTIVE", message: "One or more alarms have been activated"}
  | .deploymentInfo.rollbackInfo = {rollbackDeploymentId: "d-ALARM", rollbackMessage: "Automatic rollback triggered by alarm(s): hello-service-staging-5xx"}'
expect_fail "canary: an alarm during the shift is CodeDeploy's rollback, reported" 1 \
  "DEPLOYMENT FAILED: .*Failed: ALARM_ACTIVE.*rollback deployment d-ALARM" canary
expect_eq "canary: an alarm during the shift: not stopped again" "deploy create-deployment verifier deploy continue-deployment" "$(order)"

# The deployment group must let the verification happen: refused before registering.
for case in 'STOP_DEPLOYMENT missing|.deploymentGroupInfo.blueGreenDeploymentConfiguration.deploymentReadyOption = {actionOnTimeout: "CONTINUE_DEPLOYMENT", waitTimeInMinutes: 0}|shifts production traffic as soon as the replacement tasks run' \
  'no test listener|del(.deploymentGroupInfo.loadBalancerInfo.targetGroupPairInfoList[0].testTrafficRoute)|has no test listener' \
  'a wait at Ready shorter than the verification|.deploymentGroupInfo.blueGreenDeploymentConfiguration.deploymentReadyOption.waitTimeInMinutes = 2|waits 2 min at Ready, less than the verification needs' \
  'another service|.deploymentGroupInfo.ecsServices[0].serviceName = "other"|deploys \["hello-service-staging/other"\], not hello-service-staging/hello-service'; do
  IFS='|' read -r what change message <<<"$case"
  codedeploy_answers
  group "$change"
  if [[ $what == "a wait at Ready"* ]]; then
    expect_fail "group: $what is refused" 1 "$message" canary --verify-deadline-s 120 --timeout-s 600
  else
    expect_fail "group: $what is refused" 1 "$message" canary
  fi
  expect_eq "group: $what: nothing registered or deployed" "0 0" \
    "$(calls_of ecs register-task-definition) $(calls_of deploy create-deployment)"
done

# What CodeDeploy needs from the options, refused before any AWS call.
fake_aws "$tmp/fake"
jq '.test_url = null' "$tmp/canary.json" >"$tmp/canary-no-test-url.json"
expect_fail "canary without a test listener URL in the settings is refused" 1 "deployment_strategy canary needs test_url" \
  "$SCRIPTS/deploy.sh" --settings "$tmp/canary-no-test-url.json" --image "$image" --template "$TEMPLATE" --verifier "$tmp/verifier"
expect_fail "canary with --no-wait is refused" 2 "--no-wait does not go with --strategy canary" canary --no-wait
expect_fail "a verification longer than the deployment's timeout is refused" 2 "must be shorter than --timeout-s" \
  canary --verify-deadline-s 60 --timeout-s 30
expect_eq "CodeDeploy option refusals made no AWS call" 0 "$(total_calls)"

# No --verifier: verify-service.sh checks the test listener itself, with curl. Nothing
# listens on this test URL, so the check fails with curl's reason and the deployment is
# stopped and rolled back (it used to refuse the http:// URL without a verifier binary).
closed_port=$(python3 "$REPO_ROOT/bench/benchlib.py" free-port)
jq --arg url "http://127.0.0.1:$closed_port" '.test_url = $url' "$tmp/canary.json" >"$tmp/canary-curl.json"
codedeploy_answers
rolled_back_answers
expect_fail "canary without --verifier: the test listener is checked with curl, and a failure rolls back" 1 \
  "ROLLED BACK: deployment d-NEW stopped, rollback deployment d-ROLLBACK Succeeded" \
  "$SCRIPTS/deploy.sh" --settings "$tmp/canary-curl.json" --image "$image" --template "$TEMPLATE" \
  --version 1.5.0 --poll-s 1 --timeout-s 30 --verify-deadline-s 3 --rollback-timeout-s 20
expect_eq "canary without --verifier: curl's reason is shown" "curl: (7)" "$(grep -o 'curl: (7)' <<<"$out" | head -n 1)"
expect_eq "canary without --verifier: created, then stopped; never continued" \
  "deploy create-deployment deploy stop-deployment" "$(order)"

finish
