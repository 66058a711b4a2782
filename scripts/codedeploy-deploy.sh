#!/usr/bin/env bash
# One CodeDeploy deployment of an ECS service, verified on the test listener before any
# production traffic moves (called by deploy.sh, which checked the deployment group and
# wrote the AppSpec).
#
#   codedeploy-deploy.sh --app NAME --group NAME --revision FILE --test-url URL
#                        [--verifier PATH] [--expect-version V] [--description TEXT]
#                        [--cluster C --service S --task-definition ARN]
#                        [--timeout-s N] [--verify-deadline-s V] [--rollback-timeout-s R]
#                        [--poll-s P]
#
# The deployment group waits before shifting production traffic (its deployment ready
# option is STOP_DEPLOYMENT): the deployment reaches Ready with the replacement tasks
# running and the test listener routing to them. Then:
#   1. wait for Ready;
#   2. verify the test listener (verify-service.sh --url URL, with the expected version:
#      the revision's, so that a test listener still on the old tasks fails too);
#   3. passed: `continue-deployment --deployment-wait-type READY_WAIT`, and follow the
#      traffic shift to Succeeded (CodeDeploy rolls back by itself on its alarms);
#      failed: `stop-deployment --auto-rollback-enabled`, and follow the rollback.
# The deployment is stopped and rolled back the same way when it is not Ready, or not
# Succeeded, within --timeout-s, or when its state cannot be read.
#
# Time: --timeout-s N (default 1800) covers everything from create-deployment to
# Succeeded (the wait for Ready, the verification, the traffic shift and the original
# tasks' termination wait); --verify-deadline-s V (default 300) bounds the verification
# within it; a stop and its rollback get --rollback-timeout-s R (default 600) on top.
# So the script ends within N + R + 4 min, whatever AWS does: each call is cut to the
# time left (at least 5 s) or AWS_CALL_TIMEOUT_S; the 4 min cover create-deployment,
# the verification's last round, and the stopped tasks' diagnostics after each failed
# wait (40 s each).
#
# Step outputs: deployment_id, and rolled_back (true when it stopped the deployment and
# CodeDeploy confirmed the rollback). Exit codes: 0 the deployment succeeded; 1 it did
# not (failed, stopped, rolled back, or rollback not confirmed: the last line says
# which); 2 bad arguments.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/aws.sh
source "$here/lib/aws.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

app="" group="" revision="" test_url="" verifier="" expected="" description=""
cluster="" service="" task_definition=""
timeout_s=1800 verify_deadline_s=300 rollback_timeout_s=600 poll_s=15
while [ "$#" -gt 0 ]; do
  case $1 in
    --app) app=$(option_value "$@"); shift 2 ;;
    --group) group=$(option_value "$@"); shift 2 ;;
    --revision) revision=$(option_value "$@"); shift 2 ;;
    --test-url) test_url=$(option_value "$@"); shift 2 ;;
    --verifier) verifier=$(option_value "$@"); shift 2 ;;
    --expect-version) expected=$(option_value "$@"); shift 2 ;;
    --description) description=$(option_value "$@"); shift 2 ;;
    --cluster) cluster=$(option_value "$@"); shift 2 ;;
    --service) service=$(option_value "$@"); shift 2 ;;
    --task-definition) task_definition=$(option_value "$@"); shift 2 ;;
    --timeout-s) timeout_s=$(option_value "$@"); shift 2 ;;
    --verify-deadline-s) verify_deadline_s=$(option_value "$@"); shift 2 ;;
    --rollback-timeout-s) rollback_timeout_s=$(option_value "$@"); shift 2 ;;
    --poll-s) poll_s=$(option_value "$@"); shift 2 ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
if [ -z "$app" ] || [ -z "$group" ] || [ -z "$revision" ] || [ -z "$test_url" ]; then
  usage_error "--app, --group, --revision and --test-url are required"
