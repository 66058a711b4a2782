#!/usr/bin/env bash
# How the deploy scripts read the AWS CLI (scripts/lib/aws.sh): the answer on stdout
# apart from warnings and errors on stderr, retryable errors told from fatal ones by the
# error code the CLI prints, and the scripts' reactions to each.
#
# Part 1 runs the real AWS CLI against a small HTTP server on 127.0.0.1 that answers as
# the ECS and CodeDeploy APIs do (JSON 1.1 error bodies, bare 5xx pages, slow answers),
# so that the error text classified is the CLI's own. Part 2 runs the scripts against
# a stand-in for the CLI (fake-aws/aws) that plays scripted answers: warnings on stderr
# of calls that succeed, answers that are not JSON, throttling, access denied.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
python=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- 1. the real CLI's errors, classified ------------------------------------------------
cat >"$tmp/endpoint.py" <<'PY'
import http.server, json, sys, time
spec_file, port_file = sys.argv[1:3]

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(spec_file) as f:
            spec = json.load(f)
        time.sleep(spec.get("delay", 0))
        body = spec.get("body", "").encode()
        self.send_response(spec["status"])
        self.send_header("Content-Type", spec.get("type", "application/x-amz-json-1.1"))
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
echo '{"status": 200, "body": "{}"}' >"$tmp/spec.json"
"$python" "$tmp/endpoint.py" "$tmp/spec.json" "$tmp/port" &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
[ -s "$tmp/port" ] || { fail "the fake AWS endpoint starts" "no port after 10 s"; finish; exit 1; }

