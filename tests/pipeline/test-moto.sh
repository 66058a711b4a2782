#!/usr/bin/env bash
# The deploy scripts against moto_server (run under tools/with-moto), with the real AWS
# CLI, whose client-side validation checks every --cli-input-json before it is sent.
# What moto does not model (a new deployment after update-service, rollbacks, CodeDeploy
# progress) is covered by test-verdict.sh with recorded answers.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ -n "${MOTO_ENDPOINT:-}" ] || { echo "FAIL: test-moto.sh must run under tools/with-moto" >&2; exit 1; }
settings=$FIXTURES/deploy-settings-staging.json
cluster=hello-service-staging
digest=sha256:3333333333333333333333333333333333333333333333333333333333333333
image=123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service@$digest
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# moto answers at once; an unimplemented call (CodeDeploy's stop-deployment) would
# otherwise be retried with back-off for seconds.
export AWS_MAX_ATTEMPTS=1

values=$tmp/values.json
jq '.container_template_values' "$settings" >"$values"

# --- the deploy settings, read from SSM as the workflow does ------------------------------
parameter=/hello-service/staging/deploy-settings
aws ssm put-parameter --name "$parameter" --type String --value "file://$settings" >/dev/null
expect_ok "deploy-settings.sh reads and checks the parameter Terraform writes" \
  "$SCRIPTS/deploy-settings.sh" --parameter "$parameter" --out "$tmp/settings.json"
expect_eq "deploy-settings.sh: names, strategy, URL and registry as step outputs" \
  "hello-service-staging|hello-service|rolling|http://hello-service-staging-123456789.us-east-1.elb.amazonaws.com|hello-service|123456789012.dkr.ecr.us-east-1.amazonaws.com|" \
  "$(for k in cluster_name service_name deployment_strategy alb_url ecr_repository_name ecr_registry codedeploy_app_name; do sed -n "s/^$k=//p" <<<"$out"; done | paste -sd '|')"
expect_eq "deploy-settings.sh saves the document" "$(jq -cS . "$settings")" "$(jq -cS . "$tmp/settings.json")"
jq 'del(.task_family) | .cluster = .cluster_name | del(.cluster_name) | .cpu = "256"' "$settings" >"$tmp/drifted.json"
aws ssm put-parameter --name /drifted --type String --value "file://$tmp/drifted.json" >/dev/null
run_capture "$SCRIPTS/deploy-settings.sh" --parameter /drifted --out "$tmp/drifted-out.json"
if [ "$rc" -eq 1 ] && grep -qE "missing key cluster_name.*missing key task_family.*key cpu is string, expected number.*unexpected key cluster " <<<"$(tr '\n' ' ' <<<"$out")"; then
  pass "deploy-settings.sh names every key that drifted from the contract"
else
  fail "deploy-settings.sh names every key that drifted from the contract" "exit $rc, output:" "$out"
fi
jq '.deployment_strategy = "canary"' "$settings" >"$tmp/canary-no-names.json"
expect_fail "deploy-settings.sh: a CodeDeploy strategy needs the CodeDeploy names" 1 \
  "deployment_strategy canary needs codedeploy_app_name and codedeploy_deployment_group_name" \
  "$SCRIPTS/deploy-settings.sh" --file "$tmp/canary-no-names.json" --out "$tmp/x.json"
expect_fail "deploy-settings.sh: a missing parameter is named" 1 "cannot read SSM parameter '/nope/staging/deploy-settings'" \
  "$SCRIPTS/deploy-settings.sh" --parameter /nope/staging/deploy-settings --out "$tmp/x.json"
expect_fail "deploy-settings.sh: settings of another region are refused" 1 \
  "the deploy settings are for region us-east-1, but the AWS CLI uses eu-west-1" \
  env AWS_REGION=eu-west-1 "$SCRIPTS/deploy-settings.sh" --file "$settings" --out "$tmp/x.json"

echo "==> setting up what Terraform would have made: network, cluster, first revision, service"
vpc=$(aws ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId --output text)
subnet=$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.10.0/24 --query Subnet.SubnetId --output text)
sg=$(aws ec2 create-security-group --vpc-id "$vpc" --group-name tasks --description tasks --query GroupId --output text)
network="awsvpcConfiguration={subnets=[$subnet],securityGroups=[$sg],assignPublicIp=DISABLED}"
aws ecs create-cluster --cluster-name "$cluster" >/dev/null
"$SCRIPTS/render-task-definition.sh" --template "$TEMPLATE" --values "$values" \
  --set "image=123456789012.dkr.ecr.us-east-1.amazonaws.com/hello-service:1.4.1" >"$tmp/first-containers.json"