fi
[ -r "$revision" ] || usage_error "--revision '$revision' not found"
for pair in "timeout-s:$timeout_s" "verify-deadline-s:$verify_deadline_s" "rollback-timeout-s:$rollback_timeout_s" "poll-s:$poll_s"; do
  is_positive_int "${pair#*:}" || usage_error "--${pair%%:*} '${pair#*:}' must be a whole number of seconds"
done
[ "$verify_deadline_s" -lt "$timeout_s" ] || usage_error "--verify-deadline-s ($verify_deadline_s) must be shorter than --timeout-s ($timeout_s)"
# verify-service.sh checks the test URL with --verifier if given, else with curl.
case $test_url in
  http://?* | https://?*) ;;
  *) usage_error "--test-url '$test_url' must start with http:// or https://" ;;
esac
require_commands aws jq
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now() { date +%s; }
# left DEADLINE: seconds until the epoch second DEADLINE (0 when past).
left() {
  local n=$(($1 - $(now)))
  [ "$n" -gt 0 ] || n=0
  printf '%s' "$n"
}
# follow ID SECONDS [--until ready]: wait-deployment.sh; its exit code, and the CodeDeploy
# status it ended on in $status.
follow() {
  local id=$1 seconds=$2 rc=0
  shift 2
  [ "$seconds" -gt 0 ] || seconds=1
  local args=(--codedeploy-deployment "$id" --timeout-s "$seconds" --poll-s "$poll_s" "$@")
  if [ -n "$cluster" ] && [ -n "$service" ]; then args+=(--cluster "$cluster" --service "$service"); fi
  [ -z "$task_definition" ] || args+=(--task-definition "$task_definition")
  "$here/wait-deployment.sh" "${args[@]}" >"$work/follow.out" || rc=$?
  status=$(sed -n 's/^status=//p' "$work/follow.out" | tail -1)
  return "$rc"
}

# --- the stop and the rollback --------------------------------------------------------
# stop_and_roll_back REASON: stops the deployment with automatic rollback and follows the
# rollback for at most --rollback-timeout-s; always exits 1.
stop_and_roll_back() {
  local reason=$1 end rollback_id
  end=$(($(now) + rollback_timeout_s))
  printf 'STOPPING deployment %s with automatic rollback: %s\n' "$deployment_id" "$reason" >&2
  if ! aws_retry "$end" aws deploy stop-deployment --deployment-id "$deployment_id" --auto-rollback-enabled --output json; then
    warn "stop-deployment failed: $aws_error"
  else
    log "stop-deployment: $(jq -r '"\(.status // "?")\(if .statusMessage then ": \(.statusMessage)" else "" end)"' <<<"$aws_out")"
  fi
  # The deployment ends Stopped (or Failed); Succeeded means it finished first.
  follow "$deployment_id" "$(left "$end")" || true
  case $status in
    Succeeded)
      printf 'NOT ROLLED BACK: deployment %s Succeeded before it could be stopped; production runs the new revision, which was not verified (%s)\n' \
        "$deployment_id" "$reason" >&2
      exit 1
      ;;
    Stopped | Failed) ;;
    *)
      printf 'ROLLBACK NOT CONFIRMED: deployment %s is %s after %s s; look at it in the CodeDeploy console (%s)\n' \
        "$deployment_id" "${status:-in an unknown state}" "$rollback_timeout_s" "$reason" >&2
      exit 1
      ;;
  esac
  rollback_id=""
  if aws_retry "$end" aws deploy get-deployment --deployment-id "$deployment_id" --output json; then
    rollback_id=$(jq -r '.deploymentInfo.rollbackInfo.rollbackDeploymentId // empty' <<<"$aws_out")
  fi
  if [ -z "$rollback_id" ]; then
    if $shifted; then
      printf 'ROLLBACK NOT CONFIRMED: deployment %s is %s, CodeDeploy names no rollback deployment, and production traffic had started to move (%s)\n' \
        "$deployment_id" "$status" "$reason" >&2
    else
      printf 'STOPPED: deployment %s is %s before any production traffic moved; production stays on the original tasks (%s)\n' \
        "$deployment_id" "$status" "$reason" >&2
      emit_output rolled_back true
    fi
    exit 1
  fi
  log "following rollback deployment $rollback_id"
  if follow "$rollback_id" "$(left "$end")"; then
    printf 'ROLLED BACK: deployment %s stopped, rollback deployment %s Succeeded: production is on the original tasks (%s)\n' \
      "$deployment_id" "$rollback_id" "$reason" >&2
    emit_output rolled_back true
  else
    printf 'ROLLBACK NOT CONFIRMED: rollback deployment %s is %s (%s)\n' "$rollback_id" "${status:-unknown}" "$reason" >&2
  fi
  exit 1
}

