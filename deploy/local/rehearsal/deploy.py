"""The deployment strategies (rolling, blue-green, canary) and the rollback they share.

Every strategy works on slots: the old release's replicas keep theirs until they are
retired; the new release's replicas take free ones, and are tracked from the moment
each one starts, so that a failure at any point retires every one of them. A failed
step raises DeployFailed; the rollback then brings the stack back to the old release
on its own and the command exits non-zero. While new replicas take live traffic, any
5xx they answer fails the deployment (the CloudWatch alarm that stops a deployment on
AWS). `last-deploy.json` records the outcome as it is: deployed, rolled back, or
rollback failed."""
import json
import time
import traceback

from . import poll
from .haproxy import FULL_WEIGHT
from .output import DeployFailed, RollbackFailed, StackError

STRATEGIES = ("rolling", "blue-green", "canary")


class Deployment:
    """Built without side effects; run() repairs, deploys and, on failure, rolls back."""

    def __init__(self, stack, strategy, release, canary_percent, bake_s):
        self.stack = stack
        self.out = stack.out
        self.strategy = strategy
        self.release = release
        self.canary_percent = canary_percent
        self.bake_s = bake_s
        self.count = stack.state.replicas
        self.old_release = None
        self.old = []            # old replicas still running
        self.new = []            # new replicas, each added as soon as it started
        self.admitted = set()    # slots of new replicas that took live traffic
        self.baseline_5xx = {}
        self.guard_next = 0.0
        self.record = {"strategy": strategy, "to": str(release), "canary_percent": canary_percent, "snapshots": {}}

    def step(self, text):
        self.out.say(text)

    @property
    def traffic(self):
        return self.stack.traffic

    # ---- before anything: one release on N replicas ------------------------------------
    def repair(self):
        """Brings a stack an interrupted command left behind back to N replicas of one
        release before anything else: replicas taking no live traffic go (gracefully if
        they may still hold requests), missing ones are started again."""
        stack = self.stack
        running = stack.replicas()
        live = self.traffic.servers("live")
        dead = [r for r in running.values() if r.state != "running" or live[r.slot].maint]
        draining = [r for r in running.values() if r not in dead and not live[r.slot].takes_traffic]
        if dead or draining:
            self.step("repairing what an interrupted command left: " +
                      ", ".join(f"{r.slot} ({r.release}) takes no live traffic" for r in dead + draining))
            stack.remove_now(dead)
            stack.retire(draining, "left draining")
            running = stack.replicas()
        releases = sorted({r.release for r in running.values()}, key=str)
        if len(releases) != 1:
            words = self.out.words
            raise StackError("the stack does not run one release (replicas: " +
                             (", ".join(f"{r.slot} {r.release}" for r in running.values()) or "none") +
                             f"); '{words.command('down')}' and '{words.command('up')}' start afresh")
        self.old_release = releases[0]
        self.old = sorted(running.values(), key=lambda r: int(r.slot[1:]))
        if len(self.old) < self.count:
            self.step(f"repairing: {len(self.old)} of {self.count} replicas run; starting "
                      f"{self.count - len(self.old)} more of {self.old_release}")
            more = []
            for slot in stack.free_slots()[:self.count - len(self.old)]:
                more.append(stack.start_replica(slot, self.old_release))
                self.old.append(more[-1])
                stack.enlist([more[-1]])
            stack.wait_up(more)
            self.traffic.shift({r.slot: FULL_WEIGHT for r in more})

    # ---- guard: the new release must not answer 5xx on live traffic --------------------
    def guard(self, now=False):
        """The alarm: any 5xx from the new release on live traffic fails the deployment.
        Like a CloudWatch alarm it is evaluated once a period (here one health-check
        interval), not on every request; `now` evaluates at once."""
        if not self.admitted:
            return
        if not now and time.monotonic() < self.guard_next:
            return
        self.guard_next = time.monotonic() + self.stack.budget["alb_health_check_interval_s"]
        counters = self.traffic.counters()
        bad = {s: counters[("live", s)].errors_5xx - self.baseline_5xx.get(s, 0) for s in self.admitted}
        bad = {s: n for s, n in bad.items() if n > 0}
        if bad:
            # Stop the bleeding at once if the old release can carry the traffic.
            live = self.traffic.servers("live")
            if any(live[r.slot].takes_traffic for r in self.old):
                self.traffic.drain(sorted(self.admitted))
                self.step(f"5xx from {self.release}: took {', '.join(sorted(self.admitted))} out of live traffic")
            counts = ", ".join(f"{s}: {n}" for s, n in bad.items())
            raise DeployFailed(f"the new version answered 5xx on live traffic ({counts})")

    def take_baseline(self, reps):
        counters = self.traffic.counters()
        for r in reps:
            self.baseline_5xx[r.slot] = counters[("live", r.slot)].errors_5xx

    def start_new(self, n, backends=("live",)):
        """Starts n replicas of the new release, each tracked and enlisted at once."""
        free = self.stack.free_slots()
        if len(free) < n:
            raise DeployFailed(f"no free slot for {n} new replica(s)")
        started = []
        for slot in free[:n]:
            rep = self.stack.start_replica(slot, self.release)
            self.new.append(rep)
            started.append(rep)
            self.stack.enlist([rep], backends)
        return started

    def snapshot(self, name, counters):
        self.record["snapshots"][name] = {
            f"{b}/{s}": {"responses": c.responses, "5xx": c.errors_5xx}
            for (b, s), c in counters.items() if b == "live"}

    def verify(self, listener, what):
        if not self.stack.verify(self.stack.url(listener), self.release):
            raise DeployFailed(f"verification of {what} through the {listener} listener failed")

    # ---- strategies -------------------------------------------------------------------
    def rolling(self):
        self.step(f"rolling: {self.count} replicas, one at a time: start new, wait until HAProxy sees it "
                  "healthy, then drain and stop an old one")
        for i, old in enumerate(list(self.old), 1):
            self.step(f"rolling {i}/{self.count}: replacing {old.slot} ({self.old_release})")
            (rep,) = self.start_new(1)
            self.stack.wait_up([rep], guard=self.guard)
            self.take_baseline([rep])
            self.traffic.shift({rep.slot: FULL_WEIGHT})
            self.admitted.add(rep.slot)
            self.step(f"{rep.slot} ({self.release}) takes live traffic")
            self.old.remove(old)
            self.stack.retire([old], "HAProxy learns it from the ready path", self.guard)
            self.guard(now=True)
        self.step(f"verifying the live listener {self.stack.url('live')}")
        self.verify("live", self.release)

    def blue_green(self):
        self.step(f"blue-green: start the green set ({self.count} x {self.release}) beside blue "
                  f"({self.old_release}), verify it on the test listener, switch all traffic, retire blue")
        # Checked in live too, where they take no traffic yet (drain state).
        green = self.start_new(self.count, ("test", "live"))
        self.stack.wait_up(green, ("test", "live"))
        self.step(f"verifying green through the test listener {self.stack.url('test')}")
        self.verify("test", "green")
        self.take_baseline(green)
        counters = self.traffic.shift({r.slot: FULL_WEIGHT for r in green}, drain=[r.slot for r in self.old],
                                      snapshot=True)
        self.admitted.update(r.slot for r in green)
        self.snapshot("switch", counters)
        self.step(f"switched: all new requests go to green ({', '.join(r.slot for r in green)}); "
                  f"blue ({', '.join(r.slot for r in self.old)}) drains, still running for a switch back")
        self.step(f"verifying the live listener {self.stack.url('live')}")
        self.verify("live", "green after the switch")
        self.guard(now=True)
        retiring, self.old = self.old, []
        self.stack.retire(retiring, "HAProxy drains them already", self.guard)
        self.traffic.leave_test([r.slot for r in green])

    def canary(self):
        pct = self.canary_percent
        self.step(f"canary: start {self.count} x {self.release}, verify on the test listener, send {pct} % of "
                  f"live traffic for a {self.bake_s:g} s bake, then 100 %, then retire {self.old_release}")
        new = self.start_new(self.count, ("test", "live"))
        self.stack.wait_up(new, ("test", "live"))
        self.step(f"verifying the new version through the test listener {self.stack.url('test')}")
        self.verify("test", "the new version")
        self.take_baseline(new)
        weights = {r.slot: pct for r in new}
        weights.update({r.slot: FULL_WEIGHT - pct for r in self.old})
        counters = self.traffic.shift(weights, snapshot=True)
        self.admitted.update(r.slot for r in new)
        self.snapshot("canary_start", counters)
        self.step(f"canary: {pct} % of live traffic to {self.release} (weight {pct} on "
                  f"{', '.join(r.slot for r in new)}, {FULL_WEIGHT - pct} on {', '.join(r.slot for r in self.old)})")
        self.bake(new)
        counters = self.traffic.shift({r.slot: FULL_WEIGHT for r in new}, drain=[r.slot for r in self.old],
                                      snapshot=True)
        self.snapshot("canary_end", counters)
        self.report_share("canary_start", "canary_end", new)
        self.step(f"100 % of live traffic to {self.release}; {self.old_release} drains")
        self.step(f"verifying the live listener {self.stack.url('live')}")
        self.verify("live", "the new version")
        self.guard(now=True)
        retiring, self.old = self.old, []
        self.stack.retire(retiring, "HAProxy drains them already", self.guard)
        self.traffic.leave_test([r.slot for r in new])

    def bake(self, new):
        next_report = self.bake_s / 4
        try:
            for elapsed in poll.ticks():
                done = elapsed >= self.bake_s
                self.guard(now=done)
                servers = self.traffic.servers("live")
                down = [r.slot for r in new if not servers[r.slot].up]
                if down:
                    raise DeployFailed(f"canary replica(s) {', '.join(down)} failed HAProxy's health check")
                if done:
                    return
                if elapsed >= next_report:
                    self.step(f"baking: {elapsed:.1f}/{self.bake_s:g} s, canary healthy, no 5xx")
                    next_report += self.bake_s / 4
        except DeployFailed:
            # Take the canary out of traffic at once, with the counters of that moment
            # (the rollback that follows repeats the switch and retires it).
            counters = self.traffic.shift({r.slot: FULL_WEIGHT for r in self.old}, drain=[r.slot for r in new],
                                          snapshot=True)
            self.snapshot("canary_end", counters)
            self.report_share("canary_start", "canary_end", new)
            raise

    def report_share(self, begin, end, new):
        a, b = self.record["snapshots"][begin], self.record["snapshots"][end]
        total = sum(b[k]["responses"] - a[k]["responses"] for k in b if k in a)
        canary = sum(b[f"live/{r.slot}"]["responses"] - a[f"live/{r.slot}"]["responses"] for r in new)
        share = 100.0 * canary / total if total else 0.0
        self.record["canary_share_percent"] = round(share, 2)
        self.step(f"canary phase: HAProxy counted {canary} of {total} live responses from {self.release} "
                  f"({share:.1f} %, target {self.canary_percent} %)")

    # ---- rollback ---------------------------------------------------------------------
    def rollback(self):
        stack = self.stack
        self.step(f"ROLLBACK to {self.old_release}")
        unadmitted = [r for r in self.new if r.slot not in self.admitted]
        admitted = [r for r in self.new if r.slot in self.admitted]
        stack.remove_now(unadmitted)
        missing = self.count - len(self.old)
        if self.old:
            # The old release takes all traffic again, at once.
            self.traffic.shift({r.slot: FULL_WEIGHT for r in self.old}, drain=[r.slot for r in admitted])
            self.step(f"all live traffic back on {self.old_release} ({', '.join(r.slot for r in self.old)})")
        # Old replicas retired already (rolling): bring them back one at a time.
        for i in range(missing):
            self.step(f"rollback {i + 1}/{missing}: starting {self.old_release}")
            rep = stack.start_replica(stack.free_slots()[0], self.old_release)
            self.old.append(rep)
            stack.enlist([rep])
            stack.wait_up([rep])
            self.traffic.shift({rep.slot: FULL_WEIGHT})
            if admitted:
                victim = admitted.pop(0)
                self.step(f"rollback {i + 1}/{missing}: {self.old_release} replaces {victim.slot}")
                stack.retire([victim], "HAProxy learns it from the ready path")
        stack.retire(admitted, "HAProxy drains them already")
        if not stack.verify(stack.url("live"), self.old_release):
            raise RollbackFailed(f"the live listener does not verify as {self.old_release}")

    # ---- the whole deployment ------------------------------------------------------
    def run(self):
        self.repair()
        self.record["from"] = str(self.old_release)
        if self.release == self.old_release:
            self.step(f"the stack already runs {self.release}: nothing to deploy")
            return 0
        self.step(f"deploy {self.release} over {self.old_release} ({self.strategy}, {self.count} replicas)")
        start = time.monotonic()
        steps = {"rolling": self.rolling, "blue-green": self.blue_green, "canary": self.canary}
        try:
            steps[self.strategy]()
        except (Exception, KeyboardInterrupt) as err:  # any failure rolls back
            reason = str(err) or type(err).__name__
            if not isinstance(err, (StackError, KeyboardInterrupt)):
                traceback.print_exc()
            self.step(f"FAILED: {reason}")
            self.record.update(result="rolling back", reason=reason)
            self.save(start)
            try:
                self.rollback()
            except BaseException as rollback_err:
                problem = str(rollback_err) or type(rollback_err).__name__
                self.record.update(result="rollback failed", rollback_error=problem)
                self.save(start)
                words = self.out.words
                raise RollbackFailed(
                    f"deploy of {self.release} FAILED ({reason}) and its ROLLBACK FAILED ({problem}); the stack "
                    f"may serve both releases: '{words.command('status')}' shows what runs, and the next "
                    f"'{words.command('deploy')}' repairs it first (or '{words.command('down')}' and "
                    f"'{words.command('up')}')") from rollback_err
            self.record.update(result="rolled back")
            self.save(start)
            self.step(f"deploy of {self.release} FAILED ({reason}); rolled back: every replica serves "
                      f"{self.old_release} again")
            return 1
        self.record.update(result="deployed")
        self.save(start)
        self.step(f"deployed {self.release} ({self.strategy}) in {time.monotonic() - start:.1f} s: "
                  f"{self.count} replicas serve it")
        return 0

    def save(self, start):
        self.record["seconds"] = round(time.monotonic() - start, 1)
        path = self.stack.dir / "last-deploy.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.record, indent=2) + "\n")
        tmp.replace(path)

