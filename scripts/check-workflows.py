#!/usr/bin/env python3
"""Policy checks on GitHub Actions workflows, and shellcheck on every run: block.

    check-workflows.py [--shellcheck-dir DIR] WORKFLOW.yml...

Fails (exit 1) on: a `uses:` not pinned to a full 40-character commit SHA with a
`# vX.Y.Z` comment (local ./ actions excepted); any mention of AWS access keys; a
`${{ }}` expression inside a run: block (expressions reach scripts through env:); a job
without timeout-minutes; top-level permissions other than `contents: read`; id-token:
write on a job that does not assume an AWS role (or that is not a reusable-workflow call
whose callee does); actions/checkout without persist-credentials: false.
With --shellcheck-dir, each run: block is written there as a bash script (the way GitHub
runs it: bash -e -o pipefail) for shellcheck to read.
"""
import os
import re
import sys

import yaml

PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+\.\d+\.\d+\b")
AWS_KEYS = re.compile(r"aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|secrets\.AWS_", re.I)
EXPR = re.compile(r"\$\{\{.*?\}\}", re.S)
AWS_ROLE_ACTION = "aws-actions/configure-aws-credentials@"


def main(argv):
    shellcheck_dir = None
    if len(argv) >= 2 and argv[0] == "--shellcheck-dir":
        shellcheck_dir, argv = argv[1], argv[2:]
    if not argv:
        print("usage: check-workflows.py [--shellcheck-dir DIR] WORKFLOW.yml...", file=sys.stderr)
        return 2
    errors = []
    for path in argv:
        errors += check_file(path, shellcheck_dir)
    for error in errors:
        print(error, file=sys.stderr)
    print(f"checked {len(argv)} workflow file(s): {len(errors)} problem(s)")
    return 1 if errors else 0


def check_file(path, shellcheck_dir):
    errors = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    name = os.path.basename(path)
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if AWS_KEYS.search(line):
            errors.append(f"{name}:{number}: mentions AWS access keys; use OIDC (role-to-assume) instead")
        match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if not match:
            continue
        ref, rest = match.group(1).strip("'\""), match.group(2)
        if ref.startswith("./"):
            continue
        if ref.startswith("docker://"):
            if "@sha256:" not in ref:
                errors.append(f"{name}:{number}: docker action '{ref}' not pinned by digest")
            continue
        if not PIN.match(ref):
            errors.append(f"{name}:{number}: '{ref}' is not pinned to a full 40-character commit SHA")
        elif not VERSION_COMMENT.search(rest):
            errors.append(f"{name}:{number}: '{ref}' has no '# vX.Y.Z' version comment")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return errors + [f"{name}: not valid YAML: {exc}"]
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
        return errors + [f"{name}: no jobs"]
    if doc.get("permissions") != {"contents": "read"}:
        errors.append(f"{name}: top-level permissions must be exactly 'contents: read' (found {doc.get('permissions')!r})")
    for job_id, job in doc["jobs"].items():
        errors += check_job(name, job_id, job, os.path.dirname(path), shellcheck_dir)
    return errors


def check_job(name, job_id, job, directory, shellcheck_dir):
    errors = []
    where = f"{name}: job '{job_id}'"
    steps = job.get("steps") or []
    calls = job.get("uses")
    if calls is None and "timeout-minutes" not in job:
        errors.append(f"{where}: no timeout-minutes")
    permissions = job.get("permissions") or {}
    wants_token = isinstance(permissions, dict) and permissions.get("id-token") == "write"
    assumes_role = any(str(s.get("uses", "")).startswith(AWS_ROLE_ACTION) for s in steps)
    if calls and str(calls).startswith("./"):
        callee = os.path.join(directory, os.path.basename(str(calls)))
        if os.path.exists(callee):
            with open(callee, encoding="utf-8") as f:
                assumes_role = AWS_ROLE_ACTION in f.read()
    if wants_token and not assumes_role:
        errors.append(f"{where}: id-token: write without assuming an AWS role")
    if assumes_role and not wants_token:
        errors.append(f"{where}: assumes an AWS role but does not ask for id-token: write")
    for index, step in enumerate(steps, 1):
        label = step.get("name") or step.get("uses") or f"step {index}"
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/checkout@"):
            if (step.get("with") or {}).get("persist-credentials") is not False:
                errors.append(f"{where}: '{label}': actions/checkout without persist-credentials: false")
        run = step.get("run")
        if run is None:
            continue
        if EXPR.search(run):
            errors.append(f"{where}: '{label}': a ${{{{ }}}} expression inside run:; pass it through env:")
        if shellcheck_dir:
            # Expressions (already an error) become a harmless word so shellcheck still runs.
            script = EXPR.sub("GITHUB_EXPRESSION", run)
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{name}--{job_id}--{index:02d}")
            with open(os.path.join(shellcheck_dir, safe + ".sh"), "w", encoding="utf-8") as f:
                f.write("#!/usr/bin/env bash\n# shellcheck shell=bash\nset -eo pipefail\n" + script)
    return errors


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
