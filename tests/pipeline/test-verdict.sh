#!/usr/bin/env bash
# The deployment state machines, driven by recorded AWS answers (fixtures/*/NN-*.json).
# moto cannot produce these states: it never rolls a deployment back, never fails one,
# and its CodeDeploy deployments stay "Created". The answers were written by us after
# the shapes ECS's describe-services and CodeDeploy's get-deployment return.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
wait_for=$SCRIPTS/wait-deployment.sh
NEW=ecs-svc/4837209516238490112
ecs() { "$wait_for" --cluster hello-service-staging --service hello-service --timeout-s 60 --replay "$FIXTURES/$1" "${@:2}"; }
codedeploy() { "$wait_for" --codedeploy-deployment d-7QX2M4B1C --timeout-s 60 --replay "$FIXTURES/$1"; }

expect_ok "ECS rolling: IN_PROGRESS, old tasks draining, then COMPLETED is a success" \
  ecs ecs-rolling-success --deployment-id "$NEW"
if grep -q "DEPLOYMENT SUCCEEDED: deployment $NEW of hello-service-staging:8 COMPLETED: 2/2 running" <<<"$out" \
  && grep -q "older deployment(s) draining" <<<"$out"; then
  pass "ECS rolling: progress and the verdict are reported"
else
  fail "ECS rolling: progress and the verdict are reported" "$out"
fi
expect_ok "ECS rolling: found by task definition instead of deployment id" \
  ecs ecs-rolling-success --task-definition arn:aws:ecs:eu-west-1:123456789012:task-definition/hello-service-staging:8

expect_fail "ECS circuit breaker: the FAILED deployment is a failure naming the rollback" 1 \
  "DEPLOYMENT FAILED: deployment $NEW of hello-service-staging:8 FAILED: ECS deployment circuit breaker: tasks failed to start.; ECS rolled back to hello-service-staging:7" \
  ecs ecs-circuit-breaker-rollback --deployment-id "$NEW"
if grep -q "stopped task 3e2d1c0b9a8f7e6d5c4b3a2918070f6e (hello-service-staging:8): Essential container in task exited \[EssentialContainerExited\]" <<<"$out" \
  && grep -q "container hello-service: exit code 2" <<<"$out" \
  && grep -q "Task failed container health checks" <<<"$out" \
  && ! grep -q "1f2e3d4c5b6a79880796a5b4c3d2e1f0" <<<"$out"; then
  pass "ECS circuit breaker: the stopped tasks of this deployment and their reasons are printed, others not"
else
  fail "ECS circuit breaker: the stopped tasks of this deployment and their reasons are printed, others not" "$out"
fi

expect_fail "ECS: a deployment that vanished after a rollback is a failure, not 'stable'" 1 \
  "deployment $NEW is gone: the service now runs hello-service-staging:7 .*rolled back or replaced" \
  ecs ecs-rolled-back-gone --deployment-id "$NEW"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/gone"
cp "$FIXTURES/ecs-rolled-back-gone/02-only-old-left.json" "$tmp/gone/"
expect_fail "ECS: a task definition with no deployment at all is a failure" 1 \
  "no deployment of .*hello-service-staging:8: the service runs .*hello-service-staging:7" \
  "$wait_for" --cluster c --service s --replay "$tmp/gone" \
  --task-definition arn:aws:ecs:eu-west-1:123456789012:task-definition/hello-service-staging:8 --timeout-s 60
expect_fail "ECS alarms: a deployment failed by an alarm is a failure naming the alarm" 1 \
  "FAILED: ECS deployment detected triggered alarm\(s\): hello-service-staging-5xx" \
  ecs ecs-alarm-rollback --deployment-id "$NEW"
expect_fail "ECS: a deployment replaced by another is a failure" 1 \
  "is no longer PRIMARY \(status ACTIVE\): hello-service-staging:9 replaced it" \
  ecs ecs-superseded --deployment-id "$NEW"
expect_fail "ECS: still in progress when the answers end is a failure, never a success" 1 \
  "DEPLOYMENT FAILED: the recorded answers ran out while the deployment was still in progress: deployment $NEW of hello-service-staging:8 IN_PROGRESS: 1/2 running" \
  ecs ecs-stuck --deployment-id "$NEW"

expect_ok "CodeDeploy canary: Created, InProgress, Succeeded is a success" codedeploy codedeploy-canary-success
if grep -q "Rerouting 10% of production traffic" <<<"$out"; then pass "CodeDeploy: status messages are reported"; else fail "CodeDeploy: status messages are reported" "$out"; fi
expect_fail "CodeDeploy: an alarm-triggered rollback is a failure naming the alarm and the rollback" 1 \
  "Failed: ALARM_ACTIVE: One or more alarms .* \(Automatic rollback triggered by alarm\(s\): hello-service-staging-5xx; rollback deployment d-9KF3LZ8T2\)" \
  codedeploy codedeploy-alarm-rollback
expect_fail "CodeDeploy: a stopped deployment is a failure" 1 "d-7QX2M4B1C \(CodeDeployDefault.ECSLinear10PercentEvery1Minutes\) Stopped: MANUAL_STOP" \
  codedeploy codedeploy-stopped

# CodeDeploy waiting at Ready (the deployment group's STOP_DEPLOYMENT): with --until ready
# that is where the wait ends; without it, Ready is still in progress.
mkdir "$tmp/ready"
cp "$FIXTURES/codedeploy-canary-success/01-created.json" "$tmp/ready/01-created.json"
jq '.deploymentInfo.status = "Ready"' "$FIXTURES/codedeploy-canary-success/02-in-progress.json" >"$tmp/ready/02-ready.json"
expect_ok "CodeDeploy --until ready: Created, then Ready ends the wait" \
  "$wait_for" --codedeploy-deployment d-7QX2M4B1C --until ready --timeout-s 60 --replay "$tmp/ready"
if grep -q "DEPLOYMENT READY: .* is Ready: the replacement tasks run" <<<"$out" && grep -q '^status=Ready$' <<<"$out"; then
  pass "CodeDeploy --until ready: says so, and status=Ready on stdout"
else
  fail "CodeDeploy --until ready: says so, and status=Ready on stdout" "$out"
fi
expect_fail "CodeDeploy: without --until ready, Ready is not a success" 1 "ran out while the deployment was still in progress: .* is Ready" \
  "$wait_for" --codedeploy-deployment d-7QX2M4B1C --timeout-s 60 --replay "$tmp/ready"
expect_fail "--until ready is for CodeDeploy only" 2 "--until ready is for CodeDeploy deployments" \
  "$wait_for" --cluster c --service s --deployment-id x --until ready

# A recorded answer with no service at all, and bad arguments.
printf '%s\n' '{"services": [], "failures": [{"arn": "arn:aws:ecs:eu-west-1:123456789012:service/c/s", "reason": "MISSING"}]}' >"$tmp/01.json"
expect_fail "ECS: a missing service is a failure with the API's reason" 1 "describe-services failed: .*MISSING" \
  "$wait_for" --cluster c --service s --deployment-id x --replay "$tmp" --timeout-s 60
expect_fail "wait: a deployment to follow is required" 2 "give --deployment-id or --task-definition" \
  "$wait_for" --cluster c --service s
expect_fail "wait: the timeout must be a number" 2 "--timeout-s must be a positive integer" \
  "$wait_for" --cluster c --service s --deployment-id x --timeout-s soon

finish
