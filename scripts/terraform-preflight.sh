#!/usr/bin/env bash
# Before terraform.yml runs Terraform for an environment: the environment's backend and
# variable files exist, the backend names a real bucket (not the placeholder committed
# before the bootstrap ran), and the GitHub variables the job needs are set.
#
#   terraform-preflight.sh ENVIRONMENT [NAME=VALUE]...
#
# Run from infrastructure/terraform. Each NAME=VALUE is a variable the job reads; an
# empty VALUE is reported by NAME. Exits 1 naming every problem.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[ "$#" -ge 1 ] || usage_error "usage: terraform-preflight.sh ENVIRONMENT [NAME=VALUE]..."
environment=$1
shift
[[ $environment =~ ^[a-z][a-z0-9]{1,9}$ ]] || usage_error "'$environment' is not an environment name"
problems=()
backend=environments/$environment.s3.tfbackend
tfvars=environments/$environment.tfvars
if [ ! -f "$backend" ]; then
  problems+=("$backend is missing (write it from the bootstrap's output backend_config; docs/SETUP.md)")
elif grep -q 'REPLACE' "$backend"; then
  problems+=("$backend still holds the placeholder bucket: write it from the bootstrap's output backend_config (docs/SETUP.md) and commit it")
fi
[ -f "$tfvars" ] || problems+=("$tfvars is missing")
for assignment in "$@"; do
  [[ $assignment == ?*=* ]] || usage_error "'$assignment' is not NAME=VALUE"
  [ -n "${assignment#*=}" ] || problems+=("the GitHub variable ${assignment%%=*} is not set (docs/PIPELINE.md, one-time settings)")
done
if [ "${#problems[@]}" -gt 0 ]; then
  for problem in "${problems[@]}"; do
    printf '::error::%s\n' "$problem"
  done
  exit 1
fi
log "terraform $environment: $backend and $tfvars present, variables set"
