"""The deployment strategies (rolling, blue-green, canary) and the rollback they share.

Every strategy works on slots: the old version's replicas keep theirs until they are
retired; the new version's replicas take free ones. A failed step raises DeployFailed;
the rollback then brings the stack back to the old version on its own and the command
exits non-zero. While new replicas take live traffic, any 5xx they answer fails the
deployment (the CloudWatch alarm that stops a deployment on AWS)."""
import json
import time
import traceback
from pathlib import Path

from . import haproxy
from .stack import FULL_WEIGHT, POLL_S, DeployFailed, StackError, say

STRATEGIES = ("rolling", "blue-green", "canary")


class Deployment:
    def __init__(self, stack, strategy, version, canary_percent, bake_s):
        self.stack = stack
        self.strategy = strategy
        self.version = version
        self.canary_percent = canary_percent
        self.bake_s = bake_s
        self.clock = stack.clock
        self.count = stack.state["replicas"]
        self.old_version, self.old = self.repair()  # old replicas still running
        self.new = []                       # new replicas started
        self.admitted = set()               # slots of new replicas that took live traffic
        self.baseline_5xx = {}
        self.guard_next = 0.0
        self.record = {"strategy": strategy, "from": self.old_version, "to": version,
                       "canary_percent": canary_percent, "snapshots": {}}

    def step(self, text):
        say(self.clock, text)

    def repair(self):
        """Brings a stack an interrupted command left behind back to N replicas of one
        version before anything else: replicas taking no live traffic go (gracefully if
        they may still hold requests), missing ones are started again."""
        stack = self.stack
        running = stack.replicas()
        live = stack.api.servers("live")
        dead = [r for r in running.values() if r.state != "running" or live[r.slot].maint]
        draining = [r for r in running.values() if r not in dead and not live[r.slot].takes_traffic]
        if dead or draining:
            self.step("repairing what an interrupted command left: " +
                      ", ".join(f"{r.slot} ({r.version}) takes no live traffic" for r in dead + draining))
            stack.remove_now(dead)
            stack.retire(draining, "left draining")
            running = stack.replicas()
        versions = sorted({r.version for r in running.values()})
        if len(versions) != 1:
            raise StackError("the stack does not run one version (replicas: " +
                             (", ".join(f"{r.slot} {r.version}" for r in running.values()) or "none") +
                             "); 'make stack-down' and 'make stack-up' start afresh")
        old = list(running.values())
        if len(old) < self.count:
            self.step(f"repairing: {len(old)} of {self.count} replicas run; starting {self.count - len(old)} "
                      f"more of {versions[0]}")
            more = [stack.start_replica(slot, versions[0]) for slot in stack.free_slots()[:self.count - len(old)]]
            stack.wait_up(more)
            stack.admit(more, FULL_WEIGHT)
            old += more
        return versions[0], sorted(old, key=lambda r: int(r.slot[1:]))

    # ---- guard: the new version must not answer 5xx on live traffic -------------------
    def guard(self, now=False):
        """The alarm: any 5xx from the new version on live traffic fails the deployment.
        Like a CloudWatch alarm it is evaluated once a period (here one health-check
        interval), not on every request; `now` evaluates at once."""
        if not self.admitted:
            return
        if not now and time.monotonic() < self.guard_next:
            return
        self.guard_next = time.monotonic() + self.stack.budget["alb_health_check_interval_s"]
        stats = self.stack.api.stats()
        bad = {s: stats[("live", s)]["5xx"] - self.baseline_5xx.get(s, 0) for s in self.admitted}
        bad = {s: n for s, n in bad.items() if n > 0}
        if bad:
            # Stop the bleeding at once if the old version can carry the traffic.
            live = self.stack.api.servers("live")
            if any(live[r.slot].takes_traffic for r in self.old):
                self.stack.api.run(*[f"set server live/{s} state drain" for s in sorted(self.admitted)])
                self.step(f"5xx from {self.version}: took {', '.join(sorted(self.admitted))} out of live traffic")
            counts = ", ".join(f"{s}: {n}" for s, n in bad.items())
            raise DeployFailed(f"the new version answered 5xx on live traffic ({counts})")

    def take_baseline(self, reps):
        stats = self.stack.api.stats()
        for r in reps:
            self.baseline_5xx[r.slot] = stats[("live", r.slot)]["5xx"]

    def start_new(self, n):
        free = self.stack.free_slots()
        if len(free) < n:
            raise DeployFailed(f"no free slot for {n} new replica(s)")
        reps = [self.stack.start_replica(slot, self.version) for slot in free[:n]]
        self.new += reps
        return reps

    def snapshot(self, name, text):
        self.record["snapshots"][name] = {
            f"{b}/{s}": c for (b, s), c in haproxy.parse_stats(text).items() if b == "live"}

    # ---- strategies -------------------------------------------------------------------
    def rolling(self):
        self.step(f"rolling: {self.count} replicas, one at a time: start new, wait until HAProxy sees it "
                  "healthy, then drain and stop an old one")
        for i, old in enumerate(list(self.old), 1):
            self.step(f"rolling {i}/{self.count}: replacing {old.slot} ({self.old_version})")
            (rep,) = self.start_new(1)
            self.stack.wait_up([rep], guard=self.guard)
            self.take_baseline([rep])
            self.stack.admit([rep], FULL_WEIGHT)
            self.admitted.add(rep.slot)
            self.step(f"{rep.slot} ({self.version}) takes live traffic")
            self.old.remove(old)
            self.stack.retire([old], "HAProxy learns it from /ready", self.guard)
            self.guard(now=True)
        self.step(f"verifying the live listener {self.stack.url('live')}")
        if not self.stack.verify(self.stack.url("live"), self.version):
            raise DeployFailed("verification through the live listener failed")

    def blue_green(self):
        self.step(f"blue-green: start the green set ({self.count} x {self.version}) beside blue "
                  f"({self.old_version}), verify it on the test listener, switch all traffic, retire blue")
        green = self.start_new(self.count)
        # Checked in live too, where they take no traffic yet (drain state).
        self.stack.wait_up(green, ("test", "live"))
        self.step(f"verifying green through the test listener {self.stack.url('test')}")
        if not self.stack.verify(self.stack.url("test"), self.version):
            raise DeployFailed("verification of green through the test listener failed")
        self.take_baseline(green)
        text = self.stack.shift({r.slot: FULL_WEIGHT for r in green}, drain=[r.slot for r in self.old],
                                snapshot=True)
        self.admitted.update(r.slot for r in green)
        self.snapshot("switch", text)
        self.step(f"switched: all new requests go to green ({', '.join(r.slot for r in green)}); "
                  f"blue ({', '.join(r.slot for r in self.old)}) drains, still running for a switch back")
        self.step(f"verifying the live listener {self.stack.url('live')}")
        if not self.stack.verify(self.stack.url("live"), self.version):
            raise DeployFailed("verification through the live listener after the switch failed")
        self.guard(now=True)
        retiring, self.old = self.old, []
        self.stack.retire(retiring, "HAProxy drains them already; /ready fails too", self.guard)
        self.stack.leave_test(green)

    def canary(self):
        pct = self.canary_percent
        self.step(f"canary: start {self.count} x {self.version}, verify on the test listener, send {pct} % of "
                  f"live traffic for a {self.bake_s:g} s bake, then 100 %, then retire {self.old_version}")
        new = self.start_new(self.count)
        self.stack.wait_up(new, ("test", "live"))
        self.step(f"verifying the new version through the test listener {self.stack.url('test')}")
        if not self.stack.verify(self.stack.url("test"), self.version):
            raise DeployFailed("verification of the new version through the test listener failed")
        self.take_baseline(new)
        weights = {r.slot: pct for r in new}
        weights.update({r.slot: FULL_WEIGHT - pct for r in self.old})
        text = self.stack.shift(weights, snapshot=True)
        self.admitted.update(r.slot for r in new)
        self.snapshot("canary_start", text)
        self.step(f"canary: {pct} % of live traffic to {self.version} (weight {pct} on "
                  f"{', '.join(r.slot for r in new)}, {FULL_WEIGHT - pct} on {', '.join(r.slot for r in self.old)})")
        self.bake(new)
        text = self.stack.shift({r.slot: FULL_WEIGHT for r in new}, drain=[r.slot for r in self.old],
                                snapshot=True)
        self.snapshot("canary_end", text)
        self.report_share("canary_start", "canary_end", new)
        self.step(f"100 % of live traffic to {self.version}; {self.old_version} drains")
        self.step(f"verifying the live listener {self.stack.url('live')}")
        if not self.stack.verify(self.stack.url("live"), self.version):
            raise DeployFailed("verification through the live listener failed")
        self.guard(now=True)
        retiring, self.old = self.old, []
        self.stack.retire(retiring, "HAProxy drains them already; /ready fails too", self.guard)
        self.stack.leave_test(new)

    def bake(self, new):
        start = time.monotonic()
        next_report = start + self.bake_s / 4
        try:
            while True:
                elapsed = time.monotonic() - start
                done = elapsed >= self.bake_s
                self.guard(now=done)
                servers = self.stack.api.servers("live")
                down = [r.slot for r in new if not servers[r.slot].up]
                if down:
                    raise DeployFailed(f"canary replica(s) {', '.join(down)} failed HAProxy's health check")
                if done:
                    return
                if time.monotonic() >= next_report:
                    self.step(f"baking: {elapsed:.1f}/{self.bake_s:g} s, canary healthy, no 5xx")
                    next_report += self.bake_s / 4
                time.sleep(POLL_S)
        except DeployFailed:
            # Take the canary out of traffic at once, with the counters of that moment
            # (the rollback that follows repeats the switch and retires it).
            text = self.stack.shift({r.slot: FULL_WEIGHT for r in self.old}, drain=[r.slot for r in new],
                                    snapshot=True)
            self.snapshot("canary_end", text)
            self.report_share("canary_start", "canary_end", new)
            raise

    def report_share(self, begin, end, new):
        a, b = self.record["snapshots"][begin], self.record["snapshots"][end]
        total = sum(b[k]["responses"] - a[k]["responses"] for k in b if k in a)
        canary = sum(b[f"live/{r.slot}"]["responses"] - a[f"live/{r.slot}"]["responses"] for r in new)
        share = 100.0 * canary / total if total else 0.0
        self.record["canary_share_percent"] = round(share, 2)
        self.step(f"canary phase: HAProxy counted {canary} of {total} live responses from {self.version} "
                  f"({share:.1f} %, target {self.canary_percent} %)")

    # ---- rollback ---------------------------------------------------------------------
    def rollback(self):
        stack = self.stack
        self.step(f"ROLLBACK to {self.old_version}")
        unadmitted = [r for r in self.new if r.slot not in self.admitted]
        admitted = [r for r in self.new if r.slot in self.admitted]
        stack.remove_now(unadmitted)
        missing = self.count - len(self.old)
        if self.old:
            # The old version takes all traffic again, at once.
            stack.shift({r.slot: FULL_WEIGHT for r in self.old}, drain=[r.slot for r in admitted])
            self.step(f"all live traffic back on {self.old_version} ({', '.join(r.slot for r in self.old)})")
        # Old replicas retired already (rolling): bring them back one at a time.
        for i in range(missing):
            victim = admitted.pop(0)
            self.step(f"rollback {i + 1}/{missing}: {self.old_version} replaces {victim.slot}")
            (rep,) = [stack.start_replica(stack.free_slots()[0], self.old_version)]
            stack.wait_up([rep])
            stack.admit([rep], FULL_WEIGHT)
            self.old.append(rep)
            stack.retire([victim], "HAProxy learns it from /ready")
        stack.retire(admitted, "HAProxy drains them already; /ready fails too")
        if not stack.verify(stack.url("live"), self.old_version):
            raise StackError(f"ROLLBACK FAILED: the live listener does not verify as {self.old_version}; "
                             "see 'make stack-status'")

    # ---- the whole deployment ------------------------------------------------------
    def run(self):
        if self.version == self.old_version:
            self.step(f"the stack already runs {self.version}: nothing to deploy")
            return 0
        self.step(f"deploy {self.version} over {self.old_version} ({self.strategy}, {self.count} replicas)")
        start = time.monotonic()
        steps = {"rolling": self.rolling, "blue-green": self.blue_green, "canary": self.canary}
        try:
            steps[self.strategy]()
        except (Exception, KeyboardInterrupt) as err:  # any failure rolls back
            reason = str(err) or type(err).__name__
            if not isinstance(err, (DeployFailed, KeyboardInterrupt)):
                traceback.print_exc()
            self.step(f"FAILED: {reason}")
            self.record.update(result="rolled back", reason=reason)
            try:
                self.rollback()
            finally:
                self.save(start)
            self.step(f"deploy of {self.version} FAILED ({reason}); rolled back: every replica serves "
                      f"{self.old_version} again")
            return 1
        self.record.update(result="deployed")
        self.save(start)
        self.step(f"deployed {self.version} ({self.strategy}) in {time.monotonic() - start:.1f} s: "
                  f"{self.count} replicas serve it")
        return 0

    def save(self, start):
        self.record["seconds"] = round(time.monotonic() - start, 1)
        Path(self.stack.dir / "last-deploy.json").write_text(json.dumps(self.record, indent=2) + "\n")
