#!/usr/bin/env bash
# The task-definition renderer: generic placeholders, clear refusals, the same text as
# Terraform's templatefile(), and a register-task-definition document from a base.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
render=$SCRIPTS/render-task-definition.sh
image=123456789012.dkr.ecr.eu-west-1.amazonaws.com/hello-service@sha256:2222222222222222222222222222222222222222222222222222222222222222
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The template values as Terraform publishes them (in the deploy settings document).
values=$tmp/values-staging.json
jq '.container_template_values' "$FIXTURES/deploy-settings-staging.json" >"$values"

# --- the real template -------------------------------------------------------------
expect_ok "renders the ECS template with the staging values" \
  "$render" --template "$TEMPLATE" --values "$values" --set "image=$image"
# (Rendered again into a file: $(...) in the check above drops trailing newlines.)
"$render" --template "$TEMPLATE" --values "$values" --set "image=$image" >"$tmp/rendered.json" || true
expect_eq "rendered: the image is the one given" "$image" "$(jq -r '.[0].image' "$tmp/rendered.json")"
expect_eq "rendered: numbers stay numbers (containerPort)" "5000" "$(jq -r '.[0].portMappings[0].containerPort | numbers' "$tmp/rendered.json")"
expect_eq "rendered: environment APP_ENV" "staging" "$(jq -r '.[0].environment[] | select(.name == "APP_ENV") | .value' "$tmp/rendered.json")"
expect_eq "rendered: stopTimeout" "40" "$(jq -r '.[0].stopTimeout' "$tmp/rendered.json")"

# --- byte-for-byte equal to Terraform's templatefile() -------------------------------
# terraform console evaluates built-in functions offline, without init. base64 keeps the
# comparison exact (no console quoting in the way).
terraform_render() { # TEMPLATE VALUES_JSON_FILE
  printf 'base64encode(templatefile("%s", jsondecode(file("%s"))))\n' "$1" "$2" \
    | (cd "$tmp" && TF_CLI_CONFIG_FILE="$tmp/empty.tfrc" terraform console) \
    | tr -d '"\r\n' | base64 -d
}
: >"$tmp/empty.tfrc"
if ! command -v terraform >/dev/null 2>&1; then
  fail "templatefile() equivalence" "terraform is not installed (it is not in Debian; install it from HashiCorp's releases)"
else
  jq --arg image "$image" '. + {image: $image}' "$values" >"$tmp/all-values.json"
  if terraform_render "$TEMPLATE" "$tmp/all-values.json" >"$tmp/terraform.json" 2>"$tmp/terraform.err"; then
    if cmp -s "$tmp/terraform.json" "$tmp/rendered.json"; then
      pass "the ECS template renders byte-for-byte as Terraform's templatefile()"
    else
      fail "the ECS template renders byte-for-byte as Terraform's templatefile()" "$(diff "$tmp/terraform.json" "$tmp/rendered.json" | head -20)"
    fi
  else
    fail "templatefile() equivalence" "terraform console failed: $(cat "$tmp/terraform.err")"
  fi
  # The corners of the template language the renderer must treat as Terraform does:
  # escapes, spaces inside ${ }, decimals, booleans, non-ASCII text, a repeated name.
  # shellcheck disable=SC2016 # the $ signs are the template's, not the shell's
  printf '%s\n' '[{"escaped": "$${literal} and %%{literal}", "spaced": "${ s }", "again": "${s}",' \
    '  "decimal": ${f}, "flag": ${b}, "text": "${u}", "n": ${n}}]' >"$tmp/corners.tftpl"
  printf '%s' '{"s": "x-y_z", "f": 0.25, "b": true, "u": "grüße ✓", "n": 1000}' >"$tmp/corners.json"
  if terraform_render "$tmp/corners.tftpl" "$tmp/corners.json" >"$tmp/corners.tf.out" 2>"$tmp/terraform.err" \
    && "$render" --template "$tmp/corners.tftpl" --values "$tmp/corners.json" >"$tmp/corners.sh.out" 2>&1 \
    && cmp -s "$tmp/corners.tf.out" "$tmp/corners.sh.out"; then
    pass "escapes, spaces, decimals, booleans and UTF-8 render as templatefile() does"
  else
    fail "escapes, spaces, decimals, booleans and UTF-8 render as templatefile() does" \
      "terraform: $(cat "$tmp/corners.tf.out" "$tmp/terraform.err" 2>/dev/null)" "script:    $(cat "$tmp/corners.sh.out")"
  fi