jq -n --slurpfile c "$tmp/first-containers.json" '{
  family: "hello-service-staging", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"],
  cpu: "256", memory: "512",
  executionRoleArn: "arn:aws:iam::123456789012:role/hello-service-staging-execution",
  taskRoleArn: "arn:aws:iam::123456789012:role/hello-service-staging-task",
  runtimePlatform: {cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX"},
  containerDefinitions: $c[0],
  tags: [{key: "Project", value: "hello-service"}, {key: "version", value: "1.4.1"}]}' >"$tmp/first.json"
first=$(aws ecs register-task-definition --cli-input-json "file://$tmp/first.json" --query taskDefinition.taskDefinitionArn --output text)
aws ecs create-service --cluster "$cluster" --service-name hello-service --task-definition "$first" \
  --desired-count 2 --launch-type FARGATE --network-configuration "$network" \
  --deployment-configuration 'deploymentCircuitBreaker={enable=true,rollback=true},maximumPercent=200,minimumHealthyPercent=100' >/dev/null

# The CLI really validates: a wrong type is refused before anything is sent.
jq '.containerDefinitions[0].portMappings[0].containerPort = "5000"' "$tmp/first.json" >"$tmp/bad.json"
expect_fail "the AWS CLI validates task definitions client-side (control)" 255 "Parameter validation failed" \
  aws ecs register-task-definition --cli-input-json "file://$tmp/bad.json"

# --- a rolling deploy: render from the template, register, update the service --------
expect_ok "deploy.sh --settings renders, registers and updates the service (rolling, --no-wait)" \
  "$SCRIPTS/deploy.sh" --settings "$tmp/settings.json" \
  --image "$image" --template "$TEMPLATE" --version 1.5.0 --git-sha 0123abc --no-wait
deploy_out=$out
new=$(sed -n 's/^task_definition=//p' <<<"$deploy_out")
expect_eq "deploy.sh reports the previous revision" "previous_task_definition=$first" "$(grep '^previous_task_definition=' <<<"$deploy_out")"
expect_eq "deploy.sh reports the previous version from its tag" "previous_version=1.4.1" "$(grep '^previous_version=' <<<"$deploy_out")"
expect_eq "the new revision is the next of the family" "arn:aws:ecs:us-east-1:123456789012:task-definition/hello-service-staging:2" "$new"
aws ecs describe-task-definition --task-definition "$new" --include TAGS --output json >"$tmp/new.json"
expect_eq "registered: the image by digest" "$image" "$(jq -r '.taskDefinition.containerDefinitions[0].image' "$tmp/new.json")"
expect_eq "registered: Terraform's settings carried over" "256|512|awsvpc|X86_64|arn:aws:iam::123456789012:role/hello-service-staging-task" \
  "$(jq -r '.taskDefinition | [.cpu, .memory, .networkMode, .runtimePlatform.cpuArchitecture, .taskRoleArn] | join("|")' "$tmp/new.json")"
expect_eq "registered: the template's settings (user, read-only root, stopTimeout, health check)" "65532:65532|true|40|CMD /hello-service healthcheck" \
  "$(jq -r '.taskDefinition.containerDefinitions[0] | [.user, .readonlyRootFilesystem, .stopTimeout, (.healthCheck.command | join(" "))] | join("|")' "$tmp/new.json")"
expect_eq "registered: tagged with version and git sha" "Project=hello-service,version=1.5.0,git-sha=0123abc" \
  "$(jq -r '[.tags[] | "\(.key)=\(.value)"] | join(",")' "$tmp/new.json")"
expect_eq "the service now points at the new revision" "$new" \
  "$(aws ecs describe-services --cluster "$cluster" --services hello-service --query 'services[0].taskDefinition' --output text)"

# (ECS fills in cpu 0, mountPoints [] and volumesFrom [] where a definition has none.)
expect_eq "registered: the container definitions are exactly the template rendered with the settings' values" \
  "$("$SCRIPTS/render-task-definition.sh" --template "$TEMPLATE" --values "$values" --set "image=$image" | jq -cS .)" \
  "$(jq -cS '.taskDefinition.containerDefinitions
    | map(if .cpu == 0 then del(.cpu) else . end | if .mountPoints == [] then del(.mountPoints) else . end
          | if .volumesFrom == [] then del(.volumesFrom) else . end)' "$tmp/new.json")"

