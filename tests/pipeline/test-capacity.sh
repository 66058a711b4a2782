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

# The 0.25 vCPU figures of one server, as the benchmark section gives them: "RPS|RUNS|P99".
quota_figures() {
  grep -F "| $1 | " "$doc" | sed -nE 's/.* \| ([0-9]+) \(([0-9, ]+)\) \| ([0-9.]+) ms \|$/\1|\2|\3/p' | head -1
}
IFS='|' read -r hello_rps hello_runs hello_p99 <<<"$(quota_figures hello-service)"
IFS='|' read -r seed_rps seed_runs seed_p99 <<<"$(quota_figures "seed: Flask + gunicorn (2 sync)")"
if [ -z "$hello_rps" ] || [ -z "$seed_rps" ]; then
  fail "the benchmark section's 0.25 vCPU figures are readable here" "hello-service: '$hello_rps', seed: '$seed_rps'"
  finish
  exit 1
fi

# 2. A table cell changed by hand is found.
# (The first bold total, **$X**, becomes **$9X**; the $ is the text's, not the shell's.)
# shellcheck disable=SC2016
sed '0,/\*\*\$/s/\*\*\$/**$9/' "$doc" >"$work/edited.md"
if cmp -s "$doc" "$work/edited.md"; then
  fail "a hand-edited plan cell is found" "the edit did not apply: no total (**\$...**) in the plan"
else
  expect_fail "a hand-edited plan cell is found" 1 "differs from the script's output" plan --check --doc "$work/edited.md"
fi

# 3. The plan follows the measured figures: halve hello-service's 0.25 vCPU rate in the
# benchmark section and the section no longer matches; regenerated, it plans more tasks.
half=$((hello_rps / 2))
sed -E "s/^(\| hello-service \|.*\| )$hello_rps \($hello_runs\)( \|)/\1$half ($half, $half, $half)\2/" \
  "$doc" >"$work/slower.md"
want=$(awk -v r="$half" 'BEGIN { n = int(100000 / (r * 0.7)); if (n * r * 0.7 < 100000) n++; if (n < 2) n = 2; print n }')
if cmp -s "$doc" "$work/slower.md"; then
  fail "the plan follows the benchmark's figures" "the edit did not apply: the 0.25 vCPU row of hello-service changed shape"
else
  expect_fail "the plan follows the benchmark's figures (a changed rate makes the doc stale)" 1 \
    "differs from the script's output" plan --check --doc "$work/slower.md"
  run_capture plan --doc "$work/slower.md"
  if grep -qF "| hello-service | 100,000 | $want | $want |" <<<"$out"; then
    pass "half the rate ($half req/s) plans $want tasks for 100k req/s"
  else
    fail "half the rate ($half req/s) plans $want tasks for 100k req/s" "$(grep -F '| hello-service | 100,000 |' <<<"$out" | head -1)"
  fi
fi

# 4. bench/run.py's results file (its format, with the doc's figures) gives the plan the doc gives.
# shellcheck disable=SC2016 # the backquotes are the doc's
jq -n --argjson hr "$hello_rps" --argjson hruns "[$hello_runs]" --argjson hp "$hello_p99" \
  --argjson sr "$seed_rps" --argjson sruns "[$seed_runs]" --argjson sp "$seed_p99" \
  --arg date "$(sed -nE 's/^Measured by `make bench` on ([0-9-]+):.*/\1/p' "$doc" | head -1)" \
  '{complete: true,
    meta: {date: $date, machine: {cpu: "AMD EPYC", cores: 2}, duration: 8},
    results: {
      "hello-service": {rss_loaded_kib: 4813, quota: {rps: ($hr + 0.4), all_rps: $hruns, p99_ms: $hp}},
      "seed": {rss_loaded_kib: 101581, quota: {rps: ($sr - 0.4), all_rps: $sruns, p99_ms: $sp}}}}' \
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
# 100k req/s as production runs it (x86 on demand, keep-alive clients, ha_nat), written
# as the doc writes its row of "The month, added up".
price() { jq -r ".prices.$1.value" "$prices"; }
size() { jq -r ".servers[\"hello-service\"].$1" "$sizes"; }
expected=$(awk -v rps="$hello_rps" -v load=100000 -v req="$(size request_bytes)" -v resp="$(size response_bytes)" \
  -v logb="$(size log_bytes)" -v vcpu="$(price fargate_x86_vcpu_hour)" -v gbh="$(price fargate_x86_gb_hour)" \
  -v albh="$(price alb_hour)" -v lcuh="$(price alb_lcu_hour)" -v ip="$(price public_ipv4_hour)" \
  -v nath="$(price nat_gateway_hour)" -v natgb="$(price nat_gateway_gb)" -v logs="$(price logs_ingestion_gb)" \
  -v d0="$(price data_out_free_gb)" -v d1="$(price data_out_first_10tb_gb)" -v d2="$(price data_out_next_40tb_gb)" \
  -v d3="$(price data_out_next_100tb_gb)" -v d4="$(price data_out_over_150tb_gb)" '
  function commas(s,   out) { out = ""; while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) } return s out }
  function money(x) { return x >= 100 ? "$" commas(sprintf("%.0f", x)) : sprintf("$%.2f", x) }
  BEGIN {
    h = 730; s = h * 3600; gb = 1073741824
    per = rps * 0.70; tasks = int(load / per); if (tasks * per < load) tasks++; if (tasks < 2) tasks = 2
    fargate = tasks * (0.25 * vcpu + 0.5 * gbh) * h
    # keep-alive clients: 100 requests a connection, then open 60 s
    lcu = load * (req + resp) * 3600 / gb; new = load / 100 / 25; act = load / 100 * 60 / 3000
    if (new > lcu) lcu = new; if (act > lcu) lcu = act
    alb = h * (albh + lcu * lcuh + 2 * ip)
    loggb = load * logb * s / gb; logcost = loggb * logs
    nat = 2 * (nath + ip) * h + loggb * natgb
    left = load * resp * s / gb - d0
    t = 10 * 1024 - d0; x = (left < t ? left : t); out = x * d1; left -= x
    x = (left < 40 * 1024 ? left : 40 * 1024); out += x * d2; left -= x
    x = (left < 100 * 1024 ? left : 100 * 1024); out += x * d3; left -= x
    out += left * d4
    total = fargate + alb + logcost + nat + out
    printf "| hello-service | 100,000 | %d | %s | %s | %s | %s | %s | **%s** |", tasks, money(fargate), money(alb),
      money(logcost), money(nat), money(out), money(total)
  }')
if grep -qF "$expected" "$doc"; then
  pass "hello-service at 100k req/s, recomputed here, is the doc's row"
else
  fail "hello-service at 100k req/s, recomputed here, is the doc's row" "recomputed: $expected" \
    "doc:        $(grep -F '| hello-service | 100,000 |' "$doc" | grep -F '**' || echo '<none>')"
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
