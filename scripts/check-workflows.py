#!/usr/bin/env python3
"""Policy checks on GitHub Actions workflows, and shellcheck on every run: block.

Fails (exit 1), naming file, job and step, on:
  - a `uses:` not pinned to a full 40-character commit SHA with a `# vX.Y.Z` comment
    (local ./ actions and workflows excepted), reusable workflows of other repositories
    (OWNER/REPO/.github/workflows/FILE@SHA) included;
  - with --runtimes: a pinned action missing from that table, or pinned to another commit
    or version than its row, or whose runtime is not node24 or composite (nested actions
    included), or given an input its action.yml does not declare;
  - any mention of AWS access keys;
  - a `${{ }}` expression inside a run: block (expressions reach scripts through env:);
  - a workflow without `defaults: run: shell: bash` (GitHub's default shell, `bash -e
    {0}`, has no pipefail), and any run: step with a pipe whose shell has no pipefail and
    whose script does not set it before the pipe;
  - a job without timeout-minutes; top-level permissions other than `contents: read`;
    id-token: write on a job that does not assume an AWS role (or that is not a
    reusable-workflow call whose callee does: a local callee is read, another
    repository's is taken to, as it is checked in its own repository); actions/checkout without
    persist-credentials: false;
  - a container job that checks out the repository without marking it a git
    safe.directory afterwards (the container runs as root over the runner user's files).
With --shellcheck-dir, each run: block is written there as a bash script, with the
options of the shell GitHub runs it with, for shellcheck to read.
"""
import argparse
import os
import re
import sys

import yaml

