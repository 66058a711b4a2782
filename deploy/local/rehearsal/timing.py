"""The timing budget, read from infrastructure/terraform/timing.json (the file the
Terraform reads), optionally scaled by one uniform factor for fast test runs.

Every duration (a field ending in `_s`) is multiplied by the same factor; counts
(thresholds, retries) are not. A uniform factor keeps every rule between the values
true, so the rehearsal keeps the same shape, only faster."""
import json
import math
from pathlib import Path

# The rules of infrastructure/terraform/modules/timing (README.md there) that the local
# stack depends on. Terraform refuses a budget that breaks them; checking them here too
# gives the same clear message before anything starts.
RULES = [
    ("drain_delay_s >= alb_health_check_interval_s x alb_unhealthy_threshold + drain_margin_s",
     lambda t: t["drain_delay_s"] >= t["alb_health_check_interval_s"] * t["alb_unhealthy_threshold"] + t["drain_margin_s"]),
    ("shutdown_timeout_s > drain_delay_s", lambda t: t["shutdown_timeout_s"] > t["drain_delay_s"]),
    ("shutdown_timeout_s < stop_timeout_s", lambda t: t["shutdown_timeout_s"] < t["stop_timeout_s"]),
    ("idle_timeout_s > alb_idle_timeout_s", lambda t: t["idle_timeout_s"] > t["alb_idle_timeout_s"]),
    ("alb_deregistration_delay_s >= drain_delay_s", lambda t: t["alb_deregistration_delay_s"] >= t["drain_delay_s"]),
    ("health_check_grace_period_s >= alb_health_check_interval_s x alb_healthy_threshold",
     lambda t: t["health_check_grace_period_s"] >= t["alb_health_check_interval_s"] * t["alb_healthy_threshold"]),
    ("alb_health_check_timeout_s < alb_health_check_interval_s",
     lambda t: t["alb_health_check_timeout_s"] < t["alb_health_check_interval_s"]),
]

# The fields the local stack uses (the container health check fields are rendered into
# the container definition but not run: HAProxy is the health checker here, as the ALB
# is on AWS).
REQUIRED = [
    "alb_health_check_interval_s", "alb_health_check_timeout_s", "alb_healthy_threshold",
    "alb_unhealthy_threshold", "alb_deregistration_delay_s", "alb_idle_timeout_s",
    "drain_margin_s", "drain_delay_s", "shutdown_timeout_s", "stop_timeout_s", "idle_timeout_s",
    "health_check_grace_period_s", "container_health_check_interval_s",
    "container_health_check_timeout_s", "container_health_check_retries",
    "container_health_check_start_period_s",
]


class TimingError(Exception):
    pass


def load(path, scale):
    """Returns the budget as a dict, durations multiplied by `scale`."""
    if not (isinstance(scale, (int, float)) and 0.05 <= scale <= 1):
        raise TimingError(f"TIME_SCALE={scale}: allowed is a number from 0.05 to 1 (1: the real timings)")
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise TimingError(f"cannot read the timing budget {path}: {err}") from err
    missing = [name for name in REQUIRED if name not in raw]
    if missing:
        raise TimingError(f"{path} lacks {', '.join(missing)}")
    budget = {}
    for name, value in raw.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise TimingError(f"{path}: {name} = {value!r} is not a non-negative number")
        budget[name] = round(value * scale, 3) if name.endswith("_s") else value
    for rule, holds in RULES:
        if not holds(budget):
            raise TimingError(f"{path} breaks the rule {rule}")
    return budget


def ms(seconds):
    """HAProxy takes whole milliseconds."""
    return max(1, int(round(seconds * 1000)))


def whole_s(seconds):
    """A deadline in whole seconds for tools that take only those, rounded up."""
    return max(1, math.ceil(seconds))


def describe(budget, scale, ready_path="/ready"):
    b = budget
    return (
        f"timing from infrastructure/terraform/timing.json"
        f"{'' if scale == 1 else f', every duration x {scale} (TIME_SCALE)'}:\n"
        f"    health check GET {ready_path} every {b['alb_health_check_interval_s']:g} s, timeout "
        f"{b['alb_health_check_timeout_s']:g} s, in after {b['alb_healthy_threshold']} passes, out after "
        f"{b['alb_unhealthy_threshold']} failures; new replica must pass within "
        f"{b['health_check_grace_period_s']:g} s\n"
        f"    drain {b['drain_delay_s']:g} s, shutdown deadline {b['shutdown_timeout_s']:g} s, stop timeout "
        f"{b['stop_timeout_s']:g} s, deregistration delay {b['alb_deregistration_delay_s']:g} s\n"
        f"    idle timeout {b['alb_idle_timeout_s']:g} s at HAProxy, {b['idle_timeout_s']:g} s at the service"
    )
