"""The stack's state: what `up` chose (ports, slots, timings, files) and the counters
each replica's status starts from. Saved atomically: a reader, or a command interrupted
while saving, sees the old state or the new one, never half of one."""
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .output import StackError


@dataclass
class Slot:
    """A place for one replica: a name (the HAProxy server's) and a port on 127.0.0.1."""
    name: str
    port: int


@dataclass
class Ports:
    live: int
    test: int
    stats: int

    def as_dict(self):
        return asdict(self)


@dataclass
class Counters:
    responses: int = 0
    errors_5xx: int = 0


@dataclass
class StackState:
    name: str
    replicas: int
    time_scale: float
    budget: dict
    ports: Ports
    slots: list
    faults: list
    access_log: bool
    socket: str
    pid_file: str
    config: str
    log: str
    # HAProxy's counters per slot run on across replicas: status counts from the values
    # they had when the slot's current replica started.
    baselines: dict = field(default_factory=dict)
    # HAProxy's health check path (the target group's; READY_PATH at stack up).
    ready_path: str = "/ready"

    def slot(self, name):
        for s in self.slots:
            if s.name == name:
                return s
        raise KeyError(name)

    def slot_names(self):
        return [s.name for s in self.slots]

    def baseline(self, slot):
        return self.baselines.get(slot, Counters())

    def to_json(self):
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def from_json(cls, text):
        raw = json.loads(text)
        names = {f.name for f in fields(cls)}
        missing = names - set(raw) - {"baselines", "ready_path"}
        if missing:
            raise ValueError(f"missing {', '.join(sorted(missing))}")
        raw = {k: v for k, v in raw.items() if k in names}
        raw["ports"] = Ports(**raw["ports"])
        raw["slots"] = [Slot(**s) for s in raw["slots"]]
        raw["baselines"] = {k: Counters(**v) for k, v in raw.get("baselines", {}).items()}
        return cls(**raw)


def save(path, state):
    """Writes a temporary file beside the state file, flushes it to disk and renames it
    over the old one (a rename within one directory is atomic)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(state.to_json())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path, shown):
    """The saved state, or None when there is none; a state that cannot be read is an
    error that says how to start afresh."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        return StackState.from_json(text)
    except (ValueError, TypeError, KeyError) as err:
        raise StackError(f"{shown} cannot be read ({err}); remove the stack's replicas and HAProxy with "
                         "'make stack-down' and start again") from err
