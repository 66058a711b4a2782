#!/usr/bin/env python3
"""The arm64 path of the workflows against the build it relies on.

    check-arm64-seams.py ROOT

Checks, in the repository at ROOT, that the workflows build arm64 the way the project
does, cross-compiled and never emulated, and that each hand-over between jobs fits:

  deploy.yml  no QEMU set-up; every image build is for one platform; amd64 compiles in
              the Dockerfile (target `compiled`), arm64 is the `prebuilt` target, and
              both targets exist; the arm64 binary is placed where the prebuilt target's
              COPY takes it (build/image/linux-arm64/hello-service); one index is made
              from both builds' digests;
  both        an `arm64` job in debian:bookworm runs `make test-arm64` and uploads the
              binary that make target builds; the artifact another job downloads is the
              one uploaded;
  deploy.yml  `make test-arm64` gets the build identity the images get (VERSION,
              REVISION, CREATED: the build arguments `make image` passes, less SOURCE,
              which is only a label), each a setting `make build-arm64` accepts;
  ci.yml      the container job waits for the arm64 job and hands the downloaded binary
              to `make test-image ARM64_BINARY=`.

Prints one line per problem and exits 1 if there is any.
"""
import os
import re
import sys

import yaml


def load(root, name):
    with open(os.path.join(root, ".github", "workflows", name), encoding="utf-8") as f:
        return yaml.safe_load(f)


def steps_using(job, action):
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(action + "@")]


def runs(job):
    return "\n".join(str(s.get("run", "")) for s in job.get("steps", []))


def make_settings(text, target):
    """{NAME: value} of the first `make TARGET NAME=value...` in text, or None."""
    match = re.search(rf"\bmake {target}\b((?:[ \t]+[A-Z_0-9]+=\S+)*)", text)
    if not match:
        return None
    return dict(re.findall(r"([A-Z_0-9]+)=(\S+)", match.group(1)))


def check_arm64_job(name, doc, built_binary, problems):
    """The arm64 job of a workflow; returns the artifact name it uploads."""
    job = doc["jobs"].get("arm64")
    if job is None:
        problems.append(f"{name}: no arm64 job")
        return None
    container = job.get("container")
    image = container.get("image") if isinstance(container, dict) else container
    if image != "debian:bookworm":
        problems.append(f"{name}: the arm64 job runs in {image!r}, not debian:bookworm (Debian's cross toolchain)")
    if make_settings(runs(job), "test-arm64") is None:
        problems.append(f"{name}: the arm64 job does not run make test-arm64")
    uploads = steps_using(job, "actions/upload-artifact")
    if len(uploads) != 1:
        problems.append(f"{name}: the arm64 job uploads {len(uploads)} artifacts, expected 1")
        return None
    path = str(uploads[0]["with"].get("path", "")).strip()
    if path != built_binary:
        problems.append(f"{name}: the arm64 job uploads {path!r}, but make build-arm64 builds {built_binary!r}")
    return uploads[0]["with"].get("name")


def check_download(name, job_id, job, artifact, problems):
    downloads = steps_using(job, "actions/download-artifact")
    if not downloads:
        problems.append(f"{name}: job {job_id} downloads no artifact")
        return None
    step = downloads[0]
    if step["with"].get("name") != artifact:
        problems.append(f"{name}: job {job_id} downloads {step['with'].get('name')!r}, the arm64 job uploads {artifact!r}")
    needs = job.get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    if "arm64" not in needs:
        problems.append(f"{name}: job {job_id} does not wait for the arm64 job (needs: {needs})")
    return str(step["with"].get("path", ""))


