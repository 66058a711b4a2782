#!/usr/bin/env python3
"""The commands docs/SETUP.md shows, checked against the repository where they cannot
run here (no AWS account, no GitHub):

  - every `terraform output NAME` names an output of the root it runs in (after
    `cd infrastructure/bootstrap`, `-chdir=infrastructure/bootstrap`, or
    `cd infrastructure/terraform`); a map output (`*_arns`, `backend_config`) is read
    with `-json` and one key, every other one with `-raw`, so that what is printed can be
    pasted into GitHub as it is;
  - every file a command names exists: the environments' .tfvars and .s3.tfbackend,
    `container/engine` (executable), and the binary path is the one `make build`
    writes (SERVICE_BINARY in mk/10-service.mk);
  - `podman`/`docker` are never called directly (the project's engine wrapper sees the
    image store `make image` used);
  - the teardown initialises the backend of the environment it destroys first;
  - the first image's version is tagged `v<version>` in git.

    check-setup.py ROOT
Prints the verify command of step 4 (for test-setup-commands.sh to run) on stdout, one
problem per line on stderr; exit 1 on any problem.
"""
import os
import re
import sys

MAPS = re.compile(r"(_arns|^backend_config)$")


def outputs(root, module):
    with open(os.path.join(root, module, "outputs.tf"), encoding="utf-8") as f:
        return set(re.findall(r'^output "([a-z0-9_]+)"', f.read(), re.M))


def blocks(text):
    return re.findall(r"^```sh\n(.*?)^```", text, re.M | re.S)


def main(root):
    with open(os.path.join(root, "docs", "SETUP.md"), encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(root, "mk", "10-service.mk"), encoding="utf-8") as f:
        binary = re.search(r"^SERVICE_BINARY := (\S+)", f.read(), re.M).group(1)
    roots = {"bootstrap": outputs(root, "infrastructure/bootstrap"),
             "terraform": outputs(root, "infrastructure/terraform")}
    problems, verify, seen_outputs = [], None, 0
    # A section starts at the repository root; its blocks go on where the previous left.
    section_blocks = [(i, b) for i, section in enumerate(text.split("\n## ")) for b in blocks(section)]
    last_section = None
    for section, block in section_blocks:
        if section != last_section:
            cwd, last_section = "", section
        lines = re.sub(r"\\\n\s*", " ", block).splitlines()
        for line in lines:
            code = line.split(" #", 1)[0].strip()
            if not code:
                continue
            m = re.match(r"cd (\S+)", code)
            if m:
                cwd = os.path.normpath(os.path.join(cwd, m.group(1)))
            for m in re.finditer(r"terraform (-chdir=(\S+) )?output( -raw| -json)? ([a-z0-9_]+)", code):
                seen_outputs += 1
                where = m.group(2) or cwd
                module = "bootstrap" if "bootstrap" in where else "terraform" if where.endswith("terraform") else None
                name, mode = m.group(4), (m.group(3) or "").strip()
                if module is None:
                    problems.append(f"'{code}': run from {where or 'the repository root'}, not a Terraform root")
                    continue
                if name not in roots[module]:
                    problems.append(f"'{code}': infrastructure/{module} has no output {name}")
                if MAPS.search(name):
                    if mode != "-json" or "jq -r ." not in code:
                        problems.append(f"'{code}': {name} is a map: read it with -json and jq -r .<env>")
                elif mode != "-raw":
                    problems.append(f"'{code}': use -raw (without it the value is printed quoted)")
            for path in re.findall(r"environments/[a-z]+\.(?:tfvars|s3\.tfbackend)", code):
                if not os.path.isfile(os.path.join(root, "infrastructure", "terraform", path)):
                    problems.append(f"'{code}': infrastructure/terraform/{path} does not exist")
            if re.match(r"(podman|docker) ", code) or re.search(r"\| *(podman|docker) ", code):
                problems.append(f"'{code}': use container/engine, which sees the image store make image used")
            if "container/engine" in code and not os.access(os.path.join(root, "container", "engine"), os.X_OK):
                problems.append("container/engine is not an executable file")
            if "hello-service verify" in code:
                path = re.search(r"(\S*build/\S*hello-service) verify", code).group(1)
                if os.path.normpath(os.path.join(cwd, path)) != binary:
                    problems.append(f"'{code}': the binary is {os.path.normpath(os.path.join(cwd, path))}, "
                                    f"make build writes {binary}")
                verify = re.sub(r"^\S*hello-service verify", "verify", code)
    if seen_outputs == 0:
        problems.append("no terraform output command found in SETUP.md: the extraction is broken")
    if verify is None:
        problems.append("no hello-service verify command found in SETUP.md (step 4)")
    teardown = text.split("## Tearing an environment down", 1)[-1]
    destroy = teardown.find("terraform destroy -var-file=environments/staging.tfvars")
    init = teardown.find("terraform init -reconfigure -backend-config=environments/staging.s3.tfbackend")
    if destroy < 0 or init < 0 or init > destroy:
        problems.append("the teardown does not initialise staging's backend before destroying staging")
    image = re.search(r"make image VERSION=(\S+)", text)
    if not image or f"git tag v{image.group(1)}" not in text:
        problems.append("SETUP pushes a first image without tagging its version in git (git tag v<version>)")
    for problem in problems:
        print(problem, file=sys.stderr)
    if verify:
        print(verify)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check-setup.py ROOT")
    sys.exit(main(sys.argv[1]))