# --- create, wait for Ready, verify, continue ----------------------------------------------
end=$(($(now) + timeout_s))
shifted=false
log "starting a CodeDeploy deployment ($app/$group)"
create_args=()
[ -z "$description" ] || create_args+=(--description "$description")
aws_call aws deploy create-deployment --application-name "$app" --deployment-group-name "$group" \
  --revision "file://$revision" ${create_args[@]+"${create_args[@]}"} --output json \
  || die "create-deployment failed: $aws_error"
deployment_id=$(jq -r '.deploymentId // empty' <<<"$aws_out")
[ -n "$deployment_id" ] || die "create-deployment answered without a deployment id: $(head -c 300 <<<"$aws_out")"
emit_output deployment_id "$deployment_id"

log "waiting for deployment $deployment_id to be Ready (the replacement tasks running behind the test listener; at most $(left "$end") s)"
rc=0
follow "$deployment_id" "$(left "$end")" --until ready || rc=$?
if [ "$rc" -eq 0 ] && [ "$status" = Succeeded ]; then
  warn "deployment $deployment_id went to Succeeded without waiting at Ready: production traffic moved before any verification (is the deployment group's ready option STOP_DEPLOYMENT?)"
  exit 0
elif [ "$rc" -ne 0 ]; then
  case $status in
    Failed | Stopped) exit 1 ;; # CodeDeploy's own verdict, printed by wait-deployment.sh
  esac
  stop_and_roll_back "not Ready within the time left (${status:-state unknown})"
fi

verify_s=$verify_deadline_s
[ "$(left "$end")" -ge "$verify_s" ] || verify_s=$(left "$end")
# (Less than 10 s, or than the whole deadline if shorter, is too little to verify.)
[ "$verify_s" -ge "$((verify_deadline_s < 10 ? verify_deadline_s : 10))" ] \
  || stop_and_roll_back "no time left to verify the test listener"
log "verifying the replacement tasks on the test listener $test_url (at most $verify_s s)"
verify_args=(--url "$test_url" --deadline-s "$verify_s")
[ -z "$verifier" ] || verify_args+=(--verifier "$verifier")
[ -z "$expected" ] || verify_args+=(--expect-version "$expected")
if ! "$here/verify-service.sh" "${verify_args[@]}"; then
  stop_and_roll_back "the test listener did not verify${expected:+ with version $expected}"
fi

log "verified: shifting production traffic (continue-deployment)"
if ! aws_retry "$end" --empty-ok aws deploy continue-deployment --deployment-id "$deployment_id" \
  --deployment-wait-type READY_WAIT; then
  stop_and_roll_back "continue-deployment failed: $aws_error"
fi
shifted=true
rc=0
follow "$deployment_id" "$(left "$end")" || rc=$?
if [ "$rc" -eq 0 ]; then
  exit 0
fi
case $status in
  Failed | Stopped) exit 1 ;; # CodeDeploy stopped it (an alarm, a failed step) and rolled back by itself.
esac
stop_and_roll_back "not Succeeded within the time left (${status:-state unknown})"
