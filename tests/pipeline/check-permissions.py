#!/usr/bin/env python3
"""Does a deploy role's policy allow exactly what the pipeline calls?

    check-permissions.py --settings FILE --parameter NAME --account ID
                         --job JOB [--job JOB]... --policy FILE [--policy FILE]...
                         [--root DIR]

Reads every AWS call the pipeline makes as that role and checks the policies allow each
one on the resource it touches, with the request context it carries; then checks the
policies grant no action that no call needs. The calls come from the code itself: every
`aws SERVICE OPERATION` in the run: blocks of the job and in the scripts/ they run (and
the scripts those run), every registry request of those scripts (`api METHOD PATH`, the
registry's HTTP API, in scripts/publish-index.sh), and what its tools and actions do
with the registry (amazon-ecr-login, `docker create` of the image, buildx push, cosign).
The jobs, and the role each runs as:

  version   deploy.yml's version job (the settings, the repository's images to pick
            the next version): staging's deploy role;
  publish   deploy.yml's build job (buildx push by digest, publish-index.sh's index and
            tags, cosign sign, attest and verify, Trivy): staging's deploy role, which
            also carries the image publisher's policy;
  deploy    deploy-environment.yml's deploy job (the settings, the running revision, the
            image's digest, the trust check: cosign verify of signature and
            attestations, the verifier from the image, deploy.sh): each environment's
            deploy role;
  rollback  deploy-environment.yml's rollback job (the previous revision's image and
            version, its verifier, rollback.sh): each environment's deploy role.

So staging's role is checked with all four jobs, production's with deploy and rollback.
A call this script does not know is an error (add what it needs to REQUIREMENTS or
REGISTRY_REQUIREMENTS below), so a new call in a script cannot go unchecked. CodeDeploy calls are needed only when the
settings' strategy is not rolling. --settings is the environment's deploy settings
document (scripts/lib/settings.sh): the names the resources are built from.

The policy evaluation covers what these policies use: Allow and Deny statements with
Action (wildcards), Resource (wildcards) and the condition operators StringEquals,
StringLike, ArnEquals, ArnLike and Bool (with ...IfExists). NotAction, NotResource and
other operators are refused rather than guessed at.
"""
import argparse
import fnmatch
import json
import os
import re
import sys

import yaml

