#!/usr/bin/env bash
# Follow one deployment to its final state and exit 0 only if it succeeded.
#
#   ECS (rolling):      wait-deployment.sh --cluster C --service S
#                         (--deployment-id ID | --task-definition ARN) [options]
#   CodeDeploy:         wait-deployment.sh --codedeploy-deployment ID
#                         [--cluster C --service S --task-definition ARN] [options]
#
# Options: --timeout-s N (default 1800), --poll-s N (default 15),
#          --replay DIR  read recorded answers (DIR/*.json in name order: describe-services
#                        for ECS, get-deployment for CodeDeploy; DIR/stopped-tasks.json a
#                        describe-tasks answer) instead of calling AWS.
#
# Exit codes: 0 the deployment succeeded; 1 it failed, was rolled back or replaced, or
# did not finish within the timeout; 2 bad arguments. On failure the reasons of the
# service's stopped tasks are printed. With --task-definition instead of a deployment id,
# the ECS deployment running that task definition is followed (and its absence is a
# failure: ECS rolled it back or it never started).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/verdict.sh
source "$here/lib/verdict.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

cluster="" service="" deployment_id="" task_definition="" codedeploy_id=""
timeout_s=1800 poll_s=15 replay=""
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
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
is_positive_int "$timeout_s" || usage_error "--timeout-s must be a positive integer"
is_positive_int "$poll_s" || usage_error "--poll-s must be a positive integer"
if [ -n "$codedeploy_id" ]; then
  mode=codedeploy
else
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

# One answer from AWS, or the next recorded one, into $answer; returns non-zero when
# the API call failed (its error text is then in $answer). Not run in a subshell, so
# that the replay position advances.
replay_next=0
fetch() {
  if [ -n "$replay" ]; then
    if [ "$replay_next" -ge "${#replay_files[@]}" ]; then
      answer='{"replayExhausted": true}'
    else
      answer=$(cat "${replay_files[$replay_next]}")
      replay_next=$((replay_next + 1))
    fi
  elif [ "$mode" = ecs ]; then
    answer=$(aws ecs describe-services --cluster "$cluster" --services "$service" --output json 2>&1)
  else
    answer=$(aws deploy get-deployment --deployment-id "$codedeploy_id" --output json 2>&1)
  fi
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
  reasons=$("$here/stopped-tasks.sh" "${args[@]}")
  if [ -n "$reasons" ]; then
    printf 'Stopped tasks (newest first):\n%s\n' "$reasons" >&2
  fi
}

fail() {
  printf 'DEPLOYMENT FAILED: %s\n' "$1" >&2
  print_stopped_tasks
  exit 1
}

start=$SECONDS
last_message=""
while :; do
  if ! fetch; then
    # A throttled or briefly failing API call is not a verdict; the deadline still holds.
    warn "could not read the deployment state (will retry): $answer"
    answer=""
  fi
  if [ -n "$answer" ]; then
    if jq -e '.replayExhausted? == true' >/dev/null 2>&1 <<<"$answer"; then
      fail "the recorded answers ran out while the deployment was still in progress: $last_message"
    fi
    if [ "$mode" = ecs ] && [ -z "$deployment_id" ]; then
      # Follow the newest deployment of the task definition, if there is one.
      deployment_id=$(jq -r --arg td "$task_definition" \
        '[.services[0].deployments[]? | select(.taskDefinition == $td)] | sort_by(.createdAt) | last | .id // empty' <<<"$answer")
      if [ -z "$deployment_id" ]; then
        primary=$(jq -r '[.services[0].deployments[]? | select(.status == "PRIMARY")][0].taskDefinition // "none"' <<<"$answer")
        fail "no deployment of $task_definition: the service runs $primary (it was rolled back or never started)"
      fi
      log "following ECS deployment $deployment_id"
    fi
    if [ "$mode" = ecs ]; then
      verdict=$(ecs_verdict "$answer" "$deployment_id")
    else
      verdict=$(codedeploy_verdict "$answer")
    fi
    state=${verdict%%$'\t'*}
    message=${verdict#*$'\t'}
    case $state in
      success)
        printf 'DEPLOYMENT SUCCEEDED: %s\n' "$message" >&2
        exit 0
        ;;
      failure) fail "$message" ;;
      progress)
        if [ "$message" != "$last_message" ]; then
          log "$(date -u +%H:%M:%S) $message"
        fi
        last_message=$message
        ;;
      *) fail "internal error: unexpected verdict '$verdict'" ;;
    esac
  fi
  if [ $((SECONDS - start)) -ge "$timeout_s" ]; then
    fail "did not complete within $timeout_s s (last state: ${last_message:-unknown})"
  fi
  if [ -z "$replay" ]; then
    sleep "$poll_s"
  fi
done
