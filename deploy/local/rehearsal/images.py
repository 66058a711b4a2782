"""The images the replicas run: which tag a release has, this tree's default version,
and building from this tree (container/build-image.sh, the image `make image` builds).

A release is what a task definition revision pins: the image, the container port, and
how the service is checked (its health path, where it reports its version). Our own
image is a version plus an optional deliberate fault (FAULT=root-500 or ready-never,
for rehearsing a rollback); fault builds live in a repository of their own, so that
they can never take the tag of a good build: a later rollback to that version must
start the good image. Any other image (IMAGE=) is taken from Podman's store as it is:
the rehearsal never builds or pulls it."""
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .output import StackError

REPOSITORY = "localhost/hello-service"
FAULT_REPOSITORY = "localhost/hello-service-fault"
FAULTS = ("ready-never", "root-500")
# Image tags are at most 128 characters; a fault adds its name.
MAX_VERSION_LENGTH = 100
DEV_PREFIX = "0.0.0-dev"


# Our image's defaults: the Terraform's container_port, the service's paths.
DEFAULT_PORT = 5000
DEFAULT_HEALTH_PATH = "/health"
DEFAULT_READY_PATH = "/ready"
DEFAULT_VERSION_PATH = "/info"


@dataclass(frozen=True)
class Release:
    version: str
    fault: str = ""
    # Another image, by reference (IMAGE=); empty: ours, localhost/hello-service:VERSION.
    ref: str = ""
    port: int = DEFAULT_PORT
    health_path: str = DEFAULT_HEALTH_PATH
    # Where GET answers JSON with the version in `.version`; empty: the image reports
    # none, and only health and readiness are verified (README: "Any image").
    version_path: str = DEFAULT_VERSION_PATH

    @property
    def ours(self):
        return not self.ref

    @property
    def image(self):
        if self.ref:
            return self.ref
        tag = self.version.replace("+", "-")
        if self.fault:
            return f"{FAULT_REPOSITORY}:{tag}-{self.fault}"
        return f"{REPOSITORY}:{tag}"

    @property
    def reports_version(self):
        return bool(self.version_path)

    def labels(self):
        """The release as pod labels (list_replicas reads it back with from_labels)."""
        return {"version": self.version, "fault": self.fault, "image": self.ref, "port": str(self.port),
                "health": self.health_path, "version-path": self.version_path}

    @classmethod
    def from_labels(cls, get):
        port = get("port", "")
        return cls(version=get("version", "?"), fault=get("fault", ""), ref=get("image", ""),
                   port=int(port) if port.isdigit() else DEFAULT_PORT,
                   health_path=get("health", DEFAULT_HEALTH_PATH), version_path=get("version-path", DEFAULT_VERSION_PATH))

    def __str__(self):
        if self.ref:
            return self.ref if self.ref.endswith(f":{self.version}") else f"{self.ref} ({self.version})"
        return f"{self.version} (FAULT={self.fault})" if self.fault else self.version


def version_of_image(ref):
    """The version a foreign image is known by when VERSION= is not given: its tag
    (what follows the last ':' after the last '/'), else 'latest'; a digest's hex."""
    name, _, digest = ref.partition("@")
    if digest:
        return digest.split(":")[-1][:12]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def valid_version(text):
    return (bool(text) and len(text) <= MAX_VERSION_LENGTH and re.fullmatch(r"[A-Za-z0-9._+-]+", text) is not None
            and text[0].isalnum())


def default_version(root):
    """The version `make image` gives a build of this tree: tools/default-version, the
    binary's own rule (cmake/write_build_info.cmake), so the tag names what /info says."""
    tool = Path(__file__).resolve().parents[3] / "tools/default-version"
    result = subprocess.run([str(tool), str(root)], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 and result.stdout.strip() else DEV_PREFIX


def mutable(version):
    """A version that names no fixed code: a dirty tree's (its edits go on after the
    describe) or a development one. Its image is rebuilt every time, never trusted."""
    return version.endswith("-dirty") or "-dirty." in version or version.startswith(DEV_PREFIX)


def valid_image(ref):
    """An image reference as Podman takes it: [registry/]name[:tag][@digest]."""
    return (bool(ref) and len(ref) <= 255 and re.fullmatch(
        r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
        r"(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(?:@sha256:[0-9a-f]{64})?", ref) is not None)


def exists(release, podman):
    return podman("image", "exists", release.image, check=False).returncode == 0


def needs_build(release, podman):
    return release.ours and (mutable(release.version) or not exists(release, podman))


# Lines of the build that show its progress: build-image.sh's own, and Buildah's steps
# that take time (RUN and COPY; the others are metadata).
PROGRESS = re.compile(r"^(\[\d+/\d+\] )?STEP \d+/\d+: (RUN|COPY) |^==> ")


def build(root, release, log_path, out, env=None):
    """Builds the release's image from this tree. The whole output goes to log_path; its
    steps are shown as they start, and the last lines of the log if it fails."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    out.say(f"building {release.image} from this tree (VERSION={release.version}"
            f"{f', FAULT={release.fault}' if release.fault else ''}); log: {show(root, log_path)}")
    build_env = dict(env or os.environ, CONTAINER_ENGINE="podman", VERSION=release.version, TAG=release.image,
                     FAULT=release.fault, PLATFORM="")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([str(root / "container/build-image.sh")], env=build_env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
        last = ""
        try:
            for line in proc.stdout:
                log.write(line)
                log.flush()
                if PROGRESS.search(line):
                    last = line.strip()
                    out.say(f"  build: {last[:150]}")
        finally:
            # Ctrl-C reaches the build too (same process group); wait for it to end.
            rc = proc.wait()
    if rc != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-25:]
        raise StackError(f"building {release.image} failed (exit {rc}); the end of {show(root, log_path)}:\n"
                         + "\n".join(f"    {line}" for line in tail))


def ensure(root, release, log_dir, out, podman):
    """The release's image, built first when it is missing or its version is mutable.
    Another image (IMAGE=) must be in Podman's store already: it is never built here."""
    if not release.ours:
        if not exists(release, podman):
            raise StackError(f"image {release.ref} is not in Podman's store: build or load it first "
                             "(nothing is pulled here); see deploy/local/README.md, 'Any image'")
        return False
    if not needs_build(release, podman):
        return False
    name = re.sub(r"[^A-Za-z0-9._-]", "-", release.image.rsplit("/", 1)[-1])
    build(root, release, Path(log_dir) / f"build-{name}.log", out)
    return True


def show(root, path):
    """A path for messages: relative to the repository when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)