# A call -> what AWS authorizes for it: (action, resource template, request context).
# "*" as the resource means the action has no resource-level form. Templates use the
# names in NAMES below.
REQUIREMENTS = {
    ("ecs", "describe-services"): [("ecs:DescribeServices", "{service_arn}", {})],
    ("ecs", "update-service"): [("ecs:UpdateService", "{service_arn}", {})],
    ("ecs", "describe-task-definition"): [("ecs:DescribeTaskDefinition", "*", {})],
    ("ecs", "register-task-definition"): [
        ("ecs:RegisterTaskDefinition", "*", {}),
        # Tags on create (version, git-sha) are authorized as TagResource.
        ("ecs:TagResource", "{task_definition_arn}", {"ecs:CreateAction": "RegisterTaskDefinition"}),
        # The revision names both roles.
        ("iam:PassRole", "{execution_role_arn}", {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
        ("iam:PassRole", "{task_role_arn}", {"iam:PassedToService": "ecs-tasks.amazonaws.com"}),
    ],
    ("ecs", "list-tasks"): [("ecs:ListTasks", "*", {})],
    ("ecs", "describe-tasks"): [("ecs:DescribeTasks", "{task_arn}", {})],
    ("ssm", "get-parameter"): [("ssm:GetParameter", "{parameter_arn}", {})],
    ("ecr", "describe-images"): [("ecr:DescribeImages", "{repository_arn}", {})],
    ("deploy", "get-deployment-group"): [("codedeploy:GetDeploymentGroup", "{deployment_group_arn}", {})],
    # CodeDeploy permissions reference: CreateDeployment also needs GetDeploymentConfig for
    # the configuration and GetApplicationRevision or RegisterApplicationRevision for the
    # revision (an AppSpec given inline is registered); AWS's policy for a service that
    # creates deployments (CodePipeline's CodeDeploy action) grants GetApplication,
    # GetApplicationRevision and RegisterApplicationRevision together: all are required.
    # And a deployment of a group with a ready wait (deployment_ready_option
    # STOP_DEPLOYMENT) reaches production only through ContinueDeployment: a role that may
    # create one must be able to continue it.
    ("deploy", "create-deployment"): [
        ("codedeploy:CreateDeployment", "{deployment_group_arn}", {}),
        ("codedeploy:GetApplication", "{application_arn}", {}),
        ("codedeploy:GetApplicationRevision", "{application_arn}", {}),
        ("codedeploy:RegisterApplicationRevision", "{application_arn}", {}),
        ("codedeploy:GetDeploymentConfig", "{deployment_config_arn}", {}),
        ("codedeploy:ContinueDeployment", "{deployment_group_arn}", {}),
    ],
    ("deploy", "continue-deployment"): [("codedeploy:ContinueDeployment", "{deployment_group_arn}", {})],
    ("deploy", "get-deployment"): [("codedeploy:GetDeployment", "{deployment_group_arn}", {})],
    ("deploy", "stop-deployment"): [("codedeploy:StopDeployment", "{deployment_group_arn}", {})],
    ("deploy", "get-application"): [("codedeploy:GetApplication", "{application_arn}", {})],
    ("deploy", "get-application-revision"): [("codedeploy:GetApplicationRevision", "{application_arn}", {})],
}
# A call with this option needs more: the revision's tags are read with it.
OPTION_REQUIREMENTS = {
    ("ecs", "describe-task-definition", "--include TAGS"): [
        ("ecs:ListTagsForResource", "{task_definition_arn}", {}),
    ],
}
PULL = [("ecr:BatchGetImage", "{repository_arn}", {}), ("ecr:GetDownloadUrlForLayer", "{repository_arn}", {})]
PUSH = [(f"ecr:{a}", "{repository_arn}", {}) for a in (
    "BatchCheckLayerAvailability", "InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload", "PutImage",
    "BatchGetImage")]
LOGIN = [("ecr:GetAuthorizationToken", "*", {})]
# What the workflows' tools do with the registry, found by these patterns in a job.
TOOL_REQUIREMENTS = [
    (re.compile(r"uses:\s*aws-actions/amazon-ecr-login@"), "amazon-ecr-login", LOGIN),
    (re.compile(r"\bdocker\s+(create|pull|run)\b"), "docker pull of the image", PULL),
    (re.compile(r"uses:\s*docker/build-push-action@[\s\S]*?(\bpush:\s*true|\bpush=true)"), "buildx push", PUSH),
    (re.compile(r"\bdocker\s+buildx\s+imagetools\s+create\b"), "imagetools create (the multi-arch manifest)", PUSH + PULL),
    (re.compile(r"\bdocker\s+buildx\s+imagetools\s+inspect\b"), "imagetools inspect", PULL),
    (re.compile(r"\bcosign\s+(sign|attest)\b"), "cosign sign/attest", PUSH + PULL),
    # cosign verify and verify-attestation read the image's manifest, its referrers (the
    # OCI referrers API; ECR authorizes listing referrers as ecr:BatchGetImage) and the
    # signature and attestation layers.
    (re.compile(r"\bcosign\s+verify(-attestation)?\b"), "cosign verify", PULL),
    # scripts/verify-image.sh runs the cosign it is given ("$cosign" verify ...).
    (re.compile(r'"\$cosign"\s+"\$@"'), "cosign verify, verify-attestation (scripts/verify-image.sh)", PULL),
    (re.compile(r"uses:\s*aquasecurity/trivy-action@[\s\S]*?scan-type:\s*image"), "Trivy image scan", PULL),
]
# Requests to the registry's HTTP API (the OCI distribution specification) in the
# scripts, as `api METHOD "PATH..."` -> what ECR authorizes for each (the ECR user guide
# maps its Docker/OCI endpoints to these actions: a manifest read is BatchGetImage, a
# manifest write PutImage, a blob read GetDownloadUrlForLayer, a blob existence check
# BatchCheckLayerAvailability, an upload Initiate/UploadLayerPart/CompleteLayerUpload,
# a tag listing ListImages).
REGISTRY_CALL = re.compile(r"\bapi\s+(GET|HEAD|PUT|POST|PATCH|DELETE)\s+\"?(manifests|blobs/uploads|blobs|referrers|tags)/")
REGISTRY_REQUIREMENTS = {
    ("GET", "manifests"): [("ecr:BatchGetImage", "{repository_arn}", {})],
    ("HEAD", "manifests"): [("ecr:BatchGetImage", "{repository_arn}", {})],
    ("PUT", "manifests"): [("ecr:PutImage", "{repository_arn}", {})],
    ("GET", "blobs"): [("ecr:GetDownloadUrlForLayer", "{repository_arn}", {})],
    ("HEAD", "blobs"): [("ecr:BatchCheckLayerAvailability", "{repository_arn}", {})],
    ("POST", "blobs/uploads"): [("ecr:InitiateLayerUpload", "{repository_arn}", {})],
    ("PATCH", "blobs/uploads"): [("ecr:UploadLayerPart", "{repository_arn}", {})],
    ("PUT", "blobs/uploads"): [("ecr:CompleteLayerUpload", "{repository_arn}", {})],
    ("GET", "referrers"): [("ecr:BatchGetImage", "{repository_arn}", {})],
    ("GET", "tags"): [("ecr:ListImages", "{repository_arn}", {})],
}
JOBS = {
    "version": ("deploy.yml", "version"),
    "publish": ("deploy.yml", "build"),
    "deploy": ("deploy-environment.yml", "deploy"),
    "rollback": ("deploy-environment.yml", "rollback"),
}
CODEDEPLOY_CONFIGS = {
    "blue_green": "CodeDeployDefault.ECSAllAtOnce",
    "canary": "CodeDeployDefault.ECSCanary10Percent5Minutes",
    "linear": "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
}
SCRIPT_REFERENCE = re.compile(r"(?:scripts/|\$here/)([A-Za-z0-9_-]+\.sh)\b")
AWS_CALL = re.compile(r"(?<![\w./-])aws\s+((?:--[a-z-]+(?:\s+[^\s-]\S*)?\s+)*)([a-z0-9-]+)\s+([a-z0-9-]+)")


def names(settings, parameter, account, partition):
    region = settings["aws_region"]
    arn = f"arn:{partition}"
    repository = settings["ecr_repository_url"].split("/", 1)[1]
    app = settings.get("codedeploy_app_name") or "none"
    group = settings.get("codedeploy_deployment_group_name") or "none"
    return {
        "service_arn": f"{arn}:ecs:{region}:{account}:service/{settings['cluster_name']}/{settings['service_name']}",
        "task_definition_arn": f"{arn}:ecs:{region}:{account}:task-definition/{settings['task_family']}:7",
        "task_arn": f"{arn}:ecs:{region}:{account}:task/{settings['cluster_name']}/0123456789abcdef0123456789abcdef",
        "execution_role_arn": settings["execution_role_arn"],
        "task_role_arn": settings["task_role_arn"],
        "parameter_arn": f"{arn}:ssm:{region}:{account}:parameter{parameter}",
        "repository_arn": f"{arn}:ecr:{region}:{account}:repository/{repository}",
        "application_arn": f"{arn}:codedeploy:{region}:{account}:application:{app}",
        "deployment_group_arn": f"{arn}:codedeploy:{region}:{account}:deploymentgroup:{app}/{group}",
        "deployment_config_arn": f"{arn}:codedeploy:{region}:{account}:deploymentconfig:"
        + CODEDEPLOY_CONFIGS.get(settings["deployment_strategy"], "none"),
    }


def shell_text(text):
    """Shell text without comments, continuation lines joined."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    return re.sub(r"\\\n\s*", " ", "\n".join(lines))


def aws_calls(text, where):
    calls = []
    for line in shell_text(text).splitlines():
        for match in AWS_CALL.finditer(line):
            calls.append((match.group(2), match.group(3), line[match.start():], where))
    return calls


def registry_calls(text, where):
    calls = []
    for line in shell_text(text).splitlines():
        for match in REGISTRY_CALL.finditer(line):
            calls.append((match.group(1), match.group(2), where))
    return calls


def job_sources(root, job):
    """(label, shell text, step text) of what the job runs: its workflow steps and the
    scripts/ they call, followed through the scripts that call others."""
    workflows = os.path.join(root, ".github", "workflows")
    if job not in JOBS:
        raise SystemExit(f"unknown --job {job}")
    pieces = workflow_job(workflows, *JOBS[job])
    pending = [text for _, text, _ in pieces]
    done = set()
    while pending:
        for name in SCRIPT_REFERENCE.findall(pending.pop()):
            path = os.path.join(root, "scripts", name)
            if name in done or not os.path.isfile(path):
                continue
            done.add(name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            pieces.append((f"{job} job, scripts/{name}", text, ""))
            pending.append(text)
    return pieces


def workflow_job(directory, file_name, job_id):
    with open(os.path.join(directory, file_name), encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    job = doc["jobs"][job_id]
    pieces = []
    for index, step in enumerate(job.get("steps", []), 1):
        label = f"{file_name} {job_id}: {step.get('name') or step.get('uses') or index}"
        pieces.append((label, step.get("run", ""), yaml.safe_dump(step, sort_keys=False)))
    return pieces


def requirements(root, jobs, settings, values):
    """[(action, resource, context, why)] and the calls nobody knows."""
    needed, unknown = [], []
    codedeploy = settings["deployment_strategy"] != "rolling"
    for job in jobs:
        for label, shell, step in job_sources(root, job):
            for service, operation, text, where in aws_calls(shell, label):
                key = (service, operation)
                if key not in REQUIREMENTS:
                    unknown.append(f"{where}: aws {service} {operation}")
                    continue
                if service == "deploy" and not codedeploy:
                    continue
                items = list(REQUIREMENTS[key])
                for (s, o, option), extra in OPTION_REQUIREMENTS.items():
                    if (s, o) == key and option in text:
                        items += extra
                for action, resource, context in items:
                    needed.append((action, resource.format(**values), context, f"{where}: aws {service} {operation}"))
            for method, endpoint, where in registry_calls(shell, label):
                key = (method, endpoint)
                if key not in REGISTRY_REQUIREMENTS:
                    unknown.append(f"{where}: registry {method} {endpoint}/")
                    continue
                for action, resource, context in REGISTRY_REQUIREMENTS[key]:
                    needed.append((action, resource.format(**values), context,
                                   f"{where}: registry {method} {endpoint}/"))
            for pattern, what, items in TOOL_REQUIREMENTS:
                if pattern.search(step) or (shell and pattern.search(shell_text(shell))):
                    for action, resource, context in items:
                        needed.append((action, resource.format(**values), context, f"{label}: {what}"))
    return needed, unknown


def as_list(value):
    return value if isinstance(value, list) else [value]


def condition_holds(condition, context):
    for operator, tests in (condition or {}).items():
        base = operator[:-len("IfExists")] if operator.endswith("IfExists") else operator
        if base not in ("StringEquals", "StringLike", "ArnEquals", "ArnLike", "Bool"):
            raise ValueError(f"condition operator {operator} is not supported by this check")
        for key, wanted in tests.items():
            if key not in context:
                if operator.endswith("IfExists"):
                    continue
                return False
            actual = str(context[key])
            wanted = [str(w).lower() if base == "Bool" else str(w) for w in as_list(wanted)]
            if base == "Bool":
                actual = actual.lower()
            if base in ("StringLike", "ArnLike"):
                if not any(fnmatch.fnmatchcase(actual, w) for w in wanted):
                    return False
            elif actual not in wanted:
                return False
    return True


def statement_matches(statement, action, resource, context):
    for unsupported in ("NotAction", "NotResource", "NotPrincipal"):
        if unsupported in statement:
            raise ValueError(f"statement {statement.get('Sid', '?')}: {unsupported} is not supported by this check")
    if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in as_list(statement.get("Action", []))):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in as_list(statement.get("Resource", []))):
        return False
    return condition_holds(statement.get("Condition"), context)


def allowed(statements, action, resource, context):
    if any(s.get("Effect") == "Deny" and statement_matches(s, action, resource, context) for s in statements):
        return None
    for s in statements:
        if s.get("Effect") == "Allow" and statement_matches(s, action, resource, context):
            return s.get("Sid", "(no Sid)")
    return None


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", required=True)
    parser.add_argument("--parameter", required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--partition", default="aws")
    parser.add_argument("--job", action="append", required=True, choices=list(JOBS))
    parser.add_argument("--policy", action="append", required=True)
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    args = parser.parse_args(argv)

    with open(args.settings, encoding="utf-8") as f:
        settings = json.load(f)
    values = names(settings, args.parameter, args.account, args.partition)
    statements = []
    for path in args.policy:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        if isinstance(document, str):  # a policy as a JSON string (terraform show -json)
            document = json.loads(document)
        statements += as_list(document.get("Statement", []))

    needed, unknown = requirements(os.path.abspath(args.root), args.job, settings, values)
    problems = [f"FAIL unknown AWS call (add it to REQUIREMENTS or REGISTRY_REQUIREMENTS in "
                f"{os.path.basename(__file__)}): {u}" for u in unknown]
    # One line per permission, naming every call that needs it (a missing permission
    # breaks each of them).
    reasons = {}
    for action, resource, context, why in needed:
        key = (action, resource, json.dumps(context, sort_keys=True))
        reasons.setdefault(key, (action, resource, context, []))[3].append(why)
    used = set()
    for action, resource, context, whys in reasons.values():
        try:
            sid = allowed(statements, action, resource, context)
        except ValueError as error:
            problems.append(f"FAIL {error}")
            continue
        with_context = f" with {context}" if context else ""
        why = "; ".join(dict.fromkeys(whys))
        if sid:
            used.add((sid, action.lower()))
            print(f"  ok   {action} on {resource}{with_context} ({sid}) <- {why}")
        else:
            problems.append(f"FAIL {action} on {resource}{with_context} is not allowed <- {why}")
    needed_actions = {a.lower() for a, _, _, _ in needed}
    for s in statements:
        if s.get("Effect") != "Allow":
            continue
        for action in as_list(s.get("Action", [])):
            if not any(fnmatch.fnmatchcase(n, action.lower()) for n in needed_actions):
                problems.append(f"FAIL {s.get('Sid', '(no Sid)')} grants {action}, which no call of the "
                                f"{'/'.join(args.job)} job needs")
    for problem in problems:
        print(problem)
    print(f"{len(reasons)} permission(s) needed by the {' and '.join(args.job)} job(s) "
          f"({settings['deployment_strategy']}): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
