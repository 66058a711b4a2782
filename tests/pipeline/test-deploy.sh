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

finish
