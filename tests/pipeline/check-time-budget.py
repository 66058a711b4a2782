#!/usr/bin/env python3
"""Check that every deploy and rollback job of a deploy workflow fits its time limits.

A job that hits `timeout-minutes` is cancelled and a role session that expires fails
every later AWS call, so either would cut a deploy or its rollback short. For the deploy
and rollback jobs of the workflow given, this recomputes the longest run from the options
the job passes to scripts/deploy.sh, scripts/rollback.sh and scripts/verify-service.sh,
using the worst cases those scripts state in their own headers, and checks that it fits
both the job's `timeout-minutes` and the role session's hour.

Exit 0 when every job fits, 1 when one does not (one line per problem), 2 on bad input.
"""
import argparse
import re
import sys
from pathlib import Path

import yaml

ROLE_SESSION_MIN = 60  # configure-aws-credentials' default, IAM's default maximum
SETUP_MIN = 3  # checkout, credentials, settings, the image and the verifier, measured loosely
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


def options(text: str, script: str) -> dict[str, int]:
    """The numeric --options given to SCRIPT in a run: block (line continuations joined)."""
    joined = text.replace("\\\n", " ")
    for line in joined.splitlines():
        if script in line:
            return {k: int(v) for k, v in re.findall(r"(--[a-z-]+(?:-s))\s+(\d+)", line)}
    return {}


def deploy_bound(opts: dict[str, int], rolling_extra: float, codedeploy_extra: float) -> float:
    n = opts.get("--timeout-s", DEFAULTS["--timeout-s"]) / 60
    r = opts.get("--rollback-timeout-s", DEFAULTS["--rollback-timeout-s"]) / 60
    return max(n + rolling_extra, n + r + codedeploy_extra)


def check(workflow: Path, scripts: Path) -> list[str]:
    rolling_extra, codedeploy_extra, rollback_read = script_bounds(scripts)
    doc = yaml.safe_load(workflow.read_text())
    problems, seen = [], 0
    for name, job in (doc.get("jobs") or {}).items():
        runs = "\n".join(s.get("run", "") for s in job.get("steps", []))
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
        total = SETUP_MIN + aws_min + after_min
        limit = job.get("timeout-minutes")
        if not isinstance(limit, (int, float)):
            problems.append(f"job '{name}': no numeric timeout-minutes")
            continue
        if total > limit:
            problems.append(
                f"job '{name}': can run {total:.1f} min (set-up {SETUP_MIN}, scripts {aws_min:.1f}, "
                f"verification {after_min:.1f}) but timeout-minutes is {limit}: the job would be cancelled mid-deploy")
        if limit > ROLE_SESSION_MIN:
            problems.append(f"job '{name}': timeout-minutes {limit} outlasts the {ROLE_SESSION_MIN}-minute role session")
        if SETUP_MIN + aws_min > ROLE_SESSION_MIN:
            problems.append(f"job '{name}': its AWS calls can run {aws_min:.1f} min after set-up, past the role session")
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
