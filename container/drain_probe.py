#!/usr/bin/env python3
"""Proves that stopping a hello-service container loses no request that was in flight.

Traffic on 127.0.0.1 only, bounded in count and time. While keep-alive clients send
requests back to back, and a few "slow" clients hold a request whose header block is
not finished yet, the probe runs the stop command (which sends SIGTERM). It then plays
the load balancer:

  * polls /ready on new connections until it answers 503 (the drain has begun);
  * keeps the keep-alive clients sending for a while after that (the service must go
    on serving during its drain delay), then stops sending, as a load balancer would;
  * waits until the listener is closed (a new connection is refused, or closed
    without an answer by a proxy in front of it), then lets the
    slow clients finish their requests: each must still get a complete 200 with
    Connection: close (in flight when the listener closed);
  * checks that the server then closes every idle keep-alive connection.

Every request written must get a complete, valid response: a reset or a short read
counts as lost. Prints one JSON summary line; exit 0 only if every check passed.
"""
import argparse
import json
import socket
import subprocess
import sys
import threading
import time

TIMEOUT_S = 10.0
MAX_REQUESTS_PER_CLIENT = 200_000  # a bound on top of the time bound


def read_response(sock, buf):
    """Reads one HTTP/1.1 response; returns (status, headers, body, rest) or raises."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a complete response header")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(buf) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of a response body")
        buf += chunk
    return status, headers, buf[:length], buf[length:]


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def get_once(port, path):
    with connect(port) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n".encode())
        status, _, _, _ = read_response(sock, b"")
        return status


class KeepAliveClient(threading.Thread):
    """Sends GET / back to back on one connection until told to stop."""

    def __init__(self, port, stop_sending, signalled):
        super().__init__(daemon=True)
        self.port, self.stop_sending, self.signalled = port, stop_sending, signalled
        self.sent = self.answered = self.answered_after_signal = 0
        self.errors = []
        self.closed_by_server = False

    def run(self):
        try:
            sock = connect(self.port)
        except OSError as error:
            self.errors.append(f"connect: {error}")
            return
        buf = b""
        with sock:
            while not self.stop_sending.is_set() and self.sent < MAX_REQUESTS_PER_CLIENT:
                try:
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: probe\r\n\r\n")
                    self.sent += 1
                    status, headers, body, buf = read_response(sock, buf)
                except (OSError, ValueError) as error:
                    self.errors.append(f"request {self.sent}: {error}")
                    return
                if status != 200 or b'"version"' not in body:
                    self.errors.append(f"request {self.sent}: status {status}, body {body[:80]!r}")
                    return
                self.answered += 1
                if self.signalled.is_set():
                    self.answered_after_signal += 1
                if headers.get("connection", "").lower() == "close":
                    self.closed_by_server = True
                    return
            # Idle now: the server must close this connection when its drain delay ends.
            try:
                sock.settimeout(60)
                self.closed_by_server = sock.recv(1) == b""
            except OSError:
                self.closed_by_server = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--drain-delay-s", type=float, required=True)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--slow-clients", type=int, default=3)
    parser.add_argument("stop_command", nargs=argparse.REMAINDER, help="-- COMMAND: sends SIGTERM")
    args = parser.parse_args()
    command = args.stop_command[1:] if args.stop_command[:1] == ["--"] else args.stop_command
    if not command:
        parser.error("a stop command is needed after --")

    failures = []
    summary = {}
    stop_sending, signalled = threading.Event(), threading.Event()

    # Slow clients: a request whose header block stays unfinished until the listener closes.
    slow = []
    for index in range(args.slow_clients):
        sock = connect(args.port)
        sock.sendall(f"GET /info HTTP/1.1\r\nHost: probe\r\nX-Request-Id: slow-{index}\r\n".encode())
        slow.append(sock)

    clients = [KeepAliveClient(args.port, stop_sending, signalled) for _ in range(args.clients)]
    for client in clients:
        client.start()
    time.sleep(0.5)
    before = sum(c.answered for c in clients)

    started = time.monotonic()
    stopper = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    signalled.set()

    # The load balancer's view: /ready turns 503 soon after SIGTERM.
    ready_503_s = None
    while time.monotonic() - started < args.drain_delay_s:
        try:
            if get_once(args.port, "/ready") == 503:
                ready_503_s = time.monotonic() - started
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    if ready_503_s is None:
        failures.append("/ready never answered 503 during the drain delay")

    # Go on sending until half the drain delay is over, then stop, like a load balancer
    # that has seen the target fail its health check.
    time.sleep(max(0.0, args.drain_delay_s / 2 - (time.monotonic() - started)))
    stop_sending.set()

    # The listener closes when the drain delay ends: a new connection is refused then,
    # or, behind a proxy that keeps the published port open (Docker's userland proxy,
    # docker-proxy, accepts on 127.0.0.1 whatever happens inside the container), closed
    # without an answer.
    listener_closed_s = None
    while time.monotonic() - started < args.drain_delay_s + 5:
        try:
            get_once(args.port, "/health")
        except (OSError, ValueError):
            listener_closed_s = time.monotonic() - started
            break
        time.sleep(0.05)
    if listener_closed_s is None:
        failures.append("the listener was still accepting connections 5 s after the drain delay")
    elif listener_closed_s < args.drain_delay_s - 0.2:
        failures.append(f"the listener closed {listener_closed_s:.2f} s after SIGTERM, before the drain delay")

    # In flight when the listener closed: each slow request must still be answered.
    slow_answered = 0
    for index, sock in enumerate(slow):
        with sock:
            try:
                sock.sendall(b"\r\n")
                status, headers, body, _ = read_response(sock, b"")
                if status == 200 and headers.get("connection", "").lower() == "close" and b'"version"' in body:
                    slow_answered += 1
                else:
                    failures.append(f"slow request {index}: status {status}, connection {headers.get('connection')}")
            except (OSError, ValueError) as error:
                failures.append(f"slow request {index} lost: {error}")

    for client in clients:
        client.join(timeout=30)
    try:
        stop_rc = stopper.wait(timeout=60)
    except subprocess.TimeoutExpired:
        stopper.kill()
        stop_rc = "timeout"
    stopped_s = time.monotonic() - started

    sent = sum(c.sent for c in clients)
    answered = sum(c.answered for c in clients)
    during_drain = sum(c.answered_after_signal for c in clients)
    for client in clients:
        failures.extend(client.errors)
        if not client.closed_by_server:
            failures.append("a keep-alive connection was not closed by the server")
    if sent != answered:
        failures.append(f"{sent - answered} of {sent} keep-alive requests got no complete response")
    if before < 20 or during_drain < 20:
        failures.append(f"too little traffic to mean anything ({before} before SIGTERM, {during_drain} after)")
    if stop_rc != 0:
        failures.append(f"the stop command ended with {stop_rc}")

    summary.update(
        requests_sent=sent + len(slow),
        requests_answered=answered + slow_answered,
        answered_after_sigterm=during_drain + slow_answered,
        slow_requests_answered_after_listener_closed=slow_answered,
        ready_503_after_s=round(ready_503_s, 2) if ready_503_s is not None else None,
        listener_closed_after_s=round(listener_closed_s, 2) if listener_closed_s is not None else None,
        stopped_after_s=round(stopped_s, 2),
        failures=failures,
    )
    print(json.dumps(summary))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
