# The deploy settings: the JSON document Terraform publishes per environment in the SSM
# parameter /<service>/<environment>/deploy-settings (aws_ssm_parameter.deploy_settings in
# infrastructure/terraform/main.tf), read by the deploy scripts. This file is the
# pipeline's side of that contract: the keys it reads and their types, checked at once so
# that a renamed or missing key stops a deploy with its name instead of half-way through.
# Source it after common.sh; it defines functions only.
# shellcheck shell=bash

# The contract, as a jq object of key -> jq type ("string", "number", "object", "array",
# "boolean", or "string|null" for what is null with the rolling strategy: the CodeDeploy
# names and test_url). service_url is what the pipeline verifies (https://<domain_name>
# with a certificate, else alb_url); test_url the CodeDeploy test listener's URL;
# network_configuration ({subnets, security_groups, assign_public_ip}) and
# capacity_provider_strategy ([{capacity_provider, weight, base}]) are the service's, for
# a CodeDeploy AppSpec.
# infrastructure/tests/moto-e2e checks that the parameter Terraform really writes has
# exactly these keys and types, and deploys from it.
# shellcheck disable=SC2016 # jq text, not shell
SETTINGS_SCHEMA='{
  "aws_region": "string",
  "deployment_strategy": "string",
  "ecr_repository_name": "string",
  "ecr_repository_url": "string",
  "cluster_name": "string",
  "service_name": "string",
  "task_family": "string",
  "container_name": "string",
  "container_port": "number",
  "cpu": "number",
  "memory": "number",
  "cpu_architecture": "string",
  "execution_role_arn": "string",
  "task_role_arn": "string",
  "codedeploy_app_name": "string|null",
  "codedeploy_deployment_group_name": "string|null",
  "alb_url": "string",
  "service_url": "string",
  "test_url": "string|null",
  "network_configuration": "object",
  "capacity_provider_strategy": "array",
  "container_template_values": "object"
}'

# settings_problems FILE: prints one line per way FILE breaks the contract (nothing when
# it holds).
settings_problems() {
  jq -r --argjson schema "$SETTINGS_SCHEMA" '
    if type != "object" then "the deploy settings are not a JSON object"
    else
      . as $s
      | ($schema | to_entries[]
          | select(.key as $k | $s | has($k) | not)
          | "missing key \(.key) (\(.value))"),
        ($schema | to_entries[] | .key as $k | .value as $want
          | select($s | has($k))
          | ($s[$k] | type) as $got
          | select($want | split("|") | index($got) | not)
          | "key \($k) is \($got), expected \($want)"),
        (($s | keys) - ($schema | keys) | .[] | "unexpected key \(.) (renamed in Terraform? see scripts/lib/settings.sh)"),
        (select($s.deployment_strategy | IN("rolling", "blue_green", "canary", "linear") | not)
          | "deployment_strategy \($s.deployment_strategy | tojson) is not rolling, blue_green, canary or linear"),
        (select(($s.deployment_strategy // "rolling") != "rolling"
            and (($s.codedeploy_app_name | type) != "string" or ($s.codedeploy_deployment_group_name | type) != "string"))
          | "deployment_strategy \($s.deployment_strategy) needs codedeploy_app_name and codedeploy_deployment_group_name"),
        (select(($s.container_template_values | type) == "object")
          | $s.container_template_values | to_entries[]
          | select(.value | type | IN("string", "number", "boolean") | not)
          | "container_template_values.\(.key) is \(.value | type), expected a string, number or boolean"),
        (select(($s.container_template_values | type) == "object" and ($s.container_template_values | has("image")))
          | "container_template_values must not hold image (the pipeline sets it)"),
        # What the CodeDeploy strategies need beyond the schema: a test listener URL to
        # verify on before traffic shifts, and the AppSpec parts in the form it takes.
        (select(($s.deployment_strategy // "rolling") != "rolling" and $s.deployment_strategy != null
            and (($s.test_url | type) != "string" or ($s.test_url | test("^https?://[^/]") | not)))
          | "deployment_strategy \($s.deployment_strategy) needs test_url, the http(s) URL of the test listener (it is \($s.test_url | tojson))"),
        (select(has("service_url") and (($s.service_url | type) != "string" or ($s.service_url | test("^https?://[^/]") | not)))
          | "service_url \($s.service_url | tojson) is not an http(s) URL"),
        (select(($s.network_configuration | type) == "object") | $s.network_configuration as $n
          | (("subnets", "security_groups") as $k
              | select(($n[$k] | type) != "array" or ($n[$k] | length) == 0 or any($n[$k][]; type != "string"))
              | "network_configuration.\($k) must be a non-empty array of IDs"),
            (select(($n.assign_public_ip | type) != "boolean") | "network_configuration.assign_public_ip must be true or false"),
            (($n | keys) - ["subnets", "security_groups", "assign_public_ip"] | .[] | "unexpected key network_configuration.\(.)")),
        (select(($s.capacity_provider_strategy | type) == "array") | $s.capacity_provider_strategy as $c
          | ($c | to_entries[] | .key as $i | .value
              | select((type != "object") or ((.capacity_provider | type) != "string")
                  or ((.weight | type) != "number") or (.weight < 0) or ((.base // 0 | type) != "number") or ((.base // 0) < 0))
              | "capacity_provider_strategy[\($i)] must be {capacity_provider: string, weight: number >= 0, base: number >= 0}"),
            (select([$c[] | objects | select((.base // 0) > 0)] | length > 1)
              | "capacity_provider_strategy: only one capacity provider may have a base"))
    end
  ' "$1" 2>&1 || echo "the deploy settings are not valid JSON"
}

# settings_load FILE: dies, naming every problem, unless FILE holds the contract.
settings_load() {
  local file=$1 problems
  [ -r "$file" ] || die "deploy settings '$file' not found"
  problems=$(settings_problems "$file")
  if [ -n "$problems" ]; then
    die "the deploy settings in '$file' do not match what the pipeline reads:
  - ${problems//$'\n'/$'\n'  - }"
  fi
}

# settings_get FILE KEY: the raw value of a top-level key ("" for null).
settings_get() {
  jq -r --arg k "$2" '.[$k] // "" | if type == "object" then tojson else tostring end' "$1"
}
