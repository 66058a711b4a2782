#!/usr/bin/env bash
# The capacity plan in docs/OPTIMIZATION.md: equal to bench/capacity.py's output, following
# the measured figures it is made from, one row recomputed here independently, and a price
# table refused when an entry lacks its source or the day it was read.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
python=${PYTHON:-python3}
capacity=$REPO_ROOT/bench/capacity.py
doc=$REPO_ROOT/docs/OPTIMIZATION.md
prices=$REPO_ROOT/bench/prices.json
sizes=$REPO_ROOT/bench/capacity-sizes.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

plan() { "$python" "$capacity" "$@"; }

# 1. The section in the doc is the script's output, byte for byte.
expect_ok "the Capacity plan in docs/OPTIMIZATION.md equals bench/capacity.py's output" plan --check

# 2. A table cell changed by hand is found.
sed 's/^| hello-service | 100,000 | keep-alive | 1,000 |/| hello-service | 100,000 | keep-alive | 999 |/' "$doc" >"$work/edited.md"
if cmp -s "$doc" "$work/edited.md"; then
  fail "a hand-edited plan cell is found" "the edit did not apply: the ALB table's row for hello-service at 100k changed shape"
else
  expect_fail "a hand-edited plan cell is found" 1 "differs from the script's output" plan --check --doc "$work/edited.md"
fi

# 3. The plan follows the measured figures: halve hello-service's 0.25 vCPU rate in the
# benchmark section and the section no longer matches; regenerated, it plans more tasks.
sed 's/^| hello-service | \(.*\) | 26305 (25695, 26305, 26907) |/| hello-service | \1 | 13000 (13000, 13000, 13000) |/' \
  "$doc" >"$work/slower.md"
if cmp -s "$doc" "$work/slower.md"; then
  fail "the plan follows the benchmark's figures" "the edit did not apply: the 0.25 vCPU row of hello-service changed"
else
  expect_fail "the plan follows the benchmark's figures (a changed rate makes the doc stale)" 1 \
    "differs from the script's output" plan --check --doc "$work/slower.md"
  run_capture plan --doc "$work/slower.md"
  # 13000 x 0.7 = 9100 req/s per task: 100k needs 11 tasks.
  if grep -qF '| hello-service | 100,000 | 11 | 11 |' <<<"$out"; then
    pass "a halved rate plans 11 tasks for 100k req/s"
  else
    fail "a halved rate plans 11 tasks for 100k req/s" "$(grep -F '| hello-service | 100,000 |' <<<"$out" | head -1)"
  fi
fi

# 4. bench/run.py's results file gives the same plan as the doc it wrote.
jq -n '{complete: true,
        meta: {date: "2026-11-26", machine: {cpu: "AMD EPYC", cores: 2}, duration: 8},
        results: {
          "hello-service": {rss_loaded_kib: 4813, quota: {rps: 26305.4, all_rps: [25695, 26305, 26907], p99_ms: 74.4}},
          "nginx": {rss_loaded_kib: 12698, quota: {rps: 20783.1, all_rps: [23531, 20783, 20134], p99_ms: 77.0}},
          "seed": {rss_loaded_kib: 101581, quota: {rps: 848.2, all_rps: [708, 1040, 848], p99_ms: 103.3}}}}' \
  >"$work/results.json"
run_capture plan --results "$work/results.json"
if [ "$rc" -eq 0 ] && [ "$out" = "$(plan --doc "$doc")" ]; then
  pass "bench/run.py's results file gives the plan the doc gives"
else
  fail "bench/run.py's results file gives the plan the doc gives" "exit $rc" "$(diff <(plan --doc "$doc") <(printf '%s\n' "$out") | head -5)"
fi
jq '.complete = false' "$work/results.json" >"$work/partial.json"
expect_fail "a results file from a run that stopped is refused" 2 "did not complete" plan --results "$work/partial.json"

