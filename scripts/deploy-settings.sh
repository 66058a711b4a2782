#!/usr/bin/env bash
# Read an environment's deploy settings (the JSON that Terraform publishes in SSM), check
# them against what the deploy scripts read, save them, and print the values the workflow
# needs as step outputs.
#
#   deploy-settings.sh (--parameter NAME | --file FILE) --out FILE
#
# --parameter  the SSM parameter, /<service>/<environment>/deploy-settings (Terraform's
#              output deploy_settings_parameter); read with `aws ssm get-parameter`.
# --file       a saved copy instead (tests, or a deploy from a laptop).
# --out        where to write the checked document (deploy.sh and rollback.sh --settings).
#
# Step outputs (stdout, and $GITHUB_OUTPUT when set): aws_region, deployment_strategy,
# cluster_name, service_name, task_family, container_name, container_port, alb_url,
# service_url (the URL to verify: https://<domain> with a domain, else alb_url),
# test_url (the test listener, empty for rolling), ecr_repository_name,
# ecr_repository_url, ecr_registry, codedeploy_app_name, codedeploy_deployment_group_name. Fails, naming each problem, when a key the scripts
# read is missing or has the wrong type (scripts/lib/settings.sh), or when the settings
# are for another region than the one the AWS CLI is using.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=lib/aws.sh
source "$here/lib/aws.sh"
# shellcheck source=lib/settings.sh
source "$here/lib/settings.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

parameter="" file="" out=""
while [ "$#" -gt 0 ]; do
  case $1 in
    --parameter) parameter=$(option_value "$@"); shift 2 ;;
    --file) file=$(option_value "$@"); shift 2 ;;
    --out) out=$(option_value "$@"); shift 2 ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
if [ -n "$parameter" ] && [ -n "$file" ]; then usage_error "give --parameter or --file, not both"; fi
if [ -z "$parameter" ] && [ -z "$file" ]; then usage_error "give --parameter NAME or --file FILE"; fi
[ -n "$out" ] || usage_error "--out is required"
require_commands jq

if [ -n "$parameter" ]; then
  require_commands aws
  log "reading the deploy settings from SSM parameter $parameter"
  # A throttled or failed read is retried for up to two minutes; a refusal (no such
  # parameter, access denied) stops at once.
  if ! aws_retry $(($(date +%s) + 120)) aws ssm get-parameter --name "$parameter" --output json; then
    die "cannot read SSM parameter '$parameter' (applied Terraform for this environment? the right region and role?): $aws_error"
  fi
  jq -r '.Parameter.Value // empty' <<<"$aws_out" >"$out"
  [ -s "$out" ] || die "SSM parameter '$parameter' has no value"
else
  [ -r "$file" ] || die "deploy settings '$file' not found"
  if [ "$file" != "$out" ]; then cp "$file" "$out"; fi
fi
settings_load "$out"

region=$(settings_get "$out" aws_region)
cli_region=${AWS_REGION:-${AWS_DEFAULT_REGION:-}}
if [ -n "$cli_region" ] && [ "$cli_region" != "$region" ]; then
  die "the deploy settings are for region $region, but the AWS CLI uses $cli_region (the environment's AWS_REGION must be Terraform's aws_region)"
fi

for key in aws_region deployment_strategy cluster_name service_name task_family container_name \
  container_port alb_url service_url test_url ecr_repository_name ecr_repository_url codedeploy_app_name \
  codedeploy_deployment_group_name; do
  emit_output "$key" "$(settings_get "$out" "$key")"
done
# 123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service -> the registry part.
repository_url=$(settings_get "$out" ecr_repository_url)
emit_output ecr_registry "${repository_url%%/*}"
log "deploy settings: $(settings_get "$out" cluster_name)/$(settings_get "$out" service_name), strategy $(settings_get "$out" deployment_strategy), service $(settings_get "$out" service_url)$(test_url=$(settings_get "$out" test_url); [ -z "$test_url" ] || printf ' (test listener %s)' "$test_url"), image repository $repository_url"
