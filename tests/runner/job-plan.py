#!/usr/bin/env python3
"""The steps of one workflow job, as GitHub's runner would execute them, for
tests/runner/test-runner-conditions.sh to replay in a container.

    job-plan.py WORKFLOW JOB OUTDIR [--matrix NAME=VALUE]... [--skip-run REGEX=REASON]...
                [--drop-run REGEX]

Writes OUTDIR/plan.tsv, one line per step: INDEX, KIND (checkout | run | skip), the
shell command line GitHub would use (its documented templates: `bash -e {0}` where no
shell is set, `bash --noprofile --norc -eo pipefail {0}` for `shell: bash`,
`sh -e {0}` for `shell: sh`), the working directory, and the step's name; and, for a
run step, OUTDIR/step-INDEX.sh (its script) and OUTDIR/step-INDEX.env (its env:, one
NAME=VALUE per line, workflow-level env first, then the job's, then the step's).
OUTDIR/image holds the job's `container:` image, OUTDIR/timeout-minutes its
timeout-minutes (GitHub's default, 360, when it has none).

Expressions are evaluated only where the runner would give a known value here:
`${{ matrix.NAME }}` (from --matrix), `${{ github.workspace }}`, `${{ runner.temp }}`;
any other expression stops the plan (exit 2) rather than guess. `uses:` steps other than
actions/checkout stop it too, unless --skip-run names them. --skip-run REGEX=REASON
replays a step whose run: (or uses:) matches REGEX as a skip with that reason;
--drop-run REGEX leaves out the steps whose run: matches (a mutation: the job without
them).
"""
import argparse
import os
import re
import sys

import yaml

WORKSPACE = "/__w/hello-service/hello-service"
RUNNER_TEMP = "/__w/_temp"
SHELLS = {
    None: "bash -e {0}",
    "bash": "bash --noprofile --norc -eo pipefail {0}",
    "sh": "sh -e {0}",
}
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


class PlanError(Exception):
    pass


def evaluate(text, matrix, where):
    def value(match):
        expr = match.group(1)
        if expr.startswith("matrix."):
            key = expr[len("matrix."):]
            if key not in matrix:
                raise PlanError(f"{where}: ${{{{ {expr} }}}} needs --matrix {key}=VALUE")
            return matrix[key]
        if expr == "github.workspace":
            return WORKSPACE
        if expr == "runner.temp":
            return RUNNER_TEMP
        raise PlanError(f"{where}: cannot evaluate ${{{{ {expr} }}}} here")
    return EXPR.sub(value, str(text))


def shell_default(node):
    defaults = node.get("defaults") if isinstance(node, dict) else None
    run = defaults.get("run") if isinstance(defaults, dict) else None
    return run if isinstance(run, dict) else {}


def parse_pairs(values, flag):
    pairs = []
    for item in values:
        if "=" not in item:
            raise PlanError(f"{flag} takes NAME=VALUE, got {item!r}")
        pairs.append(tuple(item.split("=", 1)))
    return pairs


def plan(args):
    with open(args.workflow, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    job = (doc.get("jobs") or {}).get(args.job)
    if job is None:
        raise PlanError(f"{args.workflow}: no job {args.job!r}")
    matrix = dict(parse_pairs(args.matrix, "--matrix"))
    skips = [(re.compile(r), reason) for r, reason in parse_pairs(args.skip_run, "--skip-run")]
    drops = [re.compile(r) for r in args.drop_run]
    container = job.get("container")
    image = container.get("image") if isinstance(container, dict) else container
    if not image:
        raise PlanError(f"job {args.job!r} has no container: image (only container jobs are replayed)")
    os.makedirs(args.outdir, exist_ok=True)
    with open(os.path.join(args.outdir, "image"), "w", encoding="utf-8") as f:
        f.write(str(image) + "\n")
    with open(os.path.join(args.outdir, "timeout-minutes"), "w", encoding="utf-8") as f:
        f.write(str(job.get("timeout-minutes", 360)) + "\n")
    env = {}
    for level, node in (("workflow", doc), ("job", job)):
        for key, val in (node.get("env") or {}).items():
            env[key] = evaluate(val, matrix, f"{level} env {key}")
    workflow_run, job_run = shell_default(doc), shell_default(job)
    rows = []
    for index, step in enumerate(job.get("steps") or [], 1):
        name = str(step.get("name") or step.get("uses") or f"step {index}")
        uses, run = step.get("uses"), step.get("run")
        text = str(run if run is not None else uses)
        if run is not None and any(d.search(str(run)) for d in drops):
            continue
        skip = next((reason for r, reason in skips if r.search(text)), None)
        if skip is not None:
            rows.append((f"{index:02d}", "skip", "-", "-", f"{evaluate(name, matrix, name)} ({skip})"))
            continue
        if uses is not None:
            if str(uses).startswith("actions/checkout@"):
                rows.append((f"{index:02d}", "checkout", "-", WORKSPACE, name))
                continue
            raise PlanError(f"step {index} ({name}) uses {uses}: give --skip-run for it")
        shell = step.get("shell") or job_run.get("shell") or workflow_run.get("shell")
        if shell not in SHELLS:
            raise PlanError(f"step {index} ({name}): shell {shell!r} is not one this replay knows")
        directory = step.get("working-directory") or job_run.get("working-directory") \
            or workflow_run.get("working-directory") or ""
        directory = os.path.normpath(os.path.join(WORKSPACE, evaluate(directory, matrix, name)))
        step_env = dict(env)
        for key, val in (step.get("env") or {}).items():
            step_env[key] = evaluate(val, matrix, f"step {index} env {key}")
        script = evaluate(run, matrix, f"step {index} run")
        with open(os.path.join(args.outdir, f"step-{index:02d}.sh"), "w", encoding="utf-8") as f:
            f.write(script if script.endswith("\n") else script + "\n")
        with open(os.path.join(args.outdir, f"step-{index:02d}.env"), "w", encoding="utf-8") as f:
            for key, val in step_env.items():
                if "\n" in val:
                    raise PlanError(f"step {index}: env {key} spans lines; this replay passes one line")
                f.write(f"{key}={val}\n")
        rows.append((f"{index:02d}", "run", SHELLS[shell], directory, evaluate(name, matrix, name)))
    with open(os.path.join(args.outdir, "plan.tsv"), "w", encoding="utf-8") as f:
        for row in rows:
            f.write("\t".join(str(c).replace("\t", " ") for c in row) + "\n")


def main(argv):
    parser = argparse.ArgumentParser(prog="job-plan.py", description=__doc__.split("\n\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workflow")
    parser.add_argument("job")
    parser.add_argument("outdir")
    parser.add_argument("--matrix", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--skip-run", action="append", default=[], metavar="REGEX=REASON")
    parser.add_argument("--drop-run", action="append", default=[], metavar="REGEX")
    args = parser.parse_args(argv)
    try:
        plan(args)
    except (PlanError, OSError, yaml.YAMLError) as exc:
        print(f"job-plan.py: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
