"""Replicas: one Podman pod each (`podman play kube`), so that each can be started and
stopped on its own. The pod's container is built from the ECS container definition,
rendered from the template the Terraform uses, by the pipeline's own renderer
(scripts/render-task-definition.sh): the same image, user, read-only root file system,
dropped capabilities, port, command, environment and stop timeout as on ECS. Each pod
has its own network namespace and address, as awsvpc gives each task its own: the
service listens on its container port there, and the pod publishes that port on the
replica's slot port on 127.0.0.1, where HAProxy (the ALB) reaches it. So any image
runs as it would on ECS, whatever port it listens on, and two replicas of it never
collide."""
import json
import os
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
    """Renders the ECS container definition for one local replica: `port` is the
    container port (the Terraform's container_port)."""
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
        # The service module's defaults: a read-only root, our binary's liveness check
        # (an image without it is judged by HAProxy's READY_PATH check here), no extra
        # environment, command or secrets.
        "readonly_root_filesystem": True,
        "health_check_command": json.dumps(["CMD", "/hello-service", "healthcheck"]),
        "container_environment": "",
        "optional_members": "",
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


def pod_spec(stack_name, slot, host_port, release, definition, extra_env):
    """A Kubernetes Pod (JSON is YAML) that runs the container definition as ECS would,
    its container port published on host_port of 127.0.0.1."""
    user, _, group = definition.get("user", "65532:65532").partition(":")
    mappings = definition.get("portMappings") or []
    if not mappings or "containerPort" not in mappings[0]:
        raise ReplicaError("the container definition maps no port (portMappings[0].containerPort)")
    env = [{"name": e["name"], "value": str(e["value"])} for e in definition.get("environment", [])]
    names = {e["name"] for e in env}
    env += [{"name": k, "value": v} for k, v in extra_env.items() if k not in names]
    drop = definition.get("linuxParameters", {}).get("capabilities", {}).get("drop", [])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name(stack_name, slot),
            "labels": {f"{LABEL}/name": stack_name, f"{LABEL}/slot": slot,
                       **{f"{LABEL}/{k}": v for k, v in release.labels().items()}},
        },
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": int(definition.get("stopTimeout", 30)),
            "containers": [{
                "name": "service",
                "image": definition["image"],
                # ECS's entryPoint and command are Kubernetes' command and args; absent,
                # the image's own ENTRYPOINT and CMD run.
                **({"command": definition["entryPoint"]} if definition.get("entryPoint") else {}),
                **({"args": definition["command"]} if definition.get("command") else {}),
                "ports": [{"containerPort": int(mappings[0]["containerPort"]), "hostPort": int(host_port),
                           "hostIP": "127.0.0.1", "protocol": "TCP"}],
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


def start(state_dir, stack_name, slot, host_port, release, definition, extra_env):
    """Starts the slot's pod; returns once its container runs (when ECS would count the
    task started: the health-check grace period runs from here). A start that fails
    leaves no pod behind."""
    spec = pod_spec(stack_name, slot, host_port, release, definition, extra_env)
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
        release = Release.from_labels(lambda key, default: labels.get(f"{LABEL}/{key}", default))
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


def info(port, path="/info", timeout_s=1.0):
    """GET the version path (/info) straight from a replica (not through HAProxy): its
    JSON object, or None."""
    if not path:
        return None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout_s) as response:
            answer = json.loads(response.read())
            return answer if isinstance(answer, dict) else None
    except (OSError, ValueError):
        return None


def ready(port, path="/ready", timeout_s=1.0):
    """The status the ready path answers straight from a replica, or None."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout_s) as response:
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


def verify_curl(root, url, release, ready_path, deadline_s):
    """The check of an image without our binary (IMAGE=): scripts/verify-service.sh, curl
    only, as the deploy scripts run it for such a service. First N consecutive rounds of
    the health path answering 200 with the expected version at the version path (or,
    for an image that reports no version, the health path only); then the ready path
    (HAProxy's, the target group's) N times 200. (passed, what it said)."""
    script = str(Path(root) / "scripts/verify-service.sh")
    common = ["--url", url, "--consecutive", "5", "--interval-ms", "200", "--deadline-s", str(deadline_s)]
    if release.reports_version:
        first = [script, "verify", *common, "--health-path", release.health_path, "--version-path",
                 release.version_path, "--expect-version", release.version]
    else:
        first = [script, "verify", *common, "--health-path", release.health_path, "--version-path", ""]
    rounds = [first, [script, "verify", *common, "--health-path", ready_path, "--version-path", ""]]
    said = []
    for cmd in rounds:
        try:
            result = subprocess.run(cmd, capture_output=True, text=True, timeout=deadline_s + 30,
                                    env=dict(os.environ))
        except subprocess.TimeoutExpired:
            return False, f"{' '.join(cmd[2:])}: no answer within {deadline_s + 30} s"
        lines = (result.stdout.strip() or result.stderr.strip()).splitlines()
        said.append(lines[-1] if lines else f"(no output, exit {result.returncode})")
        if result.returncode != 0:
            return False, "; ".join(said)
    if not release.reports_version:
        said.append(f"the image reports no version (VERSION_PATH empty): {release.version} is its label, not "
                    "checked")
    return True, "; ".join(said)
