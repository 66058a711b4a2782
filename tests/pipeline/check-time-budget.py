#!/usr/bin/env python3
"""Check that every deploy and rollback job of a deploy workflow fits its time limits.

A job that hits `timeout-minutes` is cancelled and a role session that expires fails
every later AWS call, so either would cut a deploy or its rollback short. For the deploy
and rollback jobs of the workflow given, this recomputes the longest run from the options
the job passes to scripts/verify-image.sh (the trust check, part of the deploy job's
set-up), scripts/deploy.sh, scripts/rollback.sh and scripts/verify-service.sh, using the
worst cases those scripts state in their own headers, and checks that it fits both the
job's `timeout-minutes` and the role session's hour.

Exit 0 when every job fits, 1 when one does not (one line per problem), 2 on bad input.
"""
import argparse
import re
import sys
from pathlib import Path

import yaml

ROLE_SESSION_MIN = 60  # configure-aws-credentials' default, IAM's default maximum
SETUP_MIN = 3  # checkouts, credentials, settings, the image and the verifier, measured loosely
DEFAULTS = {"--timeout-s": 1800, "--rollback-timeout-s": 600, "--verify-deadline-s": 300}


def script_bounds(scripts: Path) -> tuple[float, float, float]:
    """(rolling extra, CodeDeploy extra, rollback read) in minutes, from the headers."""
    deploy = (scripts / "deploy.sh").read_text()
    m = re.search(r"in all: N \+ (\d+) min for rolling, N \+ R \+ (\d+) min for CodeDeploy", deploy)
    if not m:
        raise ValueError("deploy.sh's header no longer states 'in all: N + a min for rolling, N + R + b min for CodeDeploy'")
    rollback = (scripts / "rollback.sh").read_text()
    r = re.search(r"Time, at most: (\d+) s to read the revision", rollback)
    if not r:
        raise ValueError("rollback.sh's header no longer states 'Time, at most: n s to read the revision'")
    return float(m.group(1)), float(m.group(2)), int(r.group(1)) / 60


def trust_bound(scripts: Path) -> tuple[int, int]:
    """(default --deadline-s, seconds beyond it) of scripts/verify-image.sh, from its header."""
    text = (scripts / "verify-image.sh").read_text()
    m = re.search(r"Time, at most: --deadline-s S \(default (\d+)\) for all the checks together.*?\+ (\d+) s\.",
                  text, re.DOTALL)
    if not m:
        raise ValueError("verify-image.sh's header no longer states 'Time, at most: --deadline-s S (default n) "
                         "for all the checks together ... + m s.'")
    return int(m.group(1)), int(m.group(2))


def options(text: str, script: str) -> dict[str, int]:
    """The numeric --options given to SCRIPT in a run: block (line continuations joined):
    those of the first line that runs it with some (a line that runs it to do something
    else, `verify-service.sh --write-verifier`, gives none)."""
    joined = text.replace("\\\n", " ")
    for line in joined.splitlines():
        if script in line:
            found = {k: int(v) for k, v in re.findall(r"(--[a-z-]+(?:-s))\s+(\d+)", line)}
            if found:
                return found
    return {}


def step_deadline(steps: list, script: str) -> int | None:
    """The --deadline-s of the step that runs SCRIPT, wherever in that step it is given (the
    trust step builds its arguments in an array first); None when no step runs it."""
    for step in steps:
        run = step.get("run", "")
        if script in run:
            found = re.findall(r"--deadline-s\s+(\d+)", run.replace("\\\n", " "))
            return max(int(v) for v in found) if found else -1
    return None


def deploy_bound(opts: dict[str, int], rolling_extra: float, codedeploy_extra: float) -> float:
    n = opts.get("--timeout-s", DEFAULTS["--timeout-s"]) / 60
    r = opts.get("--rollback-timeout-s", DEFAULTS["--rollback-timeout-s"]) / 60
    return max(n + rolling_extra, n + r + codedeploy_extra)


def check(workflow: Path, scripts: Path) -> list[str]:
    rolling_extra, codedeploy_extra, rollback_read = script_bounds(scripts)
    trust_default, trust_extra = trust_bound(scripts)
    doc = yaml.safe_load(workflow.read_text())
    problems, seen = [], 0
    for name, job in (doc.get("jobs") or {}).items():
        steps = job.get("steps", [])
        runs = "\n".join(s.get("run", "") for s in steps)
        if "scripts/deploy.sh" in runs:
            opts = options(runs, "scripts/deploy.sh")
            aws_min = deploy_bound(opts, rolling_extra, codedeploy_extra)
        elif "scripts/rollback.sh" in runs:
            opts = options(runs, "scripts/rollback.sh")
            aws_min = rollback_read + deploy_bound(opts, rolling_extra, codedeploy_extra)
            # rollback.sh verifies the service itself after the deployment
            aws_min += (opts.get("--verify-deadline-s", DEFAULTS["--verify-deadline-s"]) + 10) / 60
        else:
            continue
        seen += 1
        verify = options(runs, "scripts/verify-service.sh")
        after_min = (verify["--deadline-s"] + 10) / 60 if "--deadline-s" in verify else 0
        # The trust check (cosign verify of the signature and attestations) runs before the
        # deploy, after the role is assumed: its bound is set-up time, inside the session.
        trust_s = step_deadline(steps, "scripts/verify-image.sh")
        trust_min = 0.0
        if trust_s is not None:
            trust_min = ((trust_default if trust_s < 0 else trust_s) + trust_extra) / 60
        setup_min = SETUP_MIN + trust_min
        setup_text = f"set-up {setup_min:.1f}" + (f" (trust check {trust_min:.1f})" if trust_min else "")
        total = setup_min + aws_min + after_min
        limit = job.get("timeout-minutes")
        if not isinstance(limit, (int, float)):
            problems.append(f"job '{name}': no numeric timeout-minutes")
            continue
        if total > limit:
            problems.append(
                f"job '{name}': can run {total:.1f} min ({setup_text}, scripts {aws_min:.1f}, "
                f"verification {after_min:.1f}) but timeout-minutes is {limit}: the job would be cancelled mid-deploy")
        if limit > ROLE_SESSION_MIN:
            problems.append(f"job '{name}': timeout-minutes {limit} outlasts the {ROLE_SESSION_MIN}-minute role session")
        if setup_min + aws_min > ROLE_SESSION_MIN:
            problems.append(f"job '{name}': its AWS calls can run {aws_min:.1f} min after set-up ({setup_text}), "
                            "past the role session")
        print(f"job '{name}': at most {total:.1f} min ({setup_text}, scripts {aws_min:.1f}, "
              f"verification {after_min:.1f}) of timeout-minutes {limit}")
    if seen == 0:
        problems.append(f"{workflow}: no job runs scripts/deploy.sh or scripts/rollback.sh")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workflow", type=Path, help="the deploy workflow (deploy-environment.yml)")
    parser.add_argument("--scripts", type=Path, default=Path(__file__).resolve().parents[2] / "scripts",
                        help="the folder of deploy.sh and rollback.sh (default: the repository's)")
    args = parser.parse_args()
    try:
        problems = check(args.workflow, args.scripts)
    except (OSError, ValueError, yaml.YAMLError) as e:
        print(f"check-time-budget: {e}", file=sys.stderr)
        return 2
    for p in problems:
        print(f"{args.workflow.name}: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