# Terraform changed the task size and the image's architecture: the next deploy takes the
# settings' values, not those of the running revision.
jq '.cpu = 512 | .memory = 1024 | .cpu_architecture = "ARM64"' "$tmp/settings.json" >"$tmp/bigger.json"
expect_ok "deploy.sh takes Terraform's task size and architecture from the settings" \
  "$SCRIPTS/deploy.sh" --settings "$tmp/bigger.json" --image "$image" --template "$TEMPLATE" --version 1.5.1 --no-wait
bigger=$(sed -n 's/^task_definition=//p' <<<"$out")
expect_eq "registered: CPU, memory and architecture of the settings" "512|1024|ARM64" \
  "$(aws ecs describe-task-definition --task-definition "$bigger" --query 'taskDefinition.[cpu, memory, runtimePlatform.cpuArchitecture]' --output text | tr '\t' '|')"
aws ecs update-service --cluster "$cluster" --service hello-service --task-definition "$new" >/dev/null
expect_fail "an option that disagrees with the settings is refused" 2 \
  "--service 'other' disagrees with the deploy settings \(service_name = 'hello-service'\)" \
  "$SCRIPTS/deploy.sh" --settings "$tmp/settings.json" --service other --task-definition "$first"
jq '.container_port = 8080' "$tmp/settings.json" >"$tmp/port.json"
expect_fail "a rendered container without the settings' port is refused before registering" 1 \
  "has no container 'hello-service' listening on 8080" \
  "$SCRIPTS/deploy.sh" --settings "$tmp/port.json" --image "$image" --template "$TEMPLATE" --no-wait

# --- reading a real describe-services answer -----------------------------------------
# moto does not start a deployment on update-service, but a service created with a
# revision has a real, COMPLETED deployment of it (MOTO_ECS_SERVICE_RUNNING=2).
aws ecs create-service --cluster "$cluster" --service-name fresh --task-definition "$new" \
  --desired-count 2 --launch-type FARGATE --network-configuration "$network" >/dev/null
expect_ok "wait-deployment.sh reads a COMPLETED deployment as success" \
  "$SCRIPTS/wait-deployment.sh" --cluster "$cluster" --service fresh --task-definition "$new" --timeout-s 10 --poll-s 1
if grep -q "DEPLOYMENT SUCCEEDED: .*hello-service-staging:2 COMPLETED: 2/2 running" <<<"$out"; then pass "the success names the revision and its tasks"; else fail "the success names the revision and its tasks" "$out"; fi

# Three wanted, moto runs two: IN_PROGRESS for ever, so the deadline decides. A task
# of that deployment stopped with a reason, which the failure must print.
aws ecs create-service --cluster "$cluster" --service-name slow --task-definition "$new" \
  --desired-count 3 --launch-type FARGATE --network-configuration "$network" >/dev/null
slow_deployment=$(aws ecs describe-services --cluster "$cluster" --services slow --query 'services[0].deployments[0].id' --output text)
# (moto 5.2's run-task fails for awsvpc tasks and needs container-level memory, so the
# crashing task uses a bridge-mode revision of its own, started by that deployment.)
jq '.family = "crasher" | .networkMode = "bridge" | .requiresCompatibilities = ["EC2"] | .containerDefinitions[0].memory = 512 | del(.tags)' \
  "$tmp/first.json" >"$tmp/crasher.json"
crasher=$(aws ecs register-task-definition --cli-input-json "file://$tmp/crasher.json" --query taskDefinition.taskDefinitionArn --output text)
task=$(aws ecs run-task --cluster "$cluster" --task-definition "$crasher" --launch-type FARGATE \
  --started-by "$slow_deployment" --query 'tasks[0].taskArn' --output text)
aws ecs stop-task --cluster "$cluster" --task "$task" --reason "Essential container in task exited" >/dev/null
# 15 s: the deployment never completes (moto runs 2 of its 3 tasks), and the state must be
# read at least once before the time is up; on a loaded machine one CLI call (Python's
# start-up and moto's answer) has taken over 5 s, which left 3 s with no state read.
expect_fail "a deployment that does not complete in time is a failure" 1 \
  "DEPLOYMENT FAILED: did not complete within 15 s \(last state: deployment .* IN_PROGRESS: 2/3 running" \
  "$SCRIPTS/wait-deployment.sh" --cluster "$cluster" --service slow --deployment-id "$slow_deployment" --timeout-s 15 --poll-s 1
