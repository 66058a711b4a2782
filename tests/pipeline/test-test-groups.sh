#!/usr/bin/env bash
# tools/run-test-groups, what `make test` runs: lanes run side by side, every group runs
# even after a failure and each failure is named, each group's output is shown whole,
# a stop ends every running group with what it started, bad usage is refused.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
runner=$REPO_ROOT/tools/run-test-groups

# Test groups as make targets. one and two pass only when they run at the same time.
cat >"$tmp/Makefile" <<'EOF'
wait_for = for i in $$(seq 1 100); do [ -e $(1) ] && break; sleep 0.1; done; [ -e $(1) ]
one:
	@touch one.mark; echo "one started"; $(call wait_for,two.mark) && echo "one saw two"
two:
	@touch two.mark; echo "two started"; $(call wait_for,one.mark) && echo "two saw one"
broken:
	@echo "broken says why"; exit 3
after-broken:
	@echo "after-broken ran"
pad:
	@true
long:
	@sleep 61.25 & echo $$! >long.pid; wait
EOF
run() { (cd "$tmp" && rm -f ./*.mark && PROGRESS_S=1 "$runner" --log-dir "$tmp/logs" "$@"); }

expect_ok "two lanes run at the same time" run one two
expect_eq "each group's output whole, framed" "==> ---- output of make one (passed, exit 0) ----,one started,one saw two,==> ---- end of make one ----" \
  "$(grep -A3 -F -- '---- output of make one' <<<"$out" | paste -sd, -)"
expect_eq "the closing line counts both" "==> all 2 test groups passed" "$(tail -1 <<<"$out" | sed 's/ in [0-9]* s$//')"
expect_eq "each group's time and CPU in the closing table" "one passed s s CPU" \
  "$(grep -E '^ +one +passed +[0-9]+ s +[0-9]+ s CPU$' <<<"$out" | tr -d '0-9' | tr -s ' ' | sed 's/^ //')"
expect_fail "one lane runs its groups one after another" 1 "FAILED test groups: one \\(after" run "one two"
expect_eq "one lane: each group's CPU too" 1 "$(grep -cE '^==> two passed in [0-9]+ s \([0-9]+ s of CPU\)$' <<<"$out")"

expect_fail "a failed group fails the run, named" 1 "FAILED test groups: broken" run "broken after-broken" pad
expect_eq "the groups after it in its lane still run" "after-broken ran" "$(grep -x 'after-broken ran' <<<"$out")"
expect_eq "its output is shown, with its exit status" "==> ---- output of make broken (FAILED, exit 2) ----,broken says why" \
  "$(grep -A1 -F -- '---- output of make broken' <<<"$out" | paste -sd, -)"

expect_fail "no lane is a usage error" 2 "usage: " run
expect_fail "an unknown option is a usage error" 2 "usage: " run --jobs 2 one
expect_fail "a bad PROGRESS_S is refused" 2 "PROGRESS_S must be" env PROGRESS_S=soon "$runner" one

# A stop (TERM, as CI's cancel or Ctrl-C's INT) ends the running groups and what they started.
(cd "$tmp" && PROGRESS_S=1 exec "$runner" --log-dir "$tmp/stop-logs" "long after-broken" pad >"$tmp/stop.out" 2>&1) &
stopped=$!
for _ in $(seq 1 100); do [ -s "$tmp/long.pid" ] && break; sleep 0.1; done
child=$(cat "$tmp/long.pid" 2>/dev/null || echo none)
kill -TERM "$stopped"
rc=0
timeout 20 tail --pid="$stopped" -f /dev/null || rc=$?
wait "$stopped" || rc=$?
expect_eq "TERM: the runner exits 143" 143 "$rc"
# Gone, or a zombie waiting for init to reap it (killed, its parent gone).
alive() { case $(ps -o stat= -p "$1" 2>/dev/null) in '' | Z*) return 1 ;; *) return 0 ;; esac; }
sleep 0.5
if [ "$child" != none ] && ! alive "$child"; then
  pass "TERM: what a running group started is stopped too"
else
  fail "TERM: what a running group started is stopped too" "process $child ($(ps -o args= -p "$child" 2>/dev/null || echo 'no pid')) still runs"
  kill "$child" 2>/dev/null || true
fi
sleep 1
if [ ! -e "$tmp/stop-logs/after-broken.log" ]; then
  pass "TERM: the lane starts no further group"
else
  fail "TERM: the lane starts no further group" "after-broken started: $(cat "$tmp/stop-logs/after-broken.log")"
fi

finish
