#!/usr/bin/env bash
# Follow one deployment to its final state and exit 0 only if it succeeded.
#
#   ECS (rolling):      wait-deployment.sh --cluster C --service S
#                         (--deployment-id ID | --task-definition ARN) [options]
#   CodeDeploy:         wait-deployment.sh --codedeploy-deployment ID [--until ready]
#                         [--cluster C --service S --task-definition ARN] [options]
#
# Options: --timeout-s N (default 1800), --poll-s N (default 15),
#          --until ready     (CodeDeploy) stop when the deployment is Ready: its
#                            replacement tasks run and it waits for ContinueDeployment
#                            before shifting production traffic (or when it Succeeded,
#                            if it did not wait);
#          --replay DIR      read recorded answers (DIR/*.json in name order:
#                            describe-services for ECS, get-deployment for CodeDeploy;
#                            DIR/stopped-tasks.json a describe-tasks answer) instead of
#                            calling AWS.
#
# Exit codes:
#   0  the deployment succeeded (with --until ready: it is Ready, or Succeeded);
#   1  it failed (AWS says it failed, was stopped, rolled back or replaced), or it was
#      still in progress when --timeout-s ran out ("did not complete within");
#   2  bad arguments;
#   3  no verdict: AWS refused the call that reads its state (access denied, not
#      found, invalid request), so the state is unknown.
# A throttled, failed or timed-out call, or an answer that is not JSON, is not a verdict:
# it is retried at the next poll (the timeout still holds). On failure the reasons of the
# service's stopped tasks are printed. With --task-definition instead of a deployment id,
# the ECS deployment running that task definition is followed (and its absence is a
# failure: ECS rolled it back or it never started). On stdout: `status=STATUS`, the
# CodeDeploy status it ended on (CodeDeploy only).
# Time: at most --timeout-s + 5 s (each status read gets what is left of the timeout,
# at least 5 s), plus 40 s for the stopped tasks after a failure.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/aws.sh
source "$here/lib/aws.sh"
# shellcheck source=lib/verdict.sh
source "$here/lib/verdict.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

cluster="" service="" deployment_id="" task_definition="" codedeploy_id=""
timeout_s=1800 poll_s=15 replay="" until=""
while [ "$#" -gt 0 ]; do
  case $1 in
    --cluster) cluster=$(option_value "$@"); shift 2 ;;
    --service) service=$(option_value "$@"); shift 2 ;;
    --deployment-id) deployment_id=$(option_value "$@"); shift 2 ;;
    --task-definition) task_definition=$(option_value "$@"); shift 2 ;;
    --codedeploy-deployment) codedeploy_id=$(option_value "$@"); shift 2 ;;
    --timeout-s) timeout_s=$(option_value "$@"); shift 2 ;;
    --poll-s) poll_s=$(option_value "$@"); shift 2 ;;
    --replay) replay=$(option_value "$@"); shift 2 ;;
    --until) until=$(option_value "$@"); shift 2 ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
is_positive_int "$timeout_s" || usage_error "--timeout-s must be a positive integer"
is_positive_int "$poll_s" || usage_error "--poll-s must be a positive integer"
case $until in
  "" | ready) ;;
  *) usage_error "--until '$until': the only stop before the end is 'ready'" ;;
esac
if [ -n "$codedeploy_id" ]; then
  mode=codedeploy
else
  [ -z "$until" ] || usage_error "--until ready is for CodeDeploy deployments (--codedeploy-deployment)"
  mode=ecs
  if [ -z "$cluster" ] || [ -z "$service" ]; then usage_error "--cluster and --service are required"; fi
  if [ -z "$deployment_id" ] && [ -z "$task_definition" ]; then
    usage_error "give --deployment-id or --task-definition (or --codedeploy-deployment)"
  fi
fi
require_commands jq
replay_files=()
if [ -n "$replay" ]; then
  [ -d "$replay" ] || usage_error "--replay '$replay' is not a directory"
  mapfile -t replay_files < <(find "$replay" -maxdepth 1 -name '*.json' ! -name 'stopped-tasks.json' | sort)
  [ "${#replay_files[@]}" -gt 0 ] || usage_error "--replay '$replay' holds no recorded answers"
else
  require_commands aws
fi

# One answer from AWS, or the next recorded one, into $answer. Returns 0 with a JSON
# answer, AWS_RETRYABLE when there is none this time (the reason in $aws_error), 1 when
# AWS refused the call (fatal). Not run in a subshell, so that the replay position
# advances.
replay_next=0
fetch() {
  if [ -n "$replay" ]; then
    if [ "$replay_next" -ge "${#replay_files[@]}" ]; then
      answer='{"replayExhausted": true}'
      return 0
    fi
    answer=$(cat "${replay_files[$replay_next]}")
    replay_next=$((replay_next + 1))
    if [ "$(jq -r 'type == "object"' 2>/dev/null <<<"$answer")" != true ]; then
      aws_error="the answer is not JSON: $(head -c 300 <<<"$answer" | tr '\n' ' ')"
      return "$AWS_RETRYABLE"
    fi
    return 0
  fi
  # Each call gets what is left of the timeout (at least 5 s, at most AWS_CALL_TIMEOUT_S).
  local rc=0 limit=$((timeout_s - (SECONDS - start)))
  [ "$limit" -ge 5 ] || limit=5
  [ "$limit" -le "$AWS_CALL_TIMEOUT_S" ] || limit=$AWS_CALL_TIMEOUT_S
  if [ "$mode" = ecs ]; then
    aws_call --timeout-s "$limit" aws ecs describe-services --cluster "$cluster" --services "$service" --output json || rc=$?
  else
    aws_call --timeout-s "$limit" aws deploy get-deployment --deployment-id "$codedeploy_id" --output json || rc=$?
  fi
  answer=$aws_out
  return "$rc"
}