if grep -q "stopped task ${task##*/} (crasher:1): Essential container in task exited" <<<"$out"; then
  pass "the failure prints the deployment's stopped tasks and their reasons"
else
  fail "the failure prints the deployment's stopped tasks and their reasons" "$out"
fi

# --- refusals against the real API ------------------------------------------------------
# The CodeDeploy strategies verify on the test listener with the image's binary; nothing
# listens there in this test, and this stand-in fails every verification.
verifier=$tmp/verifier
printf '#!/bin/sh\necho "stand-in verifier: nothing to verify here" >&2\nexit 1\n' >"$verifier"
chmod +x "$verifier"
expect_fail "a strategy that does not match the service's deployment controller is refused" 1 \
  "strategy 'canary' needs the CODE_DEPLOY deployment controller, but the service uses ECS" \
  "$SCRIPTS/deploy.sh" --cluster "$cluster" --service hello-service --strategy canary \
  --codedeploy-app a --codedeploy-group g --test-url http://127.0.0.1:9 --verifier "$verifier" --task-definition "$first"
expect_fail "an unknown service is refused" 1 "service 'nope' not found" \
  "$SCRIPTS/deploy.sh" --cluster "$cluster" --service nope --strategy rolling --task-definition "$first"
jq 'del(.container_template_values.workers)' "$tmp/settings.json" >"$tmp/no-workers.json"
expect_fail "a template placeholder without a value stops the deploy before registering" 1 "no value for placeholder\(s\): workers" \
  "$SCRIPTS/deploy.sh" --settings "$tmp/no-workers.json" --image "$image" --template "$TEMPLATE"
expect_eq "nothing was registered by the refused deploys" "3" \
  "$(aws ecs list-task-definitions --family-prefix hello-service-staging --query 'length(taskDefinitionArns)' --output text)"

# --- rollback: back to the first revision ------------------------------------------------
expect_ok "rollback.sh --settings redeploys the previous revision and follows it to COMPLETED" \
  "$SCRIPTS/rollback.sh" --settings "$tmp/settings.json" --to "$first" --timeout-s 10 --poll-s 1
if grep -q "ROLLING BACK to $first (version 1.4.1)" <<<"$out" && grep -q "rolled_back_to=$first" <<<"$out"; then
  pass "rollback.sh names the revision and version it returns to"
else
  fail "rollback.sh names the revision and version it returns to" "$out"
fi
expect_eq "the service runs the first revision again" "$first" \
  "$(aws ecs describe-services --cluster "$cluster" --services hello-service --query 'services[0].taskDefinition' --output text)"

# --- CodeDeploy: the deployment request is accepted; moto keeps it "Created" -----------
aws ecs create-service --cluster "$cluster" --service-name bluegreen --task-definition "$first" \
  --desired-count 2 --launch-type FARGATE --network-configuration "$network" \
  --deployment-controller type=CODE_DEPLOY >/dev/null
# The names and settings Terraform gives them (infrastructure/terraform/modules/ecs):
# application <service>-<environment>, group <service>, blue/green with traffic control,
# a wait at Ready for the pipeline's verification (STOP_DEPLOYMENT), a test listener
# (no wait before the old tasks end here, so that short timeouts pass deploy.sh's checks).
aws deploy create-application --application-name hello-service-staging --compute-platform ECS >/dev/null
listener=arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/hello-service-staging/1
group_settings=(--service-role-arn arn:aws:iam::123456789012:role/codedeploy
  --deployment-config-name CodeDeployDefault.ECSAllAtOnce
  --deployment-style "deploymentType=BLUE_GREEN,deploymentOption=WITH_TRAFFIC_CONTROL"
  --blue-green-deployment-configuration "deploymentReadyOption={actionOnTimeout=STOP_DEPLOYMENT,waitTimeInMinutes=15},terminateBlueInstancesOnDeploymentSuccess={action=TERMINATE,terminationWaitTimeInMinutes=0}"
  --load-balancer-info "targetGroupPairInfoList=[{targetGroups=[{name=blue},{name=green}],prodTrafficRoute={listenerArns=[$listener/1]},testTrafficRoute={listenerArns=[$listener/2]}}]")