def main(root):
    problems = []
    with open(os.path.join(root, "Dockerfile"), encoding="utf-8") as f:
        dockerfile = f.read()
    with open(os.path.join(root, "mk", "20-image.mk"), encoding="utf-8") as f:
        image_mk = f.read()
    with open(os.path.join(root, "container", "build-image.sh"), encoding="utf-8") as f:
        build_image = f.read()
    stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", dockerfile, re.M | re.I))
    copy = re.search(r"^FROM\s+\S+\s+AS\s+prebuilt\b[\s\S]*?^COPY\s+(\S+)\s+/hello-service", dockerfile, re.M | re.I)
    prebuilt_source = copy.group(1).replace("${TARGETARCH}", "arm64") if copy else None
    if prebuilt_source is None:
        problems.append("Dockerfile: no prebuilt stage copying a binary to /hello-service")
    # The binary `make test-arm64` builds and smoke-tests.
    built = re.search(r"container/arm64-smoke\.sh\s+(\S+)", image_mk)
    built_binary = built.group(1) if built else None
    if built_binary is None:
        problems.append("mk/20-image.mk: test-arm64 runs no container/arm64-smoke.sh BINARY")
    identity = dict(re.findall(r"\b([A-Z]+):(HELLO_[A-Z_]+)\b", image_mk))
    image_args = set(re.findall(r'--build-arg "([A-Z_]+)=', build_image)) - {"FAULT"}

    # ---- deploy.yml -------------------------------------------------------------------
    deploy = load(root, "deploy.yml")
    text = open(os.path.join(root, ".github", "workflows", "deploy.yml"), encoding="utf-8").read()
    if "docker/setup-qemu-action@" in text:
        problems.append("deploy.yml: sets up QEMU; no image step may run emulated")
    artifact = check_arm64_job("deploy.yml", deploy, built_binary, problems)
    given = make_settings(runs(deploy["jobs"].get("arm64", {})), "test-arm64") or {}
    wanted = image_args - {"SOURCE"}
    if set(given) != wanted:
        problems.append(f"deploy.yml: make test-arm64 gets {sorted(given)}, the images' identity is {sorted(wanted)}")
    unknown = set(given) - set(identity)
    if unknown:
        problems.append(f"deploy.yml: make build-arm64 has no setting {sorted(unknown)} (mk/20-image.mk: {sorted(identity)})")
    build = deploy["jobs"].get("build", {})
    check_download("deploy.yml", "build", build, artifact, problems)
    if prebuilt_source and prebuilt_source not in runs(build):
        problems.append(f"deploy.yml: the build job never places the arm64 binary at {prebuilt_source} (the prebuilt target's COPY)")
    pushes = steps_using(build, "docker/build-push-action")
    by_platform = {}
    for step in pushes:
        inputs = step.get("with", {})
        platforms = [p.strip() for p in str(inputs.get("platforms", "")).split(",") if p.strip()]
        target = inputs.get("target")
        if len(platforms) != 1:
            problems.append(f"deploy.yml: step {step.get('id')!r} builds {platforms}; one platform per build")
            continue
        by_platform[platforms[0]] = (step.get("id"), target)
        if target not in stages:
            problems.append(f"deploy.yml: step {step.get('id')!r} builds target {target!r}, not a stage of the Dockerfile")
        if "push-by-digest=true" not in str(inputs.get("outputs", "")):
            problems.append(f"deploy.yml: step {step.get('id')!r} does not push by digest")
    expected = {"linux/amd64": "compiled", "linux/arm64": "prebuilt"}
    for platform, target in expected.items():
        if platform not in by_platform:
            problems.append(f"deploy.yml: no image build for {platform}")
        elif by_platform[platform][1] != target:
            problems.append(f"deploy.yml: {platform} is built from target {by_platform[platform][1]!r}, expected {target!r}")
    manifest = [s for s in build.get("steps", []) if "scripts/publish-index.sh" in str(s.get("run", ""))]
    if len(manifest) != 1:
        problems.append("deploy.yml: the build job does not make one index with scripts/publish-index.sh")
    else:
        env = " ".join(str(v) for v in (manifest[0].get("env") or {}).values())
        for step_id, _ in by_platform.values():
            if f"steps.{step_id}.outputs.digest" not in env:
                problems.append(f"deploy.yml: the manifest is not made from the digest of step {step_id!r}")

    # ---- ci.yml -----------------------------------------------------------------------
    ci = load(root, "ci.yml")
    artifact = check_arm64_job("ci.yml", ci, built_binary, problems)
    container = ci["jobs"].get("container", {})
    downloaded = check_download("ci.yml", "container", container, artifact, problems)
    settings = make_settings(runs(container), "test-image")
    if settings is None:
        problems.append("ci.yml: the container job does not run make test-image")
    elif downloaded is not None and settings.get("ARM64_BINARY") != f"{downloaded.rstrip('/')}/hello-service":
        problems.append(f"ci.yml: make test-image gets ARM64_BINARY={settings.get('ARM64_BINARY')!r}, "
                        f"the binary is downloaded to {downloaded!r}")

    for problem in problems:
        print(problem)
    if not problems:
        print(f"arm64 cross-built in debian:bookworm ({built_binary}), tested, handed over and packaged "
              f"by the prebuilt target; builds: {by_platform}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check-arm64-seams.py ROOT")
    sys.exit(main(sys.argv[1]))
