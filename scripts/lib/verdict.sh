# The deployment state machines: one AWS answer in, one verdict out. Pure functions of
# their input (no AWS calls), so recorded answers can drive them in tests.
# shellcheck shell=bash
#
# Each prints one line "STATE<TAB>MESSAGE", STATE being progress, success or failure.

# ecs_verdict DESCRIBE_SERVICES_JSON DEPLOYMENT_ID
# A deployment has succeeded only when ECS says its rollout COMPLETED, it is still the
# PRIMARY deployment and all its tasks run. "Services stable" is not enough: after a
# circuit-breaker rollback the service is stable again, on the old task definition.
ecs_verdict() {
  jq -r --arg id "$2" '
    def rev: (. // "?") | split("/") | last;
    def counts: "\(.runningCount // 0)/\(.desiredCount // 0) running, \(.pendingCount // 0) pending, \(.failedTasks // 0) failed to start";
    def result(state; msg): "\(state)\t\(msg)";
    if ((.failures // []) | length) > 0 then
      result("failure"; "describe-services failed: \(.failures | map("\(.arn // "?"): \(.reason // "?")") | join("; "))")
    elif ((.services // []) | length) == 0 then
      result("failure"; "the service was not found")
    else
      .services[0] as $svc
      | ([$svc.deployments[]? | select(.status == "PRIMARY")] | first) as $primary
      | ([$svc.deployments[]? | select(.id == $id)] | first) as $d
      | ([$svc.events[]? | .message | select(contains($id) or test("roll(ed|ing)? ?back"; "i"))] | .[0:3] | join(" | ")) as $events
      | if $d == null then
          result("failure"; "deployment \($id) is gone: the service now runs \($primary.taskDefinition | rev) (deployment \($primary.id // "?"), \($primary.rolloutState // "no rollout state")), so it was rolled back or replaced" + (if $events != "" then ". Events: \($events)" else "" end))
        elif $d.rolloutState == "FAILED" then
          result("failure"; "deployment \($id) of \($d.taskDefinition | rev) FAILED: \($d.rolloutStateReason // "no reason given")"
            + (if $primary != null and $primary.id != $id then "; ECS rolled back to \($primary.taskDefinition | rev) (deployment \($primary.id))" else "" end)
            + (if $events != "" then ". Events: \($events)" else "" end))
        elif $d.status != "PRIMARY" then
          result("failure"; "deployment \($id) of \($d.taskDefinition | rev) is no longer PRIMARY (status \($d.status)): \($primary.taskDefinition | rev) replaced it (deployment \($primary.id // "?"), a rollback or a newer deployment)"
            + (if $events != "" then ". Events: \($events)" else "" end))
        elif $d.rolloutState == "COMPLETED" then
          if ($d.runningCount // 0) >= ($d.desiredCount // 0) and ($d.desiredCount // 0) > 0 then
            result("success"; "deployment \($id) of \($d.taskDefinition | rev) COMPLETED: \($d | counts)")
          else
            result("progress"; "deployment \($id) reports COMPLETED but \($d | counts)")
          end
        elif $d.rolloutState == "IN_PROGRESS" then
          result("progress"; "deployment \($id) of \($d.taskDefinition | rev) IN_PROGRESS: \($d | counts)"
            + (if ($svc.deployments | length) > 1 then ", \(($svc.deployments | length) - 1) older deployment(s) draining" else "" end))
        elif $d.rolloutState == null then
          if ($svc.deployments | length) == 1 and ($d.runningCount // 0) >= ($d.desiredCount // 0) and ($d.desiredCount // 0) > 0 then
            result("success"; "deployment \($id) of \($d.taskDefinition | rev) is the only one and all tasks run (\($d | counts)); the service reports no rollout state (no circuit breaker?)")
          else
            result("progress"; "deployment \($id): \($d | counts), no rollout state reported")
          end
        else
          result("failure"; "deployment \($id) has an unknown rollout state \($d.rolloutState)")
        end
    end
  ' <<<"$1"
}

# codedeploy_verdict GET_DEPLOYMENT_JSON
# CodeDeploy's own status is final: Succeeded after the traffic shift and the wait
# before the old tasks are stopped; Failed or Stopped after its automatic rollback.
# Ready is its own state ("ready"): the replacement tasks run, the test listener routes
# to them, and the deployment waits for ContinueDeployment before shifting production
# traffic.
codedeploy_verdict() {
  jq -r '
    def result(state; msg): "\(state)\t\(msg)";
    .deploymentInfo as $d
    | if $d == null then result("failure"; "not a get-deployment answer")
      else
        ($d.deploymentOverview // {}) as $o
        | "\($d.deploymentId) (\($d.deploymentConfigName // "?"))" as $name
        | ([$d.rollbackInfo.rollbackMessage, (if $d.rollbackInfo.rollbackDeploymentId then "rollback deployment \($d.rollbackInfo.rollbackDeploymentId)" else null end)] | map(select(. != null and . != "")) | join("; ")) as $rb
        | ($d.errorInformation // {}) as $err
        | if $d.status == "Succeeded" then
            result("success"; "CodeDeploy deployment \($name) Succeeded")
          elif $d.status == "Failed" or $d.status == "Stopped" then
            result("failure"; "CodeDeploy deployment \($name) \($d.status): \($err.code // "no error code"): \($err.message // "no message")"
              + (if $rb != "" then " (\($rb))" else "" end))
          elif $d.status == "Ready" then
            result("ready"; "CodeDeploy deployment \($name) is Ready: the replacement tasks run; production traffic waits for ContinueDeployment")
          elif ($d.status | IN("Created", "Queued", "InProgress", "Baking")) then
            result("progress"; "CodeDeploy deployment \($name) \($d.status)"
              + (if ($d.deploymentStatusMessages // []) | length > 0 then ": \($d.deploymentStatusMessages | join("; "))" else "" end))
          else
            result("failure"; "CodeDeploy deployment \($name) has an unknown status \($d.status)")
          end
      end
  ' <<<"$1"
}