aws deploy create-deployment-group --application-name hello-service-staging --deployment-group-name bluegreen \
  "${group_settings[@]}" --ecs-services "clusterName=$cluster,serviceName=bluegreen" >/dev/null
aws deploy create-deployment-group --application-name hello-service-staging --deployment-group-name elsewhere \
  "${group_settings[@]}" --ecs-services "clusterName=$cluster,serviceName=hello-service" >/dev/null
jq '.deployment_strategy = "blue_green" | .service_name = "bluegreen"
    | .codedeploy_app_name = "hello-service-staging" | .codedeploy_deployment_group_name = "bluegreen"
    | .test_url = "http://127.0.0.1:9"' \
  "$tmp/settings.json" >"$tmp/bluegreen.json"
jq '.codedeploy_deployment_group_name = "elsewhere"' "$tmp/bluegreen.json" >"$tmp/elsewhere.json"
expect_fail "blue/green: a deployment group of another service is refused before anything is registered" 1 \
  "deployment group hello-service-staging/elsewhere deploys \[\"$cluster/hello-service\"\], not $cluster/bluegreen" \
  "$SCRIPTS/deploy.sh" --settings "$tmp/elsewhere.json" --verifier "$verifier" --task-definition "$new"
# moto keeps a deployment "Created": it never gets Ready, so deploy.sh must stop it (with
# automatic rollback) rather than verify anything or let traffic shift. (15 s: its state
# must be read at least once in time, and one CLI call has taken 5 s on a loaded machine.)
expect_fail "blue/green: registers, starts a CodeDeploy deployment, and stops it when it is not Ready in time" 1 \
  "STOPPING deployment .* with automatic rollback: not Ready within the time left \(Created\)" \
  "$SCRIPTS/deploy.sh" --settings "$tmp/bluegreen.json" \
  --image "$image" --template "$TEMPLATE" --version 1.5.0 --verifier "$verifier" --timeout-s 15 --verify-deadline-s 3 --rollback-timeout-s 3 --poll-s 1
cd_id=$(sed -n 's/^deployment_id=//p' <<<"$out")
if [ -n "$cd_id" ]; then
  aws deploy get-deployment --deployment-id "$cd_id" --output json >"$tmp/cd.json"
  appspec=$(jq -r '.deploymentInfo.revision.appSpecContent.content' "$tmp/cd.json")
  expect_eq "the AppSpec names the new revision, the container and its port" \
    "0.0|AWS::ECS::Service|arn:aws:ecs:us-east-1:123456789012:task-definition/hello-service-staging:4|hello-service|5000" \
    "$(jq -r '.Resources[0].TargetService as $t | [(.version | tostring | if . == "0" then "0.0" else . end), $t.Type, $t.Properties.TaskDefinition, $t.Properties.LoadBalancerInfo.ContainerName, $t.Properties.LoadBalancerInfo.ContainerPort] | join("|")' <<<"$appspec")"
  if grep -q '"version":0.0' <<<"$appspec"; then pass "the AppSpec version reads 0.0"; else fail "the AppSpec version reads 0.0" "$appspec"; fi
  # What UpdateService cannot change on a CODE_DEPLOY service reaches it in the AppSpec,
  # from the deploy settings Terraform writes.
  expect_eq "the AppSpec carries the settings' network configuration" \
    "$(jq -cS '.network_configuration | {AwsvpcConfiguration: {Subnets: .subnets, SecurityGroups: .security_groups, AssignPublicIp: (if .assign_public_ip then "ENABLED" else "DISABLED" end)}}' "$tmp/bluegreen.json")" \
    "$(jq -cS '.Resources[0].TargetService.Properties.NetworkConfiguration' <<<"$appspec")"
  expect_eq "the AppSpec carries the settings' capacity provider strategy" \
    "$(jq -cS '[.capacity_provider_strategy[] | {CapacityProvider: .capacity_provider, Weight: .weight, Base: .base}] | sort_by(.CapacityProvider)' "$tmp/bluegreen.json")" \
    "$(jq -cS '.Resources[0].TargetService.Properties.CapacityProviderStrategy | sort_by(.CapacityProvider)' <<<"$appspec")"
else
  fail "the CodeDeploy deployment id is reported" "$out"
fi

finish