# classify NAME SPEC EXPECTED_RC EXPECTED_CODE COMMAND...: the endpoint answers SPEC, then
# aws_call runs COMMAND (the real CLI, no retries of its own) and must return
# EXPECTED_RC with aws_error_code EXPECTED_CODE. (The CLI takes a second or two to start
# here: calls get 30 s, except where the timeout itself is tested.)
call_limit=30
cat >"$tmp/classify.sh" <<'SH'
#!/usr/bin/env bash
# classify.sh SCRIPTS COMMAND...: aws_call COMMAND, then "RC|CODE|ERROR".
set -euo pipefail
source "$1/lib/common.sh"
source "$1/lib/aws.sh"
shift
rc=0
aws_call "$@" || rc=$?
printf '%s|%s|%s\n' "$rc" "$aws_error_code" "$aws_error"
SH
chmod +x "$tmp/classify.sh"
classify() {
  local name=$1 spec=$2 want_rc=$3 want_code=$4 got
  shift 4
  printf '%s\n' "$spec" >"$tmp/spec.json"
  got=$(env -u AWS_SESSION_TOKEN -u AWS_PROFILE AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$tmp/port")" \
    AWS_MAX_ATTEMPTS=1 AWS_CALL_TIMEOUT_S=$call_limit AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" "$tmp/classify.sh" "$SCRIPTS" "$@" 2>&1 | tail -1) || true
  if [ "${got%%|*}" = "$want_rc" ] && [ "$(cut -d'|' -f2 <<<"$got")" = "$want_code" ]; then
    pass "$name"
  else
    fail "$name" "expected return $want_rc, code $want_code; got: $got"
  fi
}
describe=(aws ecs describe-services --cluster c --services s --output json)
classify "real CLI: an answer is success" '{"status": 200, "body": "{\"services\": [], \"failures\": []}"}' 0 "" "${describe[@]}"
classify "real CLI: ThrottlingException is retryable" \
  '{"status": 400, "body": "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}"}' 75 ThrottlingException "${describe[@]}"
classify "real CLI: ECS's ServerException (500) is retryable" \
  '{"status": 500, "body": "{\"__type\":\"ServerException\",\"message\":\"internal\"}"}' 75 ServerException "${describe[@]}"
classify "real CLI: a bare 503 (no error body) is retryable" '{"status": 503, "body": ""}' 75 503 "${describe[@]}"
classify "real CLI: an HTML 502 page is retryable" \
  '{"status": 502, "body": "<html><body>Bad Gateway</body></html>", "type": "text/html"}' 75 502 "${describe[@]}"
classify "real CLI: a 200 whose body is not JSON (the CLI prints nothing) is retryable" \
  '{"status": 200, "body": "not json"}' 75 unparsable "${describe[@]}"
call_limit=6
classify "real CLI: an answer slower than AWS_CALL_TIMEOUT_S is retryable" \
  '{"status": 200, "body": "{}", "delay": 30}' 75 timeout "${describe[@]}"
call_limit=30
classify "real CLI: AccessDeniedException is fatal" \
  '{"status": 400, "body": "{\"__type\":\"AccessDeniedException\",\"Message\":\"User: arn:aws:sts::123456789012:assumed-role/deploy/gha is not authorized to perform: ecs:DescribeServices\"}"}' \
  1 AccessDeniedException "${describe[@]}"
classify "real CLI: a namespaced not-found error (CodeDeploy) is fatal" \
  '{"status": 400, "body": "{\"__type\":\"com.amazonaws.codedeploy#DeploymentDoesNotExistException\",\"message\":\"no\"}"}' \
  1 DeploymentDoesNotExistException aws deploy get-deployment --deployment-id d-1 --output json
classify "real CLI: an invalid parameter is fatal" \
  '{"status": 400, "body": "{\"__type\":\"InvalidParameterException\",\"message\":\"bad\"}"}' 1 InvalidParameterException "${describe[@]}"
classify "real CLI: a request the CLI itself rejects is fatal" '{"status": 200, "body": "{}"}' 1 unknown \
  aws ecs describe-services --cluster c --services s --no-such-option --output json
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=""
classify "real CLI: a refused connection is retryable" '{"status": 200}' 75 connection "${describe[@]}"

# --- 2. the scripts, against the stand-in ------------------------------------------------
export AWS_CALL_TIMEOUT_S=10
fake_aws "$tmp/fake"
wait_for=$SCRIPTS/wait-deployment.sh
recorded=$FIXTURES/codedeploy-canary-success

# wait-deployment.sh: warnings on stderr, an answer that is not JSON, throttling.
answer_json deploy get-deployment "$(cat "$recorded/02-in-progress.json")" "$CLI_WARNING"
printf 'echo "Traceback (most recent call last): this is not JSON"\nexit 0\n' | answer deploy get-deployment
answer_error deploy get-deployment ThrottlingException "Rate exceeded"
answer_json deploy get-deployment "$(cat "$recorded/04-succeeded.json")" "$CLI_WARNING"
expect_ok "wait: a deployment that succeeds with warnings on stderr, an unparsable answer and throttling between is a success" \
  "$wait_for" --codedeploy-deployment d-7QX2M4B1C --timeout-s 60 --poll-s 1
if grep -q "DEPLOYMENT SUCCEEDED" <<<"$out" && grep -q "will retry.*not JSON" <<<"$out" \
  && grep -q "will retry.*ThrottlingException" <<<"$out" && ! grep -q "PythonDeprecationWarning" <<<"$out"; then
  pass "wait: the retries say why; warnings of calls that succeeded are not shown"
else
  fail "wait: the retries say why; warnings of calls that succeeded are not shown" "$out"
fi
expect_eq "wait: the final CodeDeploy status on stdout" "status=Succeeded" "$(grep '^status=' <<<"$out" || true)"

fake_aws "$tmp/fake"
answer_error deploy get-deployment AccessDeniedException "User: arn:aws:sts::123456789012:assumed-role/deploy/gha is not authorized to perform: codedeploy:GetDeployment"
start=$SECONDS
expect_fail "wait: access denied stops at once with the CLI's message and exit 3 (no verdict)" 3 \
  "NO VERDICT: AWS refused .*AccessDeniedException.*not authorized to perform: codedeploy:GetDeployment" \
  "$wait_for" --codedeploy-deployment d-7QX2M4B1C --timeout-s 60 --poll-s 1
expect_eq "wait: access denied is asked once, not retried until the timeout" "1 call" \
  "$(calls_of deploy get-deployment) call$([ $((SECONDS - start)) -lt 10 ] || echo " (slow)")"

fake_aws "$tmp/fake"
answer_json ecs describe-services "$(cat "$FIXTURES/ecs-rolling-success/04-completed.json")" "$CLI_WARNING"
expect_ok "wait (ECS): a describe-services answer with a warning on stderr is read" \
  "$wait_for" --cluster hello-service-staging --service hello-service --deployment-id ecs-svc/4837209516238490112 --timeout-s 30 --poll-s 1

fake_aws "$tmp/fake"
answer_json deploy get-deployment "$(cat "$recorded/02-in-progress.json")"
expect_fail "wait: still in progress at the timeout is a failure that says so" 1 \
  "DEPLOYMENT FAILED: did not complete within 2 s \(last state: CodeDeploy deployment d-7QX2M4B1C .* InProgress" \
  "$wait_for" --codedeploy-deployment d-7QX2M4B1C --timeout-s 2 --poll-s 1

# deploy-settings.sh: the document, never the CLI's warning, goes into the settings file.
fake_aws "$tmp/fake"
answer_json ssm get-parameter "$(jq -n --rawfile v "$FIXTURES/deploy-settings-staging.json" '{Parameter: {Name: "/hello-service/staging/deploy-settings", Type: "String", Value: $v, Version: 3}}')" "$CLI_WARNING"
expect_ok "settings: a parameter read with a warning on stderr is accepted" \
  "$SCRIPTS/deploy-settings.sh" --parameter /hello-service/staging/deploy-settings --out "$tmp/settings.json"
expect_eq "settings: the file holds the document and nothing else" "$(jq -cS . "$FIXTURES/deploy-settings-staging.json")" \
  "$(jq -cS . "$tmp/settings.json" 2>&1)"
fake_aws "$tmp/fake"
answer_error ssm get-parameter ParameterNotFound ""
expect_fail "settings: a missing parameter stops at once, naming the CLI's error" 1 \
  "cannot read SSM parameter '/nope'.*ParameterNotFound" \
  "$SCRIPTS/deploy-settings.sh" --parameter /nope --out "$tmp/x.json"
expect_eq "settings: a missing parameter is asked once" 1 "$(calls_of ssm get-parameter)"
fake_aws "$tmp/fake"
answer_error ssm get-parameter ThrottlingException "Rate exceeded"
answer_json ssm get-parameter "$(jq -n --rawfile v "$FIXTURES/deploy-settings-staging.json" '{Parameter: {Value: $v}}')"
expect_ok "settings: a throttled read is retried" \
  "$SCRIPTS/deploy-settings.sh" --parameter /hello-service/staging/deploy-settings --out "$tmp/settings.json"

# stopped-tasks.sh: a warning on stderr does not hide the reasons.
fake_aws "$tmp/fake"
answer_json ecs list-tasks "$(jq '[.tasks[].taskArn]' "$FIXTURES/ecs-circuit-breaker-rollback/stopped-tasks.json")" "$CLI_WARNING"
answer_json ecs describe-tasks "$(cat "$FIXTURES/ecs-circuit-breaker-rollback/stopped-tasks.json")" "$CLI_WARNING"
expect_ok "stopped tasks: listed with warnings on stderr" \
  "$SCRIPTS/stopped-tasks.sh" --cluster hello-service-staging --service hello-service
if grep -q "Essential container in task exited" <<<"$out" && ! grep -q "could not" <<<"$out"; then
  pass "stopped tasks: the reasons are printed"
else
  fail "stopped tasks: the reasons are printed" "$out"
fi

# rollback.sh reads the revision's version tag: a warning must not make it empty.
fake_aws "$tmp/fake"
answer_json ecs describe-task-definition "$(cat "$FIXTURES/describe-task-definition.json")" "$CLI_WARNING"
printf 'exit 0\n' | answer ecs none
mkdir -p "$tmp/bin"
printf '#!/bin/sh\nprintf "deploy.sh %%s\\n" "$*"\n' >"$tmp/bin/deploy.sh"
chmod +x "$tmp/bin/deploy.sh"
cp "$SCRIPTS/rollback.sh" "$tmp/bin/"
cp -r "$SCRIPTS/lib" "$tmp/bin/"
expect_ok "rollback: reads the version tag with a warning on stderr" \
  "$tmp/bin/rollback.sh" --cluster c --service s --strategy rolling --to arn:aws:ecs:eu-west-1:123456789012:task-definition/hello-service-staging:7
if grep -q "ROLLING BACK to .*hello-service-staging:7 (version 1.4.1)" <<<"$out"; then
  pass "rollback: the version is the tag's"
else
  fail "rollback: the version is the tag's" "$out"
fi

finish
