"""The stack's ports on 127.0.0.1: three listeners (live, test, statistics) and one per
replica slot, either from a base port N (N, N+1, N+2 and N+11 onwards) or chosen free.

Each port is held, bound and listening, from the moment it is found free until every
port of the stack is chosen: two picks can then never be the same port. Free ports are
picked below the kernel's ephemeral range, which it hands out to outgoing connections
(the load of a test, podman, the verifier): a slot's port is bound only when a replica
starts, minutes later, and an outgoing connection must not have taken it meanwhile."""
import random
import socket
from pathlib import Path

from .output import StackError

# Ports picked by `auto` when the ephemeral range leaves room below it.
AUTO_LOW = 10000
EPHEMERAL_RANGE = "/proc/sys/net/ipv4/ip_local_port_range"


def _hold(port):
    """A listening socket on 127.0.0.1:port, or None if the port is taken. As HAProxy
    and the service do, with SO_REUSEADDR: connections in TIME_WAIT from an earlier run
    do not count."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(1)
    except OSError:
        sock.close()
        return None
    return sock


def ephemeral_range():
    try:
        low, high = (int(v) for v in Path(EPHEMERAL_RANGE).read_text().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 60999


class Reservation:
    """Ports held until release(), which the caller calls right before the processes
    that use them bind (HAProxy, the first replicas)."""

    def __init__(self, ports, sockets):
        self.ports = ports
        self._sockets = sockets

    def release(self):
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def reserve_free(count, rng=random):
    """`count` distinct free ports, held."""
    low, _ = ephemeral_range()
    pool_high = low - 1 if low - 1 - AUTO_LOW >= 1000 else 0
    held, ports = [], []
    try:
        if pool_high:
            candidates = rng.sample(range(AUTO_LOW, pool_high + 1), min(pool_high + 1 - AUTO_LOW, 50 * count))
            for port in candidates:
                sock = _hold(port)
                if sock:
                    held.append(sock)
                    ports.append(port)
                    if len(ports) == count:
                        return Reservation(ports, held)
        # No room below the ephemeral range (or all of it taken): let the kernel pick;
        # each held socket keeps its port out of the later picks.
        while len(ports) < count:
            sock = _hold(0)
            if sock is None:
                raise StackError("no free port on 127.0.0.1")
            held.append(sock)
            ports.append(sock.getsockname()[1])
        return Reservation(ports, held)
    except BaseException:
        for sock in held:
            sock.close()
        raise


def reserve_from(ports, words):
    """The given ports, held; an error names every one that is taken."""
    held, taken = [], []
    for port in ports:
        sock = _hold(port)
        if sock:
            held.append(sock)
        else:
            taken.append(port)
    if taken:
        for sock in held:
            sock.close()
        raise StackError(f"port{'s' if len(taken) > 1 else ''} {', '.join(map(str, taken))} on 127.0.0.1 "
                         f"{'are' if len(taken) > 1 else 'is'} in use; choose others with {words.given('port', 'N')} "
                         f"(N, N+1, N+2 and N+11 onwards) or {words.given('port', 'auto')}")
    return Reservation(list(ports), held)


def plan(spec, slot_count, words):
    """(listener ports, slot ports, reservation) for `--port N` or `--port auto`."""
    if spec == "auto":
        reservation = reserve_free(3 + slot_count)
    else:
        base = int(spec)
        reservation = reserve_from([base, base + 1, base + 2, *(base + 11 + i for i in range(slot_count))], words)
    ports = reservation.ports
    return {"live": ports[0], "test": ports[1], "stats": ports[2]}, ports[3:], reservation
