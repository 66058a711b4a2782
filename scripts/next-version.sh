#!/usr/bin/env bash
# Print the next semantic version (without the "v") from the latest release tag and the
# conventional-commit messages since it.
#
#   next-version.sh [--dir GIT_DIR] [--taken FILE] [--explain]
#
# The latest release is the highest tag vMAJOR.MINOR.PATCH reachable from HEAD (none
# means 0.0.0). Each commit since it counts once, the biggest bump wins:
#   "type!: ..." or a "BREAKING CHANGE:" / "BREAKING-CHANGE:" footer   -> major
#   "feat: ..." / "feat(scope): ..."                                     -> minor
#   "fix: ..." / "perf: ..."                                             -> patch
#   anything else (chore, docs, ci, refactor, test, non-conventional)    -> patch
# The last rule is deliberate: every commit that reaches main is deployed, and every
# deployed image needs a version of its own (ECR tags are immutable).
# --taken FILE: versions already taken (one MAJOR.MINOR.PATCH a line; the release
# workflow passes every version tag in ECR). A version is unique per commit: when the
# computed one is not above every taken version (a build that never reached production
# keeps its version and its immutable image tag), the result is the highest taken
# version with its patch bumped.
# When HEAD itself carries the latest tag (a re-run of a released commit), that version
# is printed unchanged. --explain prints the reasoning on stderr.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

dir=. explain=false taken_file=""
while [ "$#" -gt 0 ]; do
  case $1 in
    --dir) dir=$(option_value "$@"); shift 2 ;;
    --taken) taken_file=$(option_value "$@"); shift 2 ;;
    --explain) explain=true; shift ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
require_commands git
git -C "$dir" rev-parse --verify -q HEAD >/dev/null || die "'$dir' is not a git work tree with at least one commit"
explain_line() { if $explain; then printf '%s\n' "$*" >&2; fi; }
semver='^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$'
highest_taken=""
if [ -n "$taken_file" ]; then
  [ -r "$taken_file" ] || die "--taken: cannot read '$taken_file'"
  while IFS= read -r line || [ -n "$line" ]; do
    [ -n "$line" ] || continue
    [[ $line =~ $semver ]] || die "--taken: '$line' in $taken_file is not MAJOR.MINOR.PATCH"
  done <"$taken_file"
  highest_taken=$(sed '/^$/d' "$taken_file" | sort -V | tail -n 1)
fi

# Highest vX.Y.Z tag reachable from HEAD; pre-release and other tags are ignored.
latest=$(git -C "$dir" tag --merged HEAD --list 'v*' \
  | grep -E '^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$' | sort -V | tail -n 1 || true)
if [ -n "$latest" ]; then
  IFS=. read -r major minor patch <<<"${latest#v}"
  range="$latest..HEAD"
  if [ "$(git -C "$dir" rev-list --count "$range")" -eq 0 ]; then
    explain_line "HEAD is the release $latest itself"
    printf '%s\n' "${latest#v}"
    exit 0
  fi
else
  major=0 minor=0 patch=0
  range=HEAD
fi
explain_line "latest release: ${latest:-none (starting from 0.0.0)}"

# 3 = major, 2 = minor, 1 = patch.
bump=0
while IFS= read -r -d $'\x1e' record; do
  record=${record#$'\n'}
  [ -n "$record" ] || continue
  sha=${record%%$'\x1f'*}
  message=${record#*$'\x1f'}
  subject=${message%%$'\n'*}
  level=1 why="other"
  if [[ $subject =~ ^[A-Za-z]+(\([^\)]*\))?!: ]] \
    || grep -qE '^BREAKING[ -]CHANGE: ' <<<"$message"; then
    level=3 why="breaking change"
  elif [[ $subject =~ ^feat(\([^\)]*\))?:\  ]]; then
    level=2 why="feature"
  elif [[ $subject =~ ^(fix|perf)(\([^\)]*\))?:\  ]]; then
    level=1 why="fix"
  fi
  explain_line "  ${sha:0:8} $why: $subject"
  if [ "$level" -gt "$bump" ]; then bump=$level; fi
done < <(git -C "$dir" log --no-merges --format='%H%x1f%B%x1e' "$range")

case $bump in
  3) major=$((major + 1)) minor=0 patch=0 ;;
  2) minor=$((minor + 1)) patch=0 ;;
  *) patch=$((patch + 1)) ;;
esac
next=$major.$minor.$patch
if [ -n "$highest_taken" ] && [ "$(printf '%s\n%s\n' "$next" "$highest_taken" | sort -V | tail -n 1)" = "$highest_taken" ]; then
  IFS=. read -r major minor patch <<<"$highest_taken"
  explain_line "$next is not above $highest_taken, the highest version already taken: bumping past it"
  next=$major.$minor.$((patch + 1))
fi
explain_line "next version: $next"
printf '%s\n' "$next"