# 5. One row recomputed here, from the same inputs, without the script: hello-service at
# 100k req/s as production runs it (x86 on demand, keep-alive clients, ha_nat).
price() { jq -r ".prices.$1.value" "$prices"; }
size() { jq -r ".servers[\"hello-service\"].$1" "$sizes"; }
expected=$(awk -v rps=26305 -v load=100000 -v req="$(size request_bytes)" -v resp="$(size response_bytes)" \
  -v logb="$(size log_bytes)" -v vcpu="$(price fargate_x86_vcpu_hour)" -v gbh="$(price fargate_x86_gb_hour)" \
  -v albh="$(price alb_hour)" -v lcuh="$(price alb_lcu_hour)" -v ip="$(price public_ipv4_hour)" \
  -v nath="$(price nat_gateway_hour)" -v natgb="$(price nat_gateway_gb)" -v logs="$(price logs_ingestion_gb)" \
  -v d0="$(price data_out_free_gb)" -v d1="$(price data_out_first_10tb_gb)" -v d2="$(price data_out_next_40tb_gb)" \
  -v d3="$(price data_out_next_100tb_gb)" -v d4="$(price data_out_over_150tb_gb)" 'BEGIN {
    h = 730; s = h * 3600; gb = 1073741824
    per = rps * 0.70; tasks = int(load / per); if (tasks * per < load) tasks++; if (tasks < 2) tasks = 2
    fargate = tasks * (0.25 * vcpu + 0.5 * gbh) * h
    # keep-alive: 100 requests a connection, open 60 s; bytes dominate at this size
    lcu = load * (req + resp) * 3600 / gb; new = load / 100 / 25; act = load / 100 * 60 / 3000
    if (new > lcu) lcu = new; if (act > lcu) lcu = act
    alb = h * (albh + lcu * lcuh + 2 * ip)
    loggb = load * logb * s / gb
    nat = 2 * (nath + ip) * h + loggb * natgb
    out = load * resp * s / gb; left = out - d0
    t1 = 10 * 1024 - d0; x = (left < t1 ? left : t1); cost = x * d1; left -= x
    x = (left < 40 * 1024 ? left : 40 * 1024); cost += x * d2; left -= x
    x = (left < 100 * 1024 ? left : 100 * 1024); cost += x * d3; left -= x
    cost += left * d4
    total = fargate + alb + loggb * logs + nat + cost
    printf "%d tasks, Fargate $%.2f, ALB $%.0f, total $%s", tasks, fargate, alb, sprintf("%.0f", total)
  }')
total=${expected##*total \$}
total=$(sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$total")  # 35800 -> 35,800, as the doc writes it
row=$(grep -F "| hello-service | 100,000 | 6 | \$54.06 |" "$doc" || true)
expect_eq "hello-service at 100k req/s, recomputed here: tasks and Fargate" "6 tasks, Fargate \$54.06" "${expected%%, ALB*}"
if [ -n "$row" ] && grep -qF "**\$$total**" <<<"$row"; then
  pass "hello-service at 100k req/s, recomputed here: the month's total ($expected)"
else
  fail "hello-service at 100k req/s, recomputed here: the month's total" "recomputed: $expected (\$$total)" \
    "doc row:    ${row:-<none>}"
fi

# 6. A price table entry without its source or the day it was read is refused.
expect_fail "a price without a source is refused" 2 "prices\.alb_lcu_hour has no source" \
  plan --prices <(jq 'del(.prices.alb_lcu_hour.source)' "$prices")
expect_fail "a price whose source is not a URL is refused" 2 "prices\.nat_gateway_gb has no source" \
  plan --prices <(jq '.prices.nat_gateway_gb.source = "the AWS website"' "$prices")
expect_fail "a price without a read date is refused" 2 "prices\.fargate_x86_vcpu_hour has no read date" \
  plan --prices <(jq 'del(.prices.fargate_x86_vcpu_hour.read)' "$prices")
expect_fail "a read date that is not a date is refused" 2 "lcu\.free_rules has no read date" \
  plan --prices <(jq '.lcu.free_rules.read = "December 2026"' "$prices")
expect_fail "a read date still to come is refused" 2 "limits\.targets_per_alb was read on 2999-01-01" \
  plan --prices <(jq '.limits.targets_per_alb.read = "2999-01-01"' "$prices")
expect_fail "a limit without a source is refused" 2 "limits\.fargate_on_demand_vcpu has no source" \
  plan --prices <(jq 'del(.limits.fargate_on_demand_vcpu.source)' "$prices")
expect_fail "a missing price is refused" 2 "prices\.logs_ingestion_gb is missing" \
  plan --prices <(jq 'del(.prices.logs_ingestion_gb)' "$prices")
expect_fail "a doc without the benchmark section is refused" 2 "has no section .## The service against nginx" \
  plan --doc <(printf '# Optimization\n')

finish
