#!/usr/bin/env python3
"""A small HTTP/1.1 load generator that counts every failure, for the rehearsal tests.

N keep-alive connections to one 127.0.0.1 port each send GET requests one after the
other (at most --rate requests per second in all). Every request is counted once: as a
2xx, as a non-2xx (by status), or as an error (connect refused or timed out, reset,
closed before a complete response, timed out, malformed). Nothing is retried, so a
request the load balancer fails to hide is counted. The version in each response body
is counted too, per second, to show the switch from one version to the next.

Runs until SIGINT or SIGTERM (or --max-s); in-flight requests are finished, then one
JSON summary is printed. Writes --ready-file after the first complete response."""
import argparse
import asyncio
import json
import re
import signal
import sys
import time
from collections import Counter, defaultdict

VERSION = re.compile(rb'"version":"([^"]{1,100})"')
TIMEOUT_S = 5.0


class Stats:
    def __init__(self):
        self.status = Counter()
        self.versions = Counter()
        self.errors = Counter()
        self.timeline = defaultdict(lambda: {"ok": 0, "non2xx": 0, "errors": 0, "versions": Counter()})
        self.error_samples = []
        self.start = time.monotonic()

    def second(self):
        return int(time.monotonic() - self.start)

    def response(self, status, body):
        self.status[status] += 1
        bucket = self.timeline[self.second()]
        match = VERSION.search(body)
        version = match.group(1).decode() if match else "(none)"
        if 200 <= status < 300:
            bucket["ok"] += 1
        else:
            bucket["non2xx"] += 1
            if len(self.error_samples) < 20:
                self.error_samples.append(f"{time.monotonic() - self.start:.2f}s: HTTP {status} {body[:80]!r}")
        self.versions[version] += 1
        bucket["versions"][version] += 1

    def error(self, kind, detail=""):
        self.errors[kind] += 1
        self.timeline[self.second()]["errors"] += 1
        if len(self.error_samples) < 20:
            self.error_samples.append(f"{time.monotonic() - self.start:.2f}s: {kind} {detail}".rstrip())


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ValueError(f"bad status line {lines[0][:60]!r}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", ""):
        raise ValueError("chunked responses are not expected here")
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(parts[1]), headers, body


async def client(args, stats, stop, pace_s, first):
    request = f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\nUser-Agent: rehearsal-loadgen\r\n\r\n".encode()
    reader = writer = None
    next_at = time.monotonic()
    while not stop.is_set():
        if pace_s:
            delay = next_at - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                    break
                except asyncio.TimeoutError:
                    pass
            next_at = max(next_at + pace_s, time.monotonic() - pace_s)
        if writer is None:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", args.port), TIMEOUT_S)
            except asyncio.TimeoutError:
                stats.error("connect-timeout")
                await asyncio.sleep(0.05)
                continue
            except OSError as err:
                stats.error("connect", type(err).__name__)
                await asyncio.sleep(0.05)
                continue
        try:
            writer.write(request)
            await writer.drain()
            status, headers, body = await asyncio.wait_for(read_response(reader), TIMEOUT_S)
        except asyncio.TimeoutError:
            stats.error("timeout")
            writer.close()
            writer = None
            continue
        except asyncio.IncompleteReadError:
            stats.error("closed-before-response")
            writer.close()
            writer = None
            continue
        except (OSError, ValueError) as err:
            stats.error("reset" if isinstance(err, ConnectionResetError) else "io", f"{type(err).__name__} {err}")
            writer.close()
            writer = None
            continue
        stats.response(status, body)
        if not first.done():
            first.set_result(True)
        if headers.get("connection", "").lower() == "close":
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


async def main_async(args):
    stats = Stats()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.call_later(args.max_s, stop.set)
    first = loop.create_future()
    pace_s = args.connections / args.rate if args.rate else 0.0
    tasks = [asyncio.create_task(client(args, stats, stop, pace_s, first)) for _ in range(args.connections)]
    if args.ready_file:
        async def mark_ready():
            await first
            with open(args.ready_file, "w") as f:
                f.write("ready\n")
        asyncio.create_task(mark_ready())
    await asyncio.gather(*tasks)
    duration = time.monotonic() - stats.start
    total = sum(stats.status.values())
    non2xx = sum(n for s, n in stats.status.items() if not 200 <= s < 300)
    summary = {
        "connections": args.connections,
        # time.monotonic() when the timeline's second 0 began (the clock is the system's,
        # so another process can place its own events on the timeline).
        "started_monotonic": stats.start,
        "duration_s": round(duration, 2),
        "requests": total + sum(stats.errors.values()),
        "responses": total,
        "ok": total - non2xx,
        "non2xx": non2xx,
        "errors": sum(stats.errors.values()),
        "status": {str(k): v for k, v in sorted(stats.status.items())},
        "error_kinds": dict(stats.errors),
        "versions": dict(stats.versions),
        "samples": stats.error_samples,
        "timeline": [{"second": s, "ok": b["ok"], "non2xx": b["non2xx"], "errors": b["errors"],
                      "versions": dict(b["versions"])} for s, b in sorted(stats.timeline.items())],
    }
    print(json.dumps(summary))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--path", default="/")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rate", type=float, default=0, help="requests per second in all (0: as fast as possible)")
    parser.add_argument("--max-s", type=float, default=600, help="stop after this long in any case")
    parser.add_argument("--ready-file")
    args = parser.parse_args()
    if not 1 <= args.connections <= 1024:
        parser.error("--connections: 1 to 1024")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