PIN = re.compile(r"^([A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+)@([0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"#\s*(v\d+\.\d+\.\d+)\b")
AWS_KEYS = re.compile(r"aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|secrets\.AWS_", re.I)
EXPR = re.compile(r"\$\{\{.*?\}\}", re.S)
AWS_ROLE_ACTION = "aws-actions/configure-aws-credentials@"
GOOD_RUNTIMES = {"node24", "composite"}

# What GitHub runs a run: block with, by the job's or workflow's `shell:` (GitHub's
# documentation, "jobs.<job_id>.steps[*].shell"). None: no shell set anywhere.
SHELL_COMMANDS = {
    None: "bash -e {0}",
    "bash": "bash --noprofile --norc -eo pipefail {0}",
    "sh": "sh -e {0}",
}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="check-workflows.py",
        description="Policy checks on GitHub Actions workflows (see the module docstring for the list).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("workflows", nargs="+", metavar="WORKFLOW.yml", help="workflow files to check")
    parser.add_argument("--shellcheck-dir", metavar="DIR",
                        help="write each run: block there as a script for shellcheck")
    parser.add_argument("--runtimes", metavar="FILE",
                        help="the table of pinned actions and their runtimes (.github/action-runtimes.yml)")
    return parser.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    runtimes = None
    if args.runtimes:
        try:
            with open(args.runtimes, encoding="utf-8") as f:
                runtimes = yaml.safe_load(f) or {}
        except (OSError, yaml.YAMLError) as exc:
            print(f"error: cannot read the runtime table {args.runtimes}: {exc}", file=sys.stderr)
            return 2
    errors = []
    if runtimes is not None:
        errors += check_runtime_table(os.path.basename(args.runtimes), runtimes)
    for path in args.workflows:
        try:
            errors += check_file(path, args.shellcheck_dir, runtimes)
        except OSError as exc:
            errors.append(f"{path}: cannot read: {exc}")
    for error in errors:
        print(error, file=sys.stderr)
    print(f"checked {len(args.workflows)} workflow file(s): {len(errors)} problem(s)")
    return 1 if errors else 0


def check_runtime_table(name, table):
    errors = []
    for action, row in table.items():
        if not isinstance(row, dict):
            errors.append(f"{name}: {action}: not a mapping")
            continue
        runtime = row.get("runtime")
        if runtime not in GOOD_RUNTIMES:
            errors.append(f"{name}: {action} runs on {runtime!r}; GitHub's runners need node24 (or a composite action)")
        for nested, nested_runtime in (row.get("nested") or {}).items():
            if nested_runtime not in GOOD_RUNTIMES:
                errors.append(f"{name}: {action} uses {nested}, which runs on {nested_runtime!r}, not node24")
        if runtime == "composite" and "nested" not in row:
            errors.append(f"{name}: {action} is composite: list its nested actions (nested: {{}} when none)")
    return errors


def check_file(path, shellcheck_dir, runtimes):
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
        pin = PIN.match(ref)
        comment = VERSION_COMMENT.search(rest)
        if not pin:
            errors.append(f"{name}:{number}: '{ref}' is not pinned to a full 40-character commit SHA")
        elif not comment:
            errors.append(f"{name}:{number}: '{ref}' has no '# vX.Y.Z' version comment")
        elif runtimes is not None and not is_remote_workflow(ref):
            errors += check_pin(f"{name}:{number}", pin.group(1), pin.group(2), comment.group(1), runtimes)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return errors + [f"{name}: not valid YAML: {exc}"]
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
        return errors + [f"{name}: no jobs"]
    if doc.get("permissions") != {"contents": "read"}:
        errors.append(f"{name}: top-level permissions must be exactly 'contents: read' (found {doc.get('permissions')!r})")
    workflow_shell = shell_of(doc)
    if workflow_shell != "bash":
        errors.append(f"{name}: no 'defaults: run: shell: bash' (GitHub's default shell, bash -e {{0}}, has no pipefail)")
    for job_id, job in doc["jobs"].items():
        errors += check_job(name, job_id, job, os.path.dirname(path), shellcheck_dir, workflow_shell, runtimes)
    return errors


def is_remote_workflow(ref):
    """Whether a `uses:` names a reusable workflow of another repository (which has no
    runtime: its own jobs run their actions)."""
    return "/.github/workflows/" in ref and not ref.startswith("./")


def check_pin(where, action, commit, version, runtimes):
    row = runtimes.get(action)
    if row is None:
        return [f"{where}: {action} is not in the runtime table: read its action.yml at {commit} and add its row"]
    errors = []
    if row.get("commit") != commit:
        errors.append(f"{where}: {action} is pinned to {commit}, the runtime table has {row.get('commit')}")
    if row.get("version") != version:
        errors.append(f"{where}: {action} says {version}, the runtime table has {row.get('version')}")
    return errors


def shell_of(node):
    """The `defaults: run: shell:` of a workflow or job, or None."""
    defaults = node.get("defaults") if isinstance(node, dict) else None
    run = defaults.get("run") if isinstance(defaults, dict) else None
    return run.get("shell") if isinstance(run, dict) else None


def has_pipe(script):
    """Whether a shell script pipes one command into another (`|`, not `||`), outside
    single quotes, comments and here-documents."""
    lines = script.splitlines()
    heredoc_end = None
    for line in lines:
        if heredoc_end is not None:
            if line.strip() == heredoc_end:
                heredoc_end = None
            continue
        code = strip_quotes_and_comment(line)
        heredoc = re.search(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)", line)
        if heredoc:
            heredoc_end = heredoc.group(1)
        if re.search(r"(?<![|>])\|(?!\|)", code.replace("||", "  ")):
            return True
    return False


def strip_quotes_and_comment(line):
    """The line without its single-quoted strings (jq and awk programs) and its comment.
    Double-quoted text stays: a pipe inside "$(a | b)" is a pipe."""
    out, quote, i = [], None, 0
    while i < len(line):
        c = line[i]
        if quote == "'":
            if c == "'":
                quote = None
        elif c == "'":
            quote = c
        elif c == "\\":
            i += 1
        elif c == "#" and (i == 0 or line[i - 1] in " \t;"):
            break
        else:
            out.append(c)
        i += 1
    return "".join(out)


def sets_pipefail_first(script):
    """Whether the script itself turns pipefail on before its first pipe."""
    for line in script.splitlines():
        code = strip_quotes_and_comment(line)
        if re.search(r"\bset\b[^;|&]*\bpipefail\b", code):
            return True
        if has_pipe(line):
            return False
    return False


def effective_shell(step, job_shell, workflow_shell):
    return step.get("shell") or job_shell or workflow_shell


def check_job(name, job_id, job, directory, shellcheck_dir, workflow_shell, runtimes):
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
    elif calls and is_remote_workflow(str(calls)):
        # Another repository's workflow cannot be read from here; its own lint checks it.
        assumes_role = wants_token
    if wants_token and not assumes_role:
        errors.append(f"{where}: id-token: write without assuming an AWS role")
    if assumes_role and not wants_token:
        errors.append(f"{where}: assumes an AWS role but does not ask for id-token: write")
    job_shell = shell_of(job)
    checked_out = False
    for index, step in enumerate(steps, 1):
        label = step.get("name") or step.get("uses") or f"step {index}"
        uses = str(step.get("uses", ""))
        if uses.startswith("actions/checkout@"):
            if (step.get("with") or {}).get("persist-credentials") is not False:
                errors.append(f"{where}: '{label}': actions/checkout without persist-credentials: false")
            checked_out = True
        if uses and runtimes is not None:
            pin = PIN.match(uses)
            row = runtimes.get(pin.group(1)) if pin else None
            if row is not None:
                declared = set(row.get("inputs") or [])
                for key in step.get("with") or {}:
                    if key not in declared:
                        errors.append(f"{where}: '{label}': {pin.group(1)} {row.get('version')} has no input '{key}'")
        run = step.get("run")
        if run is None:
            continue
        if job.get("container") and checked_out and "safe.directory" in run:
            checked_out = False
        if EXPR.search(run):
            errors.append(f"{where}: '{label}': a ${{{{ }}}} expression inside run:; pass it through env:")
        shell = effective_shell(step, job_shell, workflow_shell)
        command = SHELL_COMMANDS.get(shell, shell)
        if has_pipe(run) and "pipefail" not in command and not sets_pipefail_first(run):
            errors.append(f"{where}: '{label}': pipes under '{command}', which has no pipefail: a failure "
                          f"before the last command of a pipe would pass (use shell: bash)")
        if shellcheck_dir:
            # Expressions (already an error) become a harmless word so shellcheck still runs.
            script = EXPR.sub("GITHUB_EXPRESSION", run)
            options = "set -eo pipefail" if "pipefail" in command else "set -e"
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{name}--{job_id}--{index:02d}")
            with open(os.path.join(shellcheck_dir, safe + ".sh"), "w", encoding="utf-8") as f:
                f.write(f"#!/usr/bin/env bash\n# shellcheck shell=bash\n{options}\n" + script)
    if job.get("container") and checked_out:
        errors.append(f"{where}: runs in a container and checks out the repository, but never marks it "
                      f"a git safe.directory (git config --global --add safe.directory \"$GITHUB_WORKSPACE\")")
    return errors


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