print_stopped_tasks() {
  local args=(--limit 5)
  if [ -n "$replay" ]; then
    [ -f "$replay/stopped-tasks.json" ] || return 0
    args+=(--from-file "$replay/stopped-tasks.json")
  else
    [ -n "$cluster" ] && [ -n "$service" ] || return 0
    args+=(--cluster "$cluster" --service "$service")
  fi
  [ -z "$task_definition" ] || args+=(--task-definition "$task_definition")
  [ -z "$deployment_id" ] || args+=(--deployment-id "$deployment_id")
  local reasons
  # (A diagnostic: 15 s a call at most, so that it cannot hold up the verdict.)
  local limit=$AWS_CALL_TIMEOUT_S
  [ "$limit" -le 15 ] || limit=15
  reasons=$(AWS_CALL_TIMEOUT_S=$limit "$here/stopped-tasks.sh" "${args[@]}")
  if [ -n "$reasons" ]; then
    printf 'Stopped tasks (newest first):\n%s\n' "$reasons" >&2
  fi
}

# fail MESSAGE [CODE]: the verdict (or the lack of one), the stopped tasks, and exit.
fail() {
  local code=${2:-1}
  case $code in
    1) printf 'DEPLOYMENT FAILED: %s\n' "$1" >&2 ;;
    *) printf 'NO VERDICT: %s\n' "$1" >&2 ;;
  esac
  print_stopped_tasks
  print_status
  exit "$code"
}
last_status=""
print_status() {
  if [ "$mode" = codedeploy ] && [ -n "$last_status" ]; then printf 'status=%s\n' "$last_status"; fi
}

start=$SECONDS
last_message=""
while :; do
  rc=0
  fetch || rc=$?
  if [ "$rc" -eq 1 ]; then
    fail "AWS refused to say how the deployment is doing (${aws_error_code}): $aws_error" 3
  elif [ "$rc" -ne 0 ]; then
    # Throttled, a server error, no answer in time, or not JSON: not a verdict. The
    # deadline still holds.
    warn "could not read the deployment state (will retry): $aws_error"
  else
    if jq -e '.replayExhausted? == true' >/dev/null 2>&1 <<<"$answer"; then
      fail "the recorded answers ran out while the deployment was still in progress: $last_message"
    fi
    verdict=""
    if [ "$mode" = ecs ] && [ -z "$deployment_id" ]; then
      # Follow the newest deployment of the task definition, if there is one.
      if ! deployment_id=$(jq -r --arg td "$task_definition" \
        '[.services[0].deployments[]? | select(.taskDefinition == $td)] | sort_by(.createdAt) | last | .id // empty' <<<"$answer" 2>&1); then
        verdict="unreadable"$'\t'"$deployment_id"
        deployment_id=""
      elif [ -z "$deployment_id" ]; then
        primary=$(jq -r '[.services[0].deployments[]? | select(.status == "PRIMARY")][0].taskDefinition // "none"' <<<"$answer" 2>/dev/null || echo unknown)
        fail "no deployment of $task_definition: the service runs $primary (it was rolled back or never started)"
      else
        log "following ECS deployment $deployment_id"
      fi
    fi
    if [ -z "$verdict" ]; then
      if [ "$mode" = ecs ]; then
        verdict=$(ecs_verdict "$answer" "$deployment_id" 2>&1) || verdict="unreadable"$'\t'"$verdict"
      else
        verdict=$(codedeploy_verdict "$answer" 2>&1) || verdict="unreadable"$'\t'"$verdict"
        last_status=$(jq -r '.deploymentInfo.status // empty' <<<"$answer" 2>/dev/null || true)
      fi
    fi
    state=${verdict%%$'\t'*}
    message=${verdict#*$'\t'}
    if [ "$state" = ready ]; then
      if [ "$until" = ready ]; then
        printf 'DEPLOYMENT READY: %s\n' "$message" >&2
        print_status
        exit 0
      fi
      state=progress
    fi
    case $state in
      success)
        printf 'DEPLOYMENT SUCCEEDED: %s\n' "$message" >&2
        print_status
        exit 0
        ;;
      failure) fail "$message" ;;
      progress)
        if [ "$message" != "$last_message" ]; then
          log "$(date -u +%H:%M:%S) $message"
        fi
        last_message=$message
        ;;
      unreadable) warn "could not read the deployment state from the answer (will retry): $message" ;;
      *) fail "internal error: unexpected verdict '$verdict'" 3 ;;
    esac
  fi
  if [ $((SECONDS - start)) -ge "$timeout_s" ]; then
    fail "did not complete within $timeout_s s (last state: ${last_message:-unknown})"
  fi
  if [ -z "$replay" ]; then
    sleep "$poll_s"
  fi
done
