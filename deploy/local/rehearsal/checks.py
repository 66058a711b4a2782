"""The checks of the front door: each option's value, before anything is installed or
changed. A bad value is a UsageError (exit 2) that names the option as the user gave it."""
import re

from . import images
from .deploy import STRATEGIES
from .output import UsageError

# The pipeline spells it blue_green (CodeDeploy's BLUE_GREEN); both are accepted.
STRATEGY_ALIASES = {"blue_green": "blue-green"}
MAX_REPLICAS = 8
# STACK_FAULT: deliberately unsafe settings, for experiments (README).
STACK_FAULTS = ("no-drain",)


def check_version(words, text, required=False):
    if text is None:
        if required:
            raise UsageError(f"{words.flag('version')} is required: the version to deploy")
        return None
    if not images.valid_version(text):
        raise UsageError(f"{words.given('version', repr(text))} is not a version: use up to "
                         f"{images.MAX_VERSION_LENGTH} letters, digits and . _ + -, starting with a letter or digit")
    return text


def check_int(words, name, text, low, high, what):
    try:
        value = int(text)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise UsageError(f"{words.given(name, repr(text))}: {what} must be a whole number from {low} to {high}")
    return value


def check_time_scale(words, text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = -1
    if not 0.05 <= value <= 1:
        raise UsageError(f"{words.given('time_scale', repr(text))}: allowed is a number from 0.05 to 1 "
                         "(1: the real timings)")
    return value


def check_port(words, text):
    if text == "auto" or (text.isdigit() and 1024 <= int(text) <= 65000):
        return text
    raise UsageError(f"{words.given('port', repr(text))}: use a port from 1024 to 65000 (its neighbours are used "
                     "too), or auto")


def check_strategy(words, text):
    if text is None:
        raise UsageError(f"{words.flag('strategy')} is required: {', '.join(STRATEGIES)}")
    strategy = STRATEGY_ALIASES.get(text, text)
    if strategy not in STRATEGIES:
        raise UsageError(f"{words.given('strategy', repr(text))}: allowed are {', '.join(STRATEGIES)} "
                         "(blue_green is blue-green)")
    return strategy


def check_fault(words, text):
    if text in (None, ""):
        return ""
    if text not in images.FAULTS:
        raise UsageError(f"{words.given('fault', repr(text))}: allowed are {', '.join(images.FAULTS)}")
    return text


def check_bake(words, text):
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 3600:
        raise UsageError(f"{words.given('bake_s', repr(text))}: allowed is a number of seconds from 0 to 3600")
    return value


def check_path(words, name, text, default, empty_ok=False):
    """An HTTP path: '/' and then printable characters without spaces, quotes or '#'."""
    if text is None:
        return default
    if text == "" and empty_ok:
        return ""
    if not (text.startswith("/") and len(text) <= 200 and re.fullmatch(r"/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*", text)):
        raise UsageError(f"{words.given(name, repr(text))}: a path starts with / (like /health) and has no spaces"
                         + (" (empty: the image reports no version)" if empty_ok else ""))
    return text


def check_service(words, args, fault):
    """The service a release runs: IMAGE (another image; default ours, built from this
    tree), CONTAINER_PORT, HEALTH_PATH, VERSION_PATH. Returns the Release's fields
    besides the version, and the version when IMAGE names it (its tag)."""
    ref = args.image or ""
    if ref and not images.valid_image(ref):
        raise UsageError(f"{words.given('image', repr(ref))} is not an image reference (like "
                         "localhost/hello-seed:1.1.0)")
    if ref and fault:
        raise UsageError(f"{words.given('fault', fault)} with {words.given('image', ref)}: fault builds are of this "
                         "tree's own image; for another image, deploy a broken image or setting")
    port = check_int(words, "container_port", args.container_port, 1024, 65535,
                     "the container port (the service runs as a non-root user)") \
        if args.container_port is not None else images.DEFAULT_PORT
    return {"ref": ref, "port": port,
            "health_path": check_path(words, "health_path", args.health_path, images.DEFAULT_HEALTH_PATH),
            "version_path": check_path(words, "version_path", args.version_path, images.DEFAULT_VERSION_PATH,
                                       empty_ok=True)}


def stack_faults(text):
    faults = {f for f in (text or "").replace(",", " ").split() if f}
    unknown = faults - set(STACK_FAULTS)
    if unknown:
        raise UsageError(f"STACK_FAULT={text!r}: allowed are {', '.join(STACK_FAULTS)} (comma separated)")
    return faults


def service_arguments(p, up, store="Podman's store", ours="built from this tree"):
    """What runs, as a task definition says it (defaults: ours). The arguments of
    `up` and `deploy`, and of `compose up|render|deploy` (store and ours: where images
    come from there)."""
    p.add_argument("--image", help=f"another image, by reference, from {store} (never built or pulled "
                                   f"here); default: ours, localhost/hello-service:VERSION, {ours}")
    p.add_argument("--container-port", help=f"the port the image listens on (default {images.DEFAULT_PORT}, "
                                            "the Terraform's container_port)")
    p.add_argument("--health-path", help=f"what the verification checks (default {images.DEFAULT_HEALTH_PATH})")
    p.add_argument("--version-path", help=f"GET answers JSON with the version in .version (default "
                                          f"{images.DEFAULT_VERSION_PATH}); empty: the image reports none")
    p.add_argument("--ready-path", help=f"HAProxy's health check, the ALB target group's (default "
                                        f"{images.DEFAULT_READY_PATH})" + ("" if up else
                                                                          "; set at stack up, only repeated here"))


def release_of(words, args, fault, version, required):
    """The release an `up` or `deploy` names: ours at VERSION, or IMAGE (whose tag is its
    version unless VERSION says otherwise)."""
    service = check_service(words, args, fault)
    if service["ref"]:
        version = version or images.version_of_image(service["ref"])
        if not images.valid_version(version):
            raise UsageError(f"{words.given('image', service['ref'])}: its tag is no version; give "
                             f"{words.flag('version')} too")
    elif version is None and required:
        raise UsageError(f"{words.flag('version')} is required: the version to deploy (or "
                         f"{words.flag('image')}: another image)")
    return version, service
