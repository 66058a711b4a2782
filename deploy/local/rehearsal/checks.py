"""The checks of the front door: each option's value, before anything is installed or
changed. A bad value is a UsageError (exit 2) that names the option as the user gave it."""
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


def stack_faults(text):
    faults = {f for f in (text or "").replace(",", " ").split() if f}
    unknown = faults - set(STACK_FAULTS)
    if unknown:
        raise UsageError(f"STACK_FAULT={text!r}: allowed are {', '.join(STACK_FAULTS)} (comma separated)")
    return faults
