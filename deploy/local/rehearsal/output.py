"""Output and errors of the rehearsal's commands.

Progress lines go to stdout, stamped with the seconds since the command started;
warnings and errors go to stderr. The exceptions below carry their exit code: 1 for a
command that could not do what it was asked, 2 for bad input.

The user spoke either make (`make stack-up REPLICAS=3`) or the command line
(`deploy/local/stack up --replicas 3`); messages name flags and commands in the words
the user gave (`Words`)."""
import os
import sys
import time


class StackError(Exception):
    """The command cannot do what was asked: exit 1."""

    exit_code = 1


class UsageError(StackError):
    """Bad input, found before anything changed: exit 2."""

    exit_code = 2


class DeployFailed(StackError):
    """A step of a deployment failed: the deployment rolls back."""


class RollbackFailed(StackError):
    """The rollback itself failed: the stack may not serve the old version."""


# Each option: its command-line flag and its make variable.
FLAGS = {
    "version": ("--version", "VERSION"),
    "replicas": ("--replicas", "REPLICAS"),
    "time_scale": ("--time-scale", "TIME_SCALE"),
    "port": ("--port", "STACK_PORT"),
    "strategy": ("--strategy", "STRATEGY"),
    "fault": ("--fault", "FAULT"),
    "canary_percent": ("--canary-percent", "CANARY_PERCENT"),
    "bake_s": ("--bake-s", "BAKE_S"),
    "image": ("--image", "IMAGE"),
    "container_port": ("--container-port", "CONTAINER_PORT"),
    "health_path": ("--health-path", "HEALTH_PATH"),
    "ready_path": ("--ready-path", "READY_PATH"),
    "version_path": ("--version-path", "VERSION_PATH"),
}


class Words:
    """Names of flags and commands, as make or as the command line says them."""

    def __init__(self, via_make):
        self.via_make = via_make

    def flag(self, name):
        return FLAGS[name][1 if self.via_make else 0]

    def given(self, name, value):
        """The option as the user wrote it: REPLICAS=9 or --replicas 9."""
        flag, variable = FLAGS[name]
        return f"{variable}={value}" if self.via_make else f"{flag} {value}"

    def command(self, name):
        return f"make stack-{name}" if self.via_make else f"deploy/local/stack {name}"


class Output:
    """Progress, warnings and errors of one command. A closed output (a pipe to `head`,
    a terminal gone) must not stop a deployment half-way, least of all its rollback: the
    lines are then dropped."""

    def __init__(self, words, clock=time.monotonic):
        self.words = words
        self.clock = clock
        self.start = clock()

    def elapsed(self):
        return self.clock() - self.start

    def say(self, text):
        self._write(sys.stdout, f"[{self.elapsed():6.1f}s] {text}")

    def warn(self, text):
        self._write(sys.stderr, f"[{self.elapsed():6.1f}s] WARNING: {text}")

    def error(self, text):
        self._write(sys.stderr, f"error: {text}")

    def plain(self, text):
        self._write(sys.stdout, text)

    @staticmethod
    def _write(stream, text):
        try:
            sys.stdout.flush()
            print(text, file=stream, flush=True)
        except OSError:
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
            except OSError:
                pass
