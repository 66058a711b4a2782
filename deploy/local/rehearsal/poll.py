"""The one polling helper behind every wait of the rehearsal: until HAProxy's runtime API
answers, a replica passes its health check, a stopped replica exits, a bake ends."""
import time

# Often enough to see a health-check transition within a tenth of its interval at the
# fastest TIME_SCALE, rarely enough to cost nothing next to the replicas.
INTERVAL_S = 0.1


def ticks(interval_s=INTERVAL_S, clock=time.monotonic, sleep=time.sleep):
    """Yields the seconds since the first tick, then sleeps interval_s before the next:
    `for elapsed in ticks(): ...; if done: break`. The caller decides when to stop."""
    start = clock()
    while True:
        yield clock() - start
        sleep(interval_s)


def until(condition, timeout_s, interval_s=INTERVAL_S, clock=time.monotonic, sleep=time.sleep):
    """Calls condition() until it returns something true (returned) or timeout_s has
    passed (None is returned, after one last call)."""
    for elapsed in ticks(interval_s, clock, sleep):
        result = condition()
        if result or elapsed >= timeout_s:
            return result or None
