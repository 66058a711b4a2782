#!/usr/bin/env bash
# Print why the recently stopped tasks of an ECS service stopped: the first thing to
# read after a failed deployment (a crash loop, a failed health check, an image that
# cannot be pulled, a missing permission).
#
#   stopped-tasks.sh --cluster NAME --service NAME [--task-definition ARN]
#                    [--deployment-id ID] [--limit N] [--from-file DESCRIBE_TASKS_JSON]
#
# Only tasks of the given task definition or started by the given deployment are shown
# when either is given. --from-file reads a recorded `aws ecs describe-tasks` answer
# instead of asking AWS. Prints nothing when no task stopped; always exits 0 unless the
# arguments are wrong (it is a diagnostic, never the verdict).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/aws.sh
source "$here/lib/aws.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

cluster="" service="" task_definition="" deployment_id="" limit=10 from_file=""
while [ "$#" -gt 0 ]; do
  case $1 in
    --cluster) cluster=$(option_value "$@"); shift 2 ;;
    --service) service=$(option_value "$@"); shift 2 ;;
    --task-definition) task_definition=$(option_value "$@"); shift 2 ;;
    --deployment-id) deployment_id=$(option_value "$@"); shift 2 ;;
    --limit) limit=$(option_value "$@"); shift 2 ;;
    --from-file) from_file=$(option_value "$@"); shift 2 ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
is_positive_int "$limit" || usage_error "--limit must be a positive integer"
require_commands jq

if [ -n "$from_file" ]; then
  [ -f "$from_file" ] || usage_error "--from-file '$from_file' not found"
  tasks_json=$(cat "$from_file")
else
  if [ -z "$cluster" ] || [ -z "$service" ]; then usage_error "--cluster and --service are required"; fi
  require_commands aws
  # ECS keeps stopped tasks for about an hour; list-tasks returns the newest first.
  # One attempt each: a diagnostic must not hold up the verdict.
  if ! aws_call aws ecs list-tasks --cluster "$cluster" --service-name "$service" \
    --desired-status STOPPED --max-items 100 --query 'taskArns' --output json; then
    warn "could not list stopped tasks: $aws_error"
    exit 0
  fi
  arns=$aws_out
  if [ "$(jq 'length' <<<"$arns")" -eq 0 ]; then
    exit 0
  fi
  # describe-tasks takes at most 100 ARNs, which --max-items guarantees.
  mapfile -t arn_list < <(jq -r '.[]' <<<"$arns")
  if ! aws_call aws ecs describe-tasks --cluster "$cluster" --tasks "${arn_list[@]}" --output json; then
    warn "could not describe stopped tasks: $aws_error"
    exit 0
  fi
  tasks_json=$aws_out
fi

jq -r --arg td "$task_definition" --arg dep "$deployment_id" --argjson limit "$limit" '
  [.tasks[]?
    | select(($td == "" and $dep == "") or ($td != "" and .taskDefinitionArn == $td) or ($dep != "" and .startedBy == $dep))]
  | sort_by(.stoppedAt // .stoppingAt // 0) | reverse | .[0:$limit][]
  | "stopped task \(.taskArn | split("/") | last) (\(.taskDefinitionArn | split("/") | last)): \(.stoppedReason // "no reason given")"
    + (if .stopCode then " [\(.stopCode)]" else "" end)
    + ([.containers[]? | select(.exitCode != null or .reason != null)
        | "\n    container \(.name): " + (if .exitCode != null then "exit code \(.exitCode)" else "" end)
          + (if .reason then " \(.reason)" else "" end)] | join(""))
' <<<"$tasks_json" || warn "could not read the stopped tasks from the answer"
