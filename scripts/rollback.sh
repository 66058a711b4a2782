#!/usr/bin/env bash
# Roll an ECS service back to a known task definition revision, follow that deployment,
# and optionally verify the service answers with the revision's version.
#
#   rollback.sh --settings FILE --to TASK_DEFINITION_ARN
#               [--verifier PATH --url URL] [--timeout-s N] [--verify-deadline-s V]
#               [--rollback-timeout-s R] [--poll-s N]
#   rollback.sh --cluster C --service S --strategy rolling|blue_green|canary|linear
#               --to TASK_DEFINITION_ARN [--codedeploy-app A --codedeploy-group G
#               --test-url URL] [...]
#
# --settings is the environment's deploy settings document (deploy-settings.sh --out),
# which names the cluster, service, strategy and CodeDeploy application and group.
# The rollback is a deploy.sh of that revision: with a CodeDeploy strategy it is verified
# on the test listener before traffic moves, like any deploy (--verifier is passed on for
# that). --verifier and --url: verify-service.sh checks the service afterwards (the
# verifier is the hello-service binary, used for http:// URLs), within
# --verify-deadline-s (default 300). The revision's "version" tag (set by deploy.sh) is
# the version it expects; a revision without one (the first, registered by Terraform) is
# verified for health only. Exits 0 only if the rollback deployment succeeded (and
# verified, if asked).
#
# Time, at most: 120 s to read the revision, deploy.sh's own bound for the options given
# (see deploy.sh), then V + 10 s for the verification.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/aws.sh
source "$here/lib/aws.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

target="" verifier="" url="" verify_deadline_s=""
pass=()
while [ "$#" -gt 0 ]; do
  case $1 in
    --to) target=$(option_value "$@"); shift 2 ;;
    --verifier) verifier=$(option_value "$@"); shift 2 ;;
    --url) url=$(option_value "$@"); shift 2 ;;
    --verify-deadline-s) verify_deadline_s=$(option_value "$@"); pass+=("$1" "$verify_deadline_s"); shift 2 ;;
    --settings | --cluster | --service | --strategy | --codedeploy-app | --codedeploy-group | --test-url \
      | --timeout-s | --rollback-timeout-s | --poll-s)
      pass+=("$1" "$(option_value "$@")"); shift 2 ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
[ -n "$target" ] || usage_error "--to is required (the task definition to return to)"
if { [ -n "$verifier" ] && [ -z "$url" ]; } || { [ -z "$verifier" ] && [ -n "$url" ]; }; then
  usage_error "--verifier and --url go together"
fi
require_commands aws jq

if ! aws_retry $(($(date +%s) + 120)) aws ecs describe-task-definition --task-definition "$target" --include TAGS --output json; then
  die "cannot read task definition $target: $aws_error"
fi
version=$(jq -r '[.tags[]? | select(.key == "version") | .value][0] // ""' <<<"$aws_out")
log "ROLLING BACK to $target${version:+ (version $version)}"
[ -z "$verifier" ] || pass+=(--verifier "$verifier")
"$here/deploy.sh" --task-definition "$target" ${pass[@]+"${pass[@]}"}
emit_output rolled_back_to "$target"

if [ -n "$verifier" ]; then
  verify_args=(--verifier "$verifier" --url "$url")
  [ -z "$version" ] || verify_args+=(--expect-version "$version")
  [ -z "$verify_deadline_s" ] || verify_args+=(--deadline-s "$verify_deadline_s")
  log "verifying the rolled-back service at $url"
  "$here/verify-service.sh" "${verify_args[@]}"
fi
log "rollback to $target done"
