#!/usr/bin/env bash
# Render the ECS container definitions from the template Terraform uses, and optionally
# wrap them into a complete `aws ecs register-task-definition --cli-input-json` document.
#
#   render-task-definition.sh --template FILE --values FILE [--set NAME=VALUE]...
#                             [--base FILE] [--tag KEY=VALUE]...
#
# --template  a templatefile() template using only plain ${name} placeholders
#             ($${ and %%{ are the template language's escapes for a literal ${ and %{).
# --values    a JSON object of placeholder values (strings, numbers or booleans).
# --set       one more value (a string); overrides --values. Repeatable.
# --base      `aws ecs describe-task-definition --include TAGS` output of the current
#             revision: its settings (family, roles, CPU, memory, network mode,
#             platform) are kept and only the container definitions are replaced.
# --tag       a tag for the new revision, added to the base's tags. Repeatable.
#
# Without --base it prints the rendered container definitions (a JSON array); with it,
# the register-task-definition input. It renders exactly as Terraform's templatefile()
# does for such templates, and refuses what templatefile() would treat differently:
# directives (%{...}), expressions other than a plain name, a placeholder without a
# value, and a value for no placeholder (usually a renamed placeholder).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

show_help() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

template="" values_file="" base_file=""
sets=() tags=()
while [ "$#" -gt 0 ]; do
  case $1 in
    --template) template=$(option_value "$@"); shift 2 ;;
    --values) values_file=$(option_value "$@"); shift 2 ;;
    --set) sets+=("$(option_value "$@")"); shift 2 ;;
    --base) base_file=$(option_value "$@"); shift 2 ;;
    --tag) tags+=("$(option_value "$@")"); shift 2 ;;
    -h | --help) show_help; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done
[ -n "$template" ] || usage_error "--template is required"
[ -f "$template" ] || die "template '$template' not found"
require_commands jq

# All values as one JSON object: the file first, then each --set on top.
values='{}'
if [ -n "$values_file" ]; then
  [ -r "$values_file" ] || die "values file '$values_file' not found"
  values=$(jq -e 'if type == "object" then . else error("not a JSON object") end' "$values_file" 2>&1) \
    || die "values file '$values_file' is not a JSON object: $values"
fi
for assignment in ${sets[@]+"${sets[@]}"}; do
  [[ $assignment == *=* ]] || usage_error "--set '$assignment' is not NAME=VALUE"
  name=${assignment%%=*}
  [[ $name =~ ^[A-Za-z_][A-Za-z0-9_-]*$ ]] || usage_error "--set '$assignment': '$name' is not a placeholder name"
  values=$(jq --arg k "$name" --arg v "${assignment#*=}" '.[$k] = $v' <<<"$values")
done

# The renderer. Every "${", "$${", "%{" and "%%{" in the template is one token; the
# escapes become literals, a plain ${name} becomes its value, anything else is refused.
# Values are inserted as text, exactly as templatefile() does: a number becomes its
# decimal form, a boolean true or false.
# The text goes to a file, not through $(...), so that it stays byte-for-byte what
# templatefile() gives (command substitution would eat trailing newlines).
rendered=$(mktemp)
trap 'rm -f "$rendered" "$rendered.err"' EXIT
if ! error=$(jq -n -j --rawfile t "$template" --argjson v "$values" '
  def fail(msg): error("template: " + msg);
  ($v | to_entries | map(select(.value | type | IN("string", "number", "boolean") | not))
      | map(.key)) as $bad
  | if ($bad | length) > 0 then fail("values must be strings, numbers or booleans: " + ($bad | join(", "))) else . end
  | [ $t | scan("\\$\\$\\{|%%\\{|%\\{|\\$\\{[^}]*\\}?") ] as $tokens
  | ($tokens | map(select(startswith("%{")))) as $directives
  | if ($directives | length) > 0 then fail("directives are not supported (found %{...}); use plain ${name} placeholders") else . end
  | ($tokens | map(select(startswith("${") and (test("^\\$\\{\\s*[A-Za-z_][A-Za-z0-9_-]*\\s*\\}$") | not)))) as $exprs
  | if ($exprs | length) > 0 then fail("only plain ${name} placeholders are supported, found: " + ($exprs | unique | join(" "))) else . end
  | ($tokens | map(select(startswith("${")) | sub("^\\$\\{\\s*"; "") | sub("\\s*\\}$"; "")) | unique) as $names
  | ($names - ($v | keys)) as $missing
  | if ($missing | length) > 0 then fail("no value for placeholder(s): " + ($missing | join(", "))) else . end
  | (($v | keys) - $names) as $unused
  | if ($unused | length) > 0 then fail("value(s) given for no placeholder: " + ($unused | join(", ")) + " (renamed or removed in the template?)") else . end
  | $t
  | gsub("(?<tok>\\$\\$\\{|%%\\{|\\$\\{\\s*(?<name>[A-Za-z_][A-Za-z0-9_-]*)\\s*\\})";
         if .tok == "$${" then "${"
         elif .tok == "%%{" then "%{"
         else ($v[.name] | tostring) end)
' 2>&1 >"$rendered"); then
  die "${error#jq: error (at <unknown>): }"
fi

# The result must be a JSON array of container definitions.
containers=$(jq -e 'if type == "array" and length > 0 then . else error("not a non-empty JSON array") end' \
  "$rendered" 2>&1) || die "the rendered template is not a JSON array of container definitions (a value with a quote or a missing number?): $containers"

if [ -z "$base_file" ]; then
  cat "$rendered"
  exit 0
fi

[ -f "$base_file" ] || die "base task definition '$base_file' not found"
tags_json='[]'
for tag in ${tags[@]+"${tags[@]}"}; do
  [[ $tag == ?*=* ]] || usage_error "--tag '$tag' is not KEY=VALUE"
  tags_json=$(jq --arg k "${tag%%=*}" --arg v "${tag#*=}" '. + [{key: $k, value: $v}]' <<<"$tags_json")
done
# Keep every setting of the base that register-task-definition accepts; drop what ECS
# adds on describe (ARN, revision, status, compatibilities, registration times, ...).
# (jq's error goes to a file of its own: on stdout it would end up in the output.)
if ! jq -e --argjson containers "$containers" --argjson newtags "$tags_json" '
  if (.taskDefinition | type) != "object" then error("not describe-task-definition output (no .taskDefinition)") else . end
  | (.tags // []) as $oldtags
  | .taskDefinition
  | with_entries(select(.key | IN("family", "taskRoleArn", "executionRoleArn", "networkMode",
      "volumes", "placementConstraints", "requiresCompatibilities", "cpu", "memory",
      "pidMode", "ipcMode", "proxyConfiguration", "inferenceAccelerators",
      "ephemeralStorage", "runtimePlatform", "enableFaultInjection")))
  | .containerDefinitions = $containers
  | ([$oldtags[] | select(.key as $k | $newtags | map(.key) | index($k) | not)] + $newtags) as $t
  | if ($t | length) > 0 then .tags = $t else . end
' "$base_file" 2>"$rendered.err"; then
  die "cannot build the task definition from base '$base_file': $(sed -e 's/^jq: error (at [^)]*): //' "$rendered.err")"
fi
