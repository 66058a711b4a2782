#!/usr/bin/env bash
# next-version.sh on a throwaway git repository made here, commit by commit.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
next=$SCRIPTS/next-version.sh
repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT

git -C "$repo" init -q -b main
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid
n=0
commit() { # MESSAGE...: one empty commit per message paragraph list
  n=$((n + 1))
  git -C "$repo" commit -q --allow-empty -m "$@"
}
version() { "$next" --dir "$repo"; }

expect_fail "an empty repository is refused" 1 "not a git work tree with at least one commit" "$next" --dir "$repo"

commit "chore: initial layout"
expect_eq "no tag, a chore: 0.0.1" "0.0.1" "$(version)"
commit "feat: hello endpoint"
expect_eq "no tag, a feature: 0.1.0" "0.1.0" "$(version)"

git -C "$repo" tag v1.4.2
expect_eq "HEAD is the tagged release: its version" "1.4.2" "$(version)"
commit "docs: explain the drain"
expect_eq "docs only since v1.4.2: patch" "1.4.3" "$(version)"
commit "fix(http): close idle connections"
expect_eq "a fix: patch" "1.4.3" "$(version)"
commit "perf: serialize static responses once"
expect_eq "a perf: patch" "1.4.3" "$(version)"
commit "feat(info): report the task's availability zone"
expect_eq "a feature beats fixes: minor" "1.5.0" "$(version)"
commit "fix: a fix after the feature"
expect_eq "a later fix does not lower the bump" "1.5.0" "$(version)"

git -C "$repo" tag v1.5.0
commit "feat!: /info answers JSON only"
expect_eq "type! marks a breaking change: major" "2.0.0" "$(version)"

git -C "$repo" tag v2.0.0
commit "refactor: split the router" -m "BREAKING CHANGE: the METRICS_PATH setting is gone"
expect_eq "a BREAKING CHANGE footer: major" "3.0.0" "$(version)"
git -C "$repo" tag v3.0.0
commit "fix(config)!: LOG_LEVEL rejects unknown values"
expect_eq "scope and ! together: major" "4.0.0" "$(version)"
git -C "$repo" tag v4.0.0
commit "feature: not a conventional type" -m "mentions BREAKING CHANGE mid-line, not a footer"
expect_eq "non-conventional subjects and mid-line mentions: patch" "4.0.1" "$(version)"

# Tags that are not releases are ignored; the highest release tag wins, not the newest.
git -C "$repo" tag v9.0.0-rc.1
git -C "$repo" tag deploy-staging
expect_eq "pre-release and other tags are ignored" "4.0.1" "$(version)"
git -C "$repo" tag v3.9.9 HEAD~1
expect_eq "the highest release tag is the base, not the latest made" "4.0.1" "$(version)"

# A tag on another branch is not reachable from HEAD and does not count.
git -C "$repo" checkout -q -b side
commit "feat: on the side branch"
git -C "$repo" tag v7.0.0
git -C "$repo" checkout -q main
expect_eq "a release tag on another branch does not count" "4.0.1" "$(version)"

# A merged branch: its commits count (the merge commit's own message does not).
git -C "$repo" merge -q --no-ff side -m "Merge branch 'side'"
expect_eq "after merging a tagged branch its tag is the base" "7.0.1" "$(version)"

# Versions already taken (ECR's version tags): the result is above all of them, so that a
# build that never reached production never blocks, or collides with, a later one.
taken=$(mktemp)
trap 'rm -rf "$repo" "$taken"' EXIT
printf '7.0.1\n' >"$taken"
expect_eq "a computed version already taken (an unreleased build's) is bumped past" "7.0.2" \
  "$("$next" --dir "$repo" --taken "$taken")"
printf '7.0.1\n7.0.2\n7.0.10\n\n' >"$taken"
expect_eq "past the highest taken version, compared as versions (7.0.10 > 7.0.2)" "7.0.11" \
  "$("$next" --dir "$repo" --taken "$taken")"
printf '1.0.0\n7.0.0\n' >"$taken"
expect_eq "taken versions below the computed one change nothing" "7.0.1" "$("$next" --dir "$repo" --taken "$taken")"
: >"$taken"
expect_eq "an empty list of taken versions changes nothing" "7.0.1" "$("$next" --dir "$repo" --taken "$taken")"
commit "feat: a feature after the unreleased 7.1.0"
printf '7.1.0\n' >"$taken"
expect_eq "a feature over a taken minor: the taken minor's next patch" "7.1.1" "$("$next" --dir "$repo" --taken "$taken")"
printf 'latest\n' >"$taken"
expect_fail "a taken entry that is not a version is refused" 1 "'latest' in .* is not MAJOR.MINOR.PATCH" \
  "$next" --dir "$repo" --taken "$taken"
expect_fail "an unreadable --taken file is refused" 1 "cannot read" "$next" --dir "$repo" --taken "$repo/none"
# The SETUP.md path: the first image is 0.1.0, pushed by hand and tagged v0.1.0, so the
# first release computes a version above it.
first=$(mktemp -d)
git -C "$first" init -q -b main
git -C "$first" commit -q --allow-empty -m "chore: initial layout"
git -C "$first" tag v0.1.0
git -C "$first" commit -q --allow-empty -m "docs: the first change after SETUP"
expect_eq "after SETUP's v0.1.0 the first release is 0.1.1, not 0.0.1" "0.1.1" "$("$next" --dir "$first")"
rm -rf "$first"
git -C "$repo" reset -q --hard HEAD~1

expect_ok "--explain prints the reasoning" "$next" --dir "$repo" --explain
if grep -q "latest release: v7.0.0" <<<"$out"; then pass "--explain names the base release"; else fail "--explain names the base release" "$out"; fi

finish