fi

# --- clear refusals ----------------------------------------------------------------
expect_fail "a placeholder without a value is refused, by name" 1 "no value for placeholder\(s\): image" \
  "$render" --template "$TEMPLATE" --values "$values"
expect_fail "a value for no placeholder is refused, by name" 1 "given for no placeholder: colour" \
  "$render" --template "$TEMPLATE" --values "$values" --set "image=$image" --set colour=blue
# shellcheck disable=SC2016
printf '%s' '[{"a": "%{ if x }y%{ endif }"}]' >"$tmp/directive.tftpl"
expect_fail "a template directive is refused" 1 "directives are not supported" \
  "$render" --template "$tmp/directive.tftpl"
# shellcheck disable=SC2016
printf '%s' '[{"a": "${upper(x)}"}]' >"$tmp/call.tftpl"
expect_fail "an expression other than a name is refused" 1 'only plain \$\{name\} placeholders.*upper\(x\)' \
  "$render" --template "$tmp/call.tftpl" --set x=1
expect_fail "a value that breaks the JSON is refused" 1 "not a JSON array of container definitions" \
  "$render" --template "$TEMPLATE" --values "$values" --set "image=bad\"quote"
printf '%s' '{"image": ["a", "list"]}' >"$tmp/list.json"
expect_fail "a list value is refused" 1 "values must be strings, numbers or booleans: image" \
  "$render" --template "$TEMPLATE" --values "$tmp/list.json"
expect_fail "a missing template is reported" 1 "template '.*nope' not found" \
  "$render" --template "$tmp/nope" --values "$values"
expect_fail "an unknown option is a usage error" 2 "unknown argument '--colour'" \
  "$render" --template "$TEMPLATE" --colour blue

# --- a register-task-definition document from the current revision -------------------
expect_ok "builds the register-task-definition input from a base revision" \
  "$render" --template "$TEMPLATE" --values "$values" --set "image=$image" \
  --base "$FIXTURES/describe-task-definition.json" --tag version=1.5.0 --tag git-sha=abc123
printf '%s' "$out" >"$tmp/register.json"
expect_eq "base: Terraform's settings are kept" \
  'hello-service-staging|256|512|awsvpc|ARM64|arn:aws:iam::123456789012:role/hello-service-staging-execution' \
  "$(jq -r '[.family, .cpu, .memory, .networkMode, .runtimePlatform.cpuArchitecture, .executionRoleArn] | join("|")' "$tmp/register.json")"
expect_eq "base: fields that describe adds are dropped" "" \
  "$(jq -r 'keys - ["family","taskRoleArn","executionRoleArn","networkMode","volumes","placementConstraints","requiresCompatibilities","cpu","memory","runtimePlatform","containerDefinitions","tags"] | join(",")' "$tmp/register.json")"
expect_eq "base: the containers are the rendered ones" "$(jq -c . "$tmp/rendered.json")" "$(jq -c .containerDefinitions "$tmp/register.json")"
expect_eq "base: tags merged, the version replaced" "Project=hello-service,version=1.5.0,git-sha=abc123" \
  "$(jq -r '[.tags[] | "\(.key)=\(.value)"] | join(",")' "$tmp/register.json")"
expect_fail "a base that is not describe-task-definition output is refused, saying why" 1 \
  "cannot build the task definition from base '.*': not describe-task-definition output \(no .taskDefinition\)" \
  "$render" --template "$TEMPLATE" --values "$values" --set "image=$image" --base "$values"
expect_eq "a refused base writes nothing on stdout (where the caller keeps the document)" "" \
  "$("$render" --template "$TEMPLATE" --values "$values" --set "image=$image" --base "$values" 2>/dev/null || true)"
printf '{"taskDefinition": ' >"$tmp/truncated.json"
expect_fail "a base that is not JSON is refused, saying why" 1 \
  "cannot build the task definition from base '.*truncated.json': .*(parse error|Unfinished JSON)" \
  "$render" --template "$TEMPLATE" --values "$values" --set "image=$image" --base "$tmp/truncated.json"

finish
