"""Replicas: one Podman pod each (`podman play kube`), so that each can be started and
stopped on its own. The pod's container is built from the ECS container definition,
rendered from the template the Terraform uses, by the pipeline's own renderer
(scripts/render-task-definition.sh): the same image, user, read-only root file system,
dropped capabilities, environment and stop timeout as on ECS. Host networking, as
awsvpc gives each task its own address; here each replica gets its own port on
127.0.0.1 instead."""
import json
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .images import Release
from .output import StackError

LABEL = "hello-stack"


class ReplicaError(StackError):
    pass


def podman(*args, check=True, timeout=120):
    try:
        result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as err:
        raise ReplicaError(f"podman {' '.join(args)} did not finish within {timeout} s") from err
    if check and result.returncode != 0:
        raise ReplicaError(f"podman {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def container_definition(root, image, port, budget, app_env="local", log_level="info"):
    """Renders the ECS container definition for one local replica."""
    template = root / "infrastructure/terraform/modules/ecs/templates/container-definitions.json.tftpl"
    known = {
        "app_env": app_env,
        "aws_region": "local",
        "container_name": "service",
        "container_port": port,
        "drain_delay_s": budget["drain_delay_s"],
        "emf_interval_s": 60,
        "health_check_interval_s": budget["container_health_check_interval_s"],
        "health_check_retries": budget["container_health_check_retries"],
        "health_check_start_period_s": budget["container_health_check_start_period_s"],
        "health_check_timeout_s": budget["container_health_check_timeout_s"],
        "idle_timeout_s": budget["idle_timeout_s"],
        "image": image,
        "log_group": "local",
        "log_level": log_level,
        "shutdown_timeout_s": budget["shutdown_timeout_s"],
        "stop_timeout_s": budget["stop_timeout_s"],
        # The seed's task size, 0.25 vCPU, runs one worker thread.
        "workers": 1,
    }
    # Only the placeholders the template has: a new one without a value here fails in
    # the renderer with its name; one the template dropped is simply not passed.
    names = set(re.findall(r"(?<![$])\$\{\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\}", template.read_text()))
    values = {k: v for k, v in known.items() if k in names}
    with tempfile.NamedTemporaryFile("w", suffix=".json") as values_file:
        json.dump(values, values_file)
        values_file.flush()
        result = subprocess.run([str(root / "scripts/render-task-definition.sh"), "--template", str(template),
                                 "--values", values_file.name], capture_output=True, text=True)
    if result.returncode != 0:
        raise ReplicaError(f"rendering {template.relative_to(root)} failed: {result.stderr.strip()}")
    definitions = json.loads(result.stdout)
    if len(definitions) != 1:
        raise ReplicaError(f"expected one container definition, the template has {len(definitions)}")
    return definitions[0]


def pod_spec(stack_name, slot, release, definition, extra_env):
    """A Kubernetes Pod (JSON is YAML) that runs the container definition as ECS would."""
    user, _, group = definition.get("user", "65532:65532").partition(":")
    env = [{"name": e["name"], "value": str(e["value"])} for e in definition.get("environment", [])]
    names = {e["name"] for e in env}
    env += [{"name": k, "value": v} for k, v in extra_env.items() if k not in names]
    drop = definition.get("linuxParameters", {}).get("capabilities", {}).get("drop", [])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name(stack_name, slot),
            "labels": {f"{LABEL}/name": stack_name, f"{LABEL}/slot": slot, f"{LABEL}/version": release.version,
                       f"{LABEL}/fault": release.fault},
        },
        "spec": {
            "hostNetwork": True,
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": int(definition.get("stopTimeout", 30)),
            "containers": [{
                "name": "service",
                "image": definition["image"],
                "args": ["serve"],
                "env": env,
                "securityContext": {
                    "runAsUser": int(user),
                    "runAsGroup": int(group or user),
                    "readOnlyRootFilesystem": bool(definition.get("readonlyRootFilesystem", False)),
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": drop},
                },
            }],
        },
    }


@dataclass
class Replica:
    slot: str
    release: Release
    pod: str
    state: str  # the service container's state: running, exited, ...
    started: float = 0.0  # time.monotonic() once running (for the ones this command started)

    @property
    def version(self):
        return self.release.version

    @property
    def container(self):
        # podman play kube names a pod's container <pod>-<container>.
        return f"{self.pod}-service"


def pod_name(stack_name, slot):
    return f"{stack_name}-{slot}"


def start(state_dir, stack_name, slot, release, definition, extra_env):
    """Starts the slot's pod; returns once its container runs (when ECS would count the
    task started: the health-check grace period runs from here). A start that fails
    leaves no pod behind."""
    spec = pod_spec(stack_name, slot, release, definition, extra_env)
    name = spec["metadata"]["name"]
    path = Path(state_dir) / "pods" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(spec, indent=2) + "\n")
    # A pod left over from an interrupted run would make play kube fail.
    podman("pod", "rm", "-f", "-t", "0", name, check=False)
    try:
        podman("play", "kube", str(path))
    except BaseException:
        podman("pod", "rm", "-f", "-t", "0", name, check=False)
        raise
    return Replica(slot=slot, release=release, pod=name, state="running", started=time.monotonic())


def list_replicas(stack_name):
    out = podman("ps", "-a", "--filter", f"label={LABEL}/name={stack_name}", "--format", "json").stdout
    replicas = []
    for c in json.loads(out or "[]"):
        labels = c.get("Labels") or {}
        if f"{LABEL}/slot" not in labels:
            continue  # the pod's infra container
        slot = labels[f"{LABEL}/slot"]
        release = Release(labels.get(f"{LABEL}/version", "?"), labels.get(f"{LABEL}/fault", ""))
        replicas.append(Replica(slot=slot, release=release, pod=pod_name(stack_name, slot), state=c.get("State", "")))
    return sorted(replicas, key=lambda r: int(r.slot.lstrip("s")))


def signal(replica, sig):
    podman("kill", "--signal", sig, replica.container)


def exit_code(replica):
    """The service container's exit code once it has exited, else None."""
    status, _, code = podman("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}",
                             replica.container).stdout.strip().partition(" ")
    return int(code or 0) if status in ("exited", "stopped") else None


def remove(*reps):
    """Removes pods, all at once (podman takes a second or two for each)."""
    procs = [subprocess.Popen(["podman", "pod", "rm", "-f", "-t", "0", r.pod], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for r in reps]
    for proc in procs:
        proc.wait(timeout=120)


def info(port, timeout_s=1.0):
    """GET /info straight from a replica (not through HAProxy)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/info", timeout=timeout_s) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


def ready(port, timeout_s=1.0):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=timeout_s) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


def now():
    """The clock of Replica.started."""
    return time.monotonic()


def verify(url, release, deadline_s):
    """The pipeline's verifier (`hello-service verify`), run from the release's own image
    on the host network: (passed, its last line)."""
    cmd = ["run", "--rm", "--network", "host", "--read-only", "--cap-drop", "ALL", release.image, "verify",
           "--url", url, "--expect-version", release.version, "--consecutive", "5", "--interval-ms", "200",
           "--deadline-s", str(deadline_s)]
    result = podman(*cmd, check=False, timeout=deadline_s + 60)
    lines = (result.stdout.strip() or result.stderr.strip()).splitlines()
    return result.returncode == 0, lines[-1] if lines else f"(no output, exit {result.returncode})"
