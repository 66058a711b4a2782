#!/usr/bin/env python3
"""Capacity plan: tasks, monthly cost and the next limit at 1k, 10k and 100k requests/s.

Made from our own measured figures and a dated, sourced price table, nothing else:
  - requests/s per task at 0.25 vCPU: the generated benchmark section of
    docs/OPTIMIZATION.md (written by `make bench`), or bench/run.py's results file;
  - bytes per request on the wire and in the access log: bench/capacity-sizes.json,
    written by `bench/capacity.py measure` (one request to each server on 127.0.0.1);
  - the task size, zones, autoscaling target and ALB idle timeout: the defaults in
    infrastructure/terraform (variables.tf, timing.json, modules/vpc);
  - prices and limits: bench/prices.json, each entry with its source and the day it
    was read (an entry without either is refused).

Usage:
  bench/capacity.py                 print the "Capacity plan" section
  bench/capacity.py --write         ... and put it into docs/OPTIMIZATION.md
  bench/capacity.py --check         exit 1 if docs/OPTIMIZATION.md's section differs
  bench/capacity.py --results FILE  take the per-task figures from bench/run.py's results
  bench/capacity.py measure         measure the sizes again (needs the release binary
                                    and gunicorn with Flask; bench/run.sh installs them)
"""
import argparse
import datetime
import difflib
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import DocError, free_port, replace_section, section as section_in  # noqa: E402 (bench/ is on the path only now)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "OPTIMIZATION.md")
PRICES = os.path.join(ROOT, "bench", "prices.json")
SIZES = os.path.join(ROOT, "bench", "capacity-sizes.json")
TERRAFORM = os.path.join(ROOT, "infrastructure", "terraform")
SERVICE = os.path.join(ROOT, "build", "release", "src", "hello-service")
SEED_DIR = os.path.join(ROOT, "bench", "seed")

SECTION = "## Capacity plan"
BENCH_SECTION = "## The service against nginx and the seed's Flask stack"
SERVERS = {  # key: (label in the benchmark tables, label here)
    "hello-service": ("hello-service", "hello-service"),
    "seed": ("seed: Flask + gunicorn (2 sync)", "seed (Flask + gunicorn, 2 sync workers)"),
}
LOADS = (1_000, 10_000, 100_000)

HOURS_PER_MONTH = 730  # 365 days x 24 hours / 12, as AWS's calculator counts a month
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
GB = 2 ** 30  # bytes in the GB that the per-GB prices and the LCU's "1 GB per hour" count
TB_GB = 1024

# How clients use connections: not measured by us (the benchmark holds 64 connections
# open, as the ALB does toward the tasks). Two cases bound the ALB's bill:
#   keep-alive: each client connection carries this many requests, then stays open
#     until the ALB's idle timeout closes it;
#   one request per connection: a new connection (and TLS handshake) for every request,
#     each open for about this long.
REQUESTS_PER_KEEPALIVE_CONNECTION = 100
ONE_SHOT_CONNECTION_S = 1.0
# Listener rules a request passes: modules/alb has one (the blocked /metrics paths)
# before the default action.
LISTENER_RULES = 1
# The profiles of modules/vpc: NAT gateways per profile, interface endpoints.
PROFILES = ("ha_nat", "single_nat", "endpoints_only")


class PlanError(Exception):
    pass


# ---------------------------------------------------------------- inputs

def load_prices(path):
    """The price table, every entry checked for a value, a source URL and a read date."""
    try:
        with open(path) as f:
            table = json.load(f)
    except OSError as e:
        raise PlanError(f"cannot read the price table {path}: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise PlanError(f"{path} is not valid JSON: {e}") from e
    problems = []
    today = datetime.date.today()
    for group in ("prices", "lcu", "limits"):
        entries = table.get(group)
        if not isinstance(entries, dict) or not entries:
            problems.append(f"no '{group}' object")
            continue
        for name, entry in entries.items():
            where = f"{group}.{name}"
            if not isinstance(entry, dict):
                problems.append(f"{where} is not an object")
                continue
            value = entry.get("value")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                problems.append(f"{where} has no value (a number >= 0)")
            source = entry.get("source")
            if not isinstance(source, str) or not re.match(r"^https://\S+$", source):
                problems.append(f"{where} has no source (an https:// URL)")
            read = entry.get("read")
            try:
                day = datetime.date.fromisoformat(read) if isinstance(read, str) else None
            except ValueError:
                day = None
            if day is None:
                problems.append(f"{where} has no read date (YYYY-MM-DD, the day the source was read)")
            elif day > today:
                problems.append(f"{where} was read on {read}, a day still to come")
    required = {
        "prices": ("fargate_x86_vcpu_hour", "fargate_x86_gb_hour", "fargate_arm_vcpu_hour", "fargate_arm_gb_hour",
                   "fargate_spot_discount", "alb_hour", "alb_lcu_hour", "nat_gateway_hour", "nat_gateway_gb",
                   "public_ipv4_hour", "interface_endpoint_hour", "interface_endpoint_gb", "logs_ingestion_gb",
                   "data_out_free_gb", "data_out_first_10tb_gb", "data_out_next_40tb_gb", "data_out_next_100tb_gb",
                   "data_out_over_150tb_gb"),
        "lcu": ("new_connections_per_s", "active_connections", "processed_gb_per_hour", "rule_evaluations_per_s",
                "free_rules"),
        "limits": ("targets_per_target_group", "targets_per_alb", "tasks_per_service", "fargate_on_demand_vcpu",
                   "fargate_launch_rate_per_s", "nat_gateway_gbps", "nat_connections_per_destination"),
    }
    for group, names in required.items():
        for name in names:
            if isinstance(table.get(group), dict) and name not in table[group]:
                problems.append(f"{group}.{name} is missing")
    if table.get("region") != "us-east-1":
        problems.append("region is not us-east-1 (the plan's prices are for us-east-1)")
    if problems:
        raise PlanError(f"{os.path.relpath(path, ROOT)}: " + "; ".join(problems))
    return {group: {name: e["value"] for name, e in table[group].items()} for group in ("prices", "lcu", "limits")} | {
        "entries": table}


def bench_from_doc(path):
    """Per-task figures from the benchmark section bench/run.py writes into the doc."""
    text = read_text(path)
    section = section_in(text, BENCH_SECTION)
    if section is None:
        raise PlanError(f"{path} has no section '{BENCH_SECTION}' (run `make bench`)")
    m = re.search(r"Measured by `([^`]+)` on (\d{4}-\d{2}-\d{2}): ([^,]+), (\d+) cores", section)
    if not m:
        raise PlanError(f"{path}: the benchmark section names no command, date and machine")
    result = {"command": m.group(1), "date": m.group(2), "machine": f"{m.group(3)}, {m.group(4)} cores",
              "servers": {}}
    lines = section.splitlines()
    header = next((i for i, line in enumerate(lines) if "req/s at 0.25 vCPU" in line and line.startswith("|")), None)
    if header is None:
        raise PlanError(f"{path}: the benchmark section has no 'req/s at 0.25 vCPU' table")
    columns = [c.strip() for c in lines[header].strip("|").split("|")]
    rps_col = next(i for i, c in enumerate(columns) if c.startswith("req/s at 0.25 vCPU"))
    p99_col = next((i for i, c in enumerate(columns) if c.startswith("p99 at 0.25 vCPU")), None)
    after_col = next((i for i, c in enumerate(columns) if c == "after load"), None)
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        for key, (label, _) in SERVERS.items():
            if cells[0] != label:
                continue
            m = re.match(r"^(\d+(?:\.\d+)?) \(([\d, ]+)\)$", cells[rps_col])
            if not m:
                raise PlanError(f"{path}: cannot read req/s at 0.25 vCPU for {label}: {cells[rps_col]!r}")
            result["servers"][key] = {
                "rps": float(m.group(1)),
                "runs": [int(x) for x in m.group(2).split(",")],
                "p99_ms": float(cells[p99_col].split()[0]) if p99_col is not None else None,
                "rss_mib": float(cells[after_col].split()[0]) if after_col is not None else None,
            }
    missing = [SERVERS[k][0] for k in SERVERS if k not in result["servers"]]
    if missing:
        raise PlanError(f"{path}: no 0.25 vCPU figure for {', '.join(missing)}")
    return result


def bench_from_results(path):
    """Per-task figures from bench/run.py's results file (build/bench/results.json)."""
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise PlanError(f"cannot read the results file {path}: {e}") from e
    meta, results = doc.get("meta", {}), doc.get("results", {})
    if not doc.get("complete"):
        raise PlanError(f"{path} is from a run that did not complete")
    machine = meta.get("machine", {})
    result = {"command": "make bench", "date": meta.get("date", "?"),
              "machine": f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores", "servers": {}}
    for key in SERVERS:
        quota = results.get(key, {}).get("quota")
        if not quota:
            raise PlanError(f"{path} has no 0.25 vCPU figure for {key} (was it run with --no-quota?)")
        result["servers"][key] = {"rps": float(round(quota["rps"])), "runs": list(quota["all_rps"]),
                                  "p99_ms": round(quota["p99_ms"], 1),
                                  "rss_mib": round(results[key]["rss_loaded_kib"] / 1024, 1)}
    return result


def load_sizes(path):
    try:
        with open(path) as f:
            sizes = json.load(f)
    except OSError as e:
        raise PlanError(f"cannot read {path}: {e.strerror} (run `bench/capacity.py measure`)") from e
    except json.JSONDecodeError as e:
        raise PlanError(f"{path} is not valid JSON: {e}") from e
    for key in SERVERS:
        s = sizes.get("servers", {}).get(key)
        if not s or not all(isinstance(s.get(k), int) for k in ("request_bytes", "response_bytes", "log_bytes")):
            raise PlanError(f"{path}: no request, response and log sizes for {key}")
    return sizes


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        raise PlanError(f"cannot read {path}: {e.strerror}") from e


def terraform_defaults():
    """The defaults the plan takes from our Terraform, so that it follows the infrastructure."""
    variables = read_text(os.path.join(TERRAFORM, "variables.tf"))

    def default(name):
        m = re.search(r'variable "' + name + r'" \{(.*?)\n\}', variables, re.S)
        d = m and re.search(r"^\s*default\s*=\s*(\d+)\s*$", m.group(1), re.M)
        if not d:
            raise PlanError(f"infrastructure/terraform/variables.tf: no numeric default for {name}")
        return int(d.group(1))

    def autoscaling(name):
        m = re.search(r"^\s*" + name + r"\s*=\s*optional\(number,\s*(\d+)\)", variables, re.M)
        if not m:
            raise PlanError(f"infrastructure/terraform/variables.tf: no default for autoscaling.{name}")
        return int(m.group(1))

    timing = json.loads(read_text(os.path.join(TERRAFORM, "timing.json")))
    vpc = read_text(os.path.join(TERRAFORM, "modules", "vpc", "main.tf"))
    m = re.search(r"interface_endpoints\s*=.*?toset\(\[([^\]]*)\]\)", vpc)
    if not m:
        raise PlanError("infrastructure/terraform/modules/vpc/main.tf: no interface endpoint list")
    endpoints = re.findall(r'"([^"]+)"', m.group(1))
    return {
        "cpu_units": default("cpu"), "memory_mib": default("memory"), "az_count": default("az_count"),
        "desired_count": default("desired_count"),
        "cpu_target": autoscaling("cpu_target_percent"), "max_capacity": autoscaling("max_capacity"),
        "min_capacity": autoscaling("min_capacity"),
        "requests_per_target": autoscaling("requests_per_target"),
        "scale_out_cooldown": autoscaling("scale_out_cooldown"),
        "alb_idle_timeout_s": timing["alb_idle_timeout_s"], "endpoints": endpoints,
    }


# ---------------------------------------------------------------- the arithmetic

def data_out_cost(gb, p):
    """Tiered internet data transfer out: the free allowance, then 10 / 40 / 100 TB tiers."""
    tiers = [(p["data_out_free_gb"], 0.0), (10 * TB_GB - p["data_out_free_gb"], p["data_out_first_10tb_gb"]),
             (40 * TB_GB, p["data_out_next_40tb_gb"]), (100 * TB_GB, p["data_out_next_100tb_gb"]),
             (math.inf, p["data_out_over_150tb_gb"])]
    cost, left = 0.0, gb
    for size, price in tiers:
        take = min(left, size)
        cost += take * price
        left -= take
        if left <= 0:
            break
    return cost


def alb_lcus(load, request_bytes, response_bytes, keepalive, tf, lcu):
    """LCUs of a steady load: each dimension, and the one billed (the largest)."""
    if keepalive:
        new_per_s = load / REQUESTS_PER_KEEPALIVE_CONNECTION
        active = new_per_s * tf["alb_idle_timeout_s"]
    else:
        new_per_s = load
        active = load * ONE_SHOT_CONNECTION_S
    gb_per_hour = load * (request_bytes + response_bytes) * 3600 / GB
    rules = load * max(0, LISTENER_RULES - lcu["free_rules"])
    dims = {
        "new": new_per_s / lcu["new_connections_per_s"],
        "active": active / lcu["active_connections"],
        "bytes": gb_per_hour / lcu["processed_gb_per_hour"],
        "rules": rules / lcu["rule_evaluations_per_s"],
    }
    return {"new_per_s": new_per_s, "active": active, "gb_per_hour": gb_per_hour, "dims": dims,
            "billed": max(dims.values()), "dominant": max(dims, key=dims.get)}


def plan(bench, sizes, prices, tf):
    p, lim = prices["prices"], prices["limits"]
    target = tf["cpu_target"] / 100
    vcpu = tf["cpu_units"] / 1024
    mem_gb = tf["memory_mib"] / 1024
    rows = []
    for key in SERVERS:
        b, s = bench["servers"][key], sizes["servers"][key]
        per_task = b["rps"] * target
        for load in LOADS:
            cpu_tasks = math.ceil(load / per_task)
            tasks = max(cpu_tasks, tf["az_count"])

            def fargate(vcpu_price, gb_price):
                return tasks * (vcpu * vcpu_price + mem_gb * gb_price) * HOURS_PER_MONTH

            x86 = fargate(p["fargate_x86_vcpu_hour"], p["fargate_x86_gb_hour"])
            arm = fargate(p["fargate_arm_vcpu_hour"], p["fargate_arm_gb_hour"])
            spot = 1 - p["fargate_spot_discount"]
            albs = {}
            for name, keepalive in (("keepalive", True), ("one_shot", False)):
                l = alb_lcus(load, s["request_bytes"], s["response_bytes"], keepalive, tf, prices["lcu"])
                l["cost"] = HOURS_PER_MONTH * (p["alb_hour"] + l["billed"] * p["alb_lcu_hour"] +
                                                tf["az_count"] * p["public_ipv4_hour"])
                albs[name] = l
            log_gb = load * s["log_bytes"] * SECONDS_PER_MONTH / GB
            network = {
                "ha_nat": tf["az_count"] * (p["nat_gateway_hour"] + p["public_ipv4_hour"]) * HOURS_PER_MONTH
                + log_gb * p["nat_gateway_gb"],
                "single_nat": (p["nat_gateway_hour"] + p["public_ipv4_hour"]) * HOURS_PER_MONTH
                + log_gb * p["nat_gateway_gb"],
                "endpoints_only": len(tf["endpoints"]) * tf["az_count"] * p["interface_endpoint_hour"] * HOURS_PER_MONTH
                + log_gb * p["interface_endpoint_gb"],
            }
            out_gb = load * s["response_bytes"] * SECONDS_PER_MONTH / GB
            row = {
                "key": key, "load": load, "per_task": per_task, "cpu_tasks": cpu_tasks, "tasks": tasks,
                "vcpu": tasks * vcpu, "deploy_vcpu": 2 * tasks * vcpu,
                "x86": x86, "x86_spot": x86 * spot, "arm": arm, "arm_spot": arm * spot,
                "alb": albs, "log_gb": log_gb, "logs": log_gb * p["logs_ingestion_gb"], "network": network,
                "out_gb": out_gb, "data_out": data_out_cost(out_gb, p),
            }
            row["total"] = row["x86"] + albs["keepalive"]["cost"] + row["logs"] + network["ha_nat"] + row["data_out"]
            # The same month without the access log (its ingestion and its NAT bytes), to
            # compare with the seed, which runs without one.
            row["total_no_log"] = row["total"] - row["logs"] - log_gb * p["nat_gateway_gb"]
            row["per_million"] = row["total"] / (load * SECONDS_PER_MONTH / 1e6)
            rows.append(row)
    limits = []
    for key in SERVERS:
        per_task = bench["servers"][key]["rps"] * target
        # Each limit as the number of tasks the service may run in steady state; rolling
        # and CodeDeploy deployments start a full second set (deployment_maximum_percent 200).
        task_caps = [
            ("autoscaling max_capacity (our Terraform default)", tf["max_capacity"],
             f"{tf['max_capacity']} tasks"),
            ("Fargate On-Demand vCPU quota (default), with a deployment's second set",
             lim["fargate_on_demand_vcpu"] / (2 * vcpu), f"{lim['fargate_on_demand_vcpu']:g} vCPU"),
            ("targets per target group, with a deployment's second set",
             lim["targets_per_target_group"] / 2, f"{lim['targets_per_target_group']:,} targets"),
            ("targets per ALB, with a deployment's second set", lim["targets_per_alb"] / 2,
             f"{lim['targets_per_alb']:,} targets"),
            ("tasks per service, with a deployment's second set", lim["tasks_per_service"] / 2,
             f"{lim['tasks_per_service']:,} tasks"),
        ]
        for name, cap, value in task_caps:
            cap = math.floor(cap)
            limits.append({"key": key, "name": name, "value": value, "tasks": cap, "load": cap * per_task})
    return rows, limits


# ---------------------------------------------------------------- the section

def spread(b):
    """How far the 0.25 vCPU runs spread: (largest - smallest) / median, in per cent."""
    return (max(b["runs"]) - min(b["runs"])) / b["rps"] * 100


def money(x):
    return f"${x:,.0f}" if x >= 100 else f"${x:,.2f}"


def num(x, digits=0):
    return f"{x:,.{digits}f}"


def render(bench, sizes, prices, tf, rows, limits, prices_path, sizes_path):
    p, lcu, lim = prices["prices"], prices["lcu"], prices["limits"]
    entries = prices["entries"]
    read_dates = sorted({e["read"] for g in ("prices", "lcu", "limits") for e in entries[g].values()})
    target = tf["cpu_target"]
    vcpu = tf["cpu_units"] / 1024
    hs, sd = bench["servers"]["hello-service"], bench["servers"]["seed"]
    by = {(r["key"], r["load"]): r for r in rows}
    label = {k: v[1] for k, v in SERVERS.items()}
    out = [SECTION, "",
           "How many tasks, and what they cost a month, to serve 1k, 10k and 100k requests per second, "
           "made from the figures measured above and a dated price table. Generated by `bench/capacity.py --write` "
           f"from the benchmark section above (`{bench['command']}` on {bench['date']}, {bench['machine']}), "
           f"`{os.path.relpath(sizes_path, ROOT)}` (bytes per request, measured by "
           f"`{sizes['measured']['command']}` on {sizes['measured']['date']}, {sizes['measured']['machine']}), "
           f"`{os.path.relpath(prices_path, ROOT)}` (us-east-1 list prices and limits, each with its source, "
           f"read on {', '.join(read_dates)}) and the defaults of `infrastructure/terraform`; "
           "`make test-pipeline` checks that this section equals the script's output, so after `make bench` "
           "run `bench/capacity.py --write` too. "
           "Every load is served by `GET /health`, the request the benchmark measured; a real handler "
           "costs more CPU per request, so treat these as the floor for your own service and put your own "
           "`make bench` figure in.", "",
           "### Per task", "",
           "| server | req/s per task at 0.25 vCPU (median; runs) | p99 at 0.25 vCPU | "
           f"runs' spread | planned req/s per task at {target} % CPU | request + response bytes | "
           "access-log bytes per request |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for key in SERVERS:
        b, s = bench["servers"][key], sizes["servers"][key]
        log = f"{s['log_bytes']}" if s["log_bytes"] else "0 (no access log)"
        out.append(f"| {label[key]} | {num(b['rps'])} ({', '.join(map(str, b['runs']))}) | {b['p99_ms']} ms | "
                   f"{spread(b):.0f} % | {num(b['rps'] * target / 100)} | {s['request_bytes']} + "
                   f"{s['response_bytes']} | {log} |")
    out += ["",
            f"The request is the benchmark's own (`GET /health HTTP/1.1` and a `Host` header, as wrk sends it); "
            "real clients send more headers (user agent, accept headers, cookies), which raises the ALB's "
            "processed-bytes figures below in proportion. The runs' spread is (largest − smallest) ÷ median of "
            "the three 0.25 vCPU runs. hello-service's access-log line is one JSON object per request, on "
            "stdout, which the `awslogs` driver sends to CloudWatch Logs; it carries the client's address and user "
            "agent, which were short or empty here and are longer from real clients. The seed runs as it describes "
            "itself, without an access log, so its plan carries no log cost (turning gunicorn's on would add "
            "one); the totals below also show hello-service's month without its access log, to compare like "
            "with like.", "",
            "### Headroom", "",
            f"A task's 0.25 vCPU is a quota: at the measured rate the task uses all of it and the kernel throttles "
            f"it (hence the p99 of {hs['p99_ms']} ms at 0.25 vCPU against well under a millisecond unthrottled). "
            f"The service scales on CPU with a target of {target} % (`autoscaling.cpu_target_percent`), so the "
            f"plan gives each task {target} % of its measured rate and keeps {100 - target} % in hand: for the load "
            f"that arrives while a scale-out is under way (the CPU metric's own delay, a {tf['scale_out_cooldown']} s "
            "cooldown between steps, then the new task's image pull, start and health checks), for the run-to-run "
            f"spread of the measurement itself ({spread(hs):.0f} % for hello-service; the seed's "
            f"{spread(sd):.0f} % is wider than the headroom, so its figure is the least certain one here), and "
            "to keep the task off its quota, where the p99 above was measured. "
            f"Each plan keeps at least {tf['az_count']} tasks, one per zone (`az_count`), however small the load"
            + (f"; `autoscaling.min_capacity` defaults to {tf['min_capacity']}, so set it to {tf['az_count']} for "
               "that, or a quiet hour scales the service into a single zone." if tf["min_capacity"] < tf["az_count"]
               else "."),
            "",
            f"What {target} % does not cover: losing one of {tf['az_count']} zones takes half the tasks at once, "
            f"and the other half then runs at {2 * target} % of its capacity, throttled, until replacements "
            f"start; a plan that must ride out a zone with no loss keeps each task at {100 // tf['az_count']} % or "
            f"below ({target / (100 // tf['az_count']):g} times the tasks by CPU in the tables). ARM columns assume an ARM task serves what an x86 task "
            "served here, which we have not measured. TLS termination happens at the ALB, so the tasks' "
            "figures hold for HTTPS listeners.", "",
            "### Tasks and compute cost a month", "",
            f"Tasks = the larger of {tf['az_count']} and ⌈load ÷ planned req/s per task⌉; each task is "
            f"{vcpu:g} vCPU and {tf['memory_mib'] / 1024:g} GB ({tf['cpu_units']} CPU units, {tf['memory_mib']} MiB), "
            f"billed {HOURS_PER_MONTH} hours a month. Spot columns take AWS's largest stated discount "
            f"({p['fargate_spot_discount'] * 100:.0f} %); the live rate moves, and production keeps its base task on "
            "regular Fargate.", "",
            "| server | load (req/s) | tasks by CPU | tasks | vCPU (in a deployment) | x86 | x86 Spot | ARM | ARM Spot | "
            "over a default limit |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for key in SERVERS:
        for load in LOADS:
            r = by[(key, load)]
            over = []
            if r["tasks"] > tf["max_capacity"]:
                over.append(f"`max_capacity` {tf['max_capacity']}")
            if r["deploy_vcpu"] > lim["fargate_on_demand_vcpu"]:
                over.append(f"vCPU quota {lim['fargate_on_demand_vcpu']:g}")
            out.append(f"| {label[key]} | {num(load)} | {r['cpu_tasks']} | {r['tasks']} | {r['vcpu']:g} "
                       f"({r['deploy_vcpu']:g}) | {money(r['x86'])} | {money(r['x86_spot'])} | {money(r['arm'])} | "
                       f"{money(r['arm_spot'])} | {', '.join(over) or 'none'} |")
    out += ["", "### The load balancer", "",
            "An ALB is billed by the hour and by LCU-hours. One LCU is the largest of four dimensions: "
            f"{lcu['new_connections_per_s']:g} new connections per second, {num(lcu['active_connections'])} active "
            f"connections (sampled each minute), {lcu['processed_gb_per_hour']:g} GB of requests and responses per "
            f"hour (to container targets), or {num(lcu['rule_evaluations_per_s'])} rule evaluations per second "
            f"(the first {lcu['free_rules']:g} rules of each request free). Our listeners have "
            f"{LISTENER_RULES} rule before the default action, so rule evaluations cost nothing. The bytes come "
            "from the sizes above; connections depend on the clients, which we do not measure, so the table "
            f"shows both ends: clients that keep connections open (each carrying {REQUESTS_PER_KEEPALIVE_CONNECTION} "
            f"requests, then idle until the ALB's {tf['alb_idle_timeout_s']} s idle timeout), and clients that open "
            f"one connection per request (each open about {ONE_SHOT_CONNECTION_S:g} s). The monthly figure is "
            f"{HOURS_PER_MONTH} hours of the ALB, of the LCUs and of the ALB's {tf['az_count']} public IPv4 "
            "addresses (one per zone; any further addresses the ALB takes as it grows are not counted).", "",
            "| server | load (req/s) | clients | new conn/s | LCU new | active conns | LCU active | GB/hour | "
            "LCU bytes | LCU billed | ALB a month |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key in SERVERS:
        for load in LOADS:
            r = by[(key, load)]
            for name, title in (("keepalive", "keep-alive"), ("one_shot", "one request per connection")):
                a = r["alb"][name]
                d = a["dims"]
                out.append(f"| {label[key]} | {num(load)} | {title} | {num(a['new_per_s'])} | {d['new']:.2f} | "
                           f"{num(a['active'])} | {d['active']:.2f} | {a['gb_per_hour']:.2f} | {d['bytes']:.2f} | "
                           f"{a['billed']:.2f} ({a['dominant']}) | {money(a['cost'])} |")
    out += ["", "### Logs, the network profile and data out", "",
            "CloudWatch Logs bills each GB ingested (Standard class); the plan counts the access-log line's "
            "bytes and not what the driver adds around it. The tasks sit in private subnets, so those bytes "
            "(and image pulls, left out here: a task start pulls the image once) leave through the network "
            f"profile of `infrastructure/terraform`: `ha_nat` ({tf['az_count']} NAT gateways and their addresses, "
            f"per-GB processing), `single_nat` (one, and the other zones' traffic crosses to it: a transfer charge not "
            "counted here), or `endpoints_only` (no NAT; interface endpoints "
            f"{', '.join(tf['endpoints'])} in each of {tf['az_count']} zones, per-GB processing; the S3 gateway "
            "endpoint is free). Requests from the ALB to the tasks stay inside the VPC and pass neither. "
            "Responses leave AWS to the internet and are billed as data transfer out, in tiers after "
            f"{p['data_out_free_gb']:g} GB free a month. GB here are 2^30 bytes; at 10^9 the per-GB lines "
            "grow by 7 %.", "",
            "| server | load (req/s) | log GB a month | CloudWatch Logs | ha_nat | single_nat | endpoints_only | "
            "data out GB a month | data out |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key in SERVERS:
        for load in LOADS:
            r = by[(key, load)]
            n = r["network"]
            out.append(f"| {label[key]} | {num(load)} | {num(r['log_gb'])} | {money(r['logs'])} | "
                       f"{money(n['ha_nat'])} | {money(n['single_nat'])} | {money(n['endpoints_only'])} | "
                       f"{num(r['out_gb'])} | {money(r['data_out'])} |")
    out += ["", "### The month, added up", "",
            "As production is configured (`environments/production.tfvars`): x86 tasks on regular Fargate, "
            "`ha_nat`, and clients that keep connections open.", "",
            "| server | load (req/s) | tasks | Fargate | ALB | CloudWatch Logs | ha_nat | data out | total | "
            "per million requests | total without the access log |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key in SERVERS:
        for load in LOADS:
            r = by[(key, load)]
            out.append(f"| {label[key]} | {num(load)} | {r['tasks']} | {money(r['x86'])} | "
                       f"{money(r['alb']['keepalive']['cost'])} | {money(r['logs'])} | {money(r['network']['ha_nat'])} | "
                       f"{money(r['data_out'])} | **{money(r['total'])}** | ${r['per_million']:.4f} | "
                       f"{money(r['total_no_log'])} |")
    hk, sk = by[("hello-service", 100_000)], by[("seed", 100_000)]
    out += ["",
            f"At 100k requests per second the seed's stack needs {sk['tasks']} tasks to hello-service's "
            f"{hk['tasks']} ({money(sk['x86'])} against {money(hk['x86'])} of Fargate a month). For hello-service "
            "the tasks are the small part of the bill: what the load costs is the access log in CloudWatch Logs "
            f"({money(hk['logs'])}), then the bytes out and the ALB; sampling the access log, a cheaper log "
            "class, or `ACCESS_LOG=off` with the ALB's own access logs (to S3) instead move the total more than "
            "any change to the tasks. Clients that open a connection per request multiply the ALB's bill by "
            f"{hk['alb']['one_shot']['cost'] / hk['alb']['keepalive']['cost']:.0f} at that load.", "",
            "How one row is computed (hello-service at 100k req/s, the prices as in `bench/prices.json`): "
            f"{num(hs['rps'])} × {target / 100:g} = {num(hk['per_task'], 1)} req/s per task, so "
            f"⌈100,000 ÷ {num(hk['per_task'], 1)}⌉ = {hk['tasks']} tasks; Fargate {hk['tasks']} × ({vcpu:g} × "
            f"{p['fargate_x86_vcpu_hour']:g} + {tf['memory_mib'] / 1024:g} × {p['fargate_x86_gb_hour']:g}) × "
            f"{HOURS_PER_MONTH} = {money(hk['x86'])}; the ALB carries 100,000 × "
            f"({sizes['servers']['hello-service']['request_bytes']} + "
            f"{sizes['servers']['hello-service']['response_bytes']}) bytes × 3,600 ÷ 2^30 = "
            f"{hk['alb']['keepalive']['gb_per_hour']:.2f} GB an hour, the largest dimension, so "
            f"{HOURS_PER_MONTH} × ({p['alb_hour']:g} + {hk['alb']['keepalive']['billed']:.2f} × {p['alb_lcu_hour']:g} + "
            f"{tf['az_count']} × {p['public_ipv4_hour']:g}) = {money(hk['alb']['keepalive']['cost'])}; the access log "
            f"is 100,000 × {sizes['servers']['hello-service']['log_bytes']} bytes × {num(SECONDS_PER_MONTH)} s ÷ 2^30 = "
            f"{num(hk['log_gb'])} GB a month, × {p['logs_ingestion_gb']:g} = {money(hk['logs'])}, and it passes the NAT "
            f"gateways at {p['nat_gateway_gb']:g} a GB on top of their {tf['az_count']} × ({p['nat_gateway_hour']:g} + "
            f"{p['public_ipv4_hour']:g}) × {HOURS_PER_MONTH} (together {money(hk['network']['ha_nat'])}); the responses "
            f"are {num(hk['out_gb'])} GB out, {money(hk['data_out'])} in tiers. "
            "`tests/pipeline/test-capacity.sh` recomputes this row without the script.", "",
            "### Where the next limit is", "",
            "Each limit as the load at which it stops the plan above (tasks × planned req/s per task). Rolling "
            "and CodeDeploy deployments run a second full set of tasks while they replace the first "
            "(`deployment_maximum_percent` 200), so quotas that count running tasks or targets are halved.", "",
            "| limit | value | source | hello-service reaches it at | seed reaches it at |",
            "|---|---:|---|---:|---:|"]
    sources = {
        "autoscaling max_capacity (our Terraform default)": "`infrastructure/terraform/variables.tf`",
        "Fargate On-Demand vCPU quota (default), with a deployment's second set": entries["limits"]["fargate_on_demand_vcpu"]["source"],
        "targets per target group, with a deployment's second set": entries["limits"]["targets_per_target_group"]["source"],
        "targets per ALB, with a deployment's second set": entries["limits"]["targets_per_alb"]["source"],
        "tasks per service, with a deployment's second set": entries["limits"]["tasks_per_service"]["source"],
    }
    names = list(dict.fromkeys(l["name"] for l in limits))
    by_limit = {(l["key"], l["name"]): l for l in limits}
    for name in names:
        h, s = by_limit[("hello-service", name)], by_limit[("seed", name)]
        out.append(f"| {name} | {h['value']} | {sources[name]} | {num(h['load'])} req/s ({h['tasks']} tasks) | "
                   f"{num(s['load'])} req/s ({s['tasks']} tasks) |")
    first = {key: min((l for l in limits if l["key"] == key), key=lambda l: l["load"]) for key in SERVERS}
    per_min = tf["requests_per_target"]
    far = [n for n in names[2:] if all(by_limit[(k, n)]["load"] > max(LOADS) for k in SERVERS)]
    beyond = (f"The other {len(far)} quotas in the table lie beyond {num(max(LOADS))} req/s for both."
              if len(far) == len(names) - 2 else "")
    nat_per_task = lim["nat_connections_per_destination"] / hk["tasks"]
    burst_rest = max(0, sk["tasks"] - 100) / lim["fargate_launch_rate_per_s"]
    out += ["",
            f"The first limit each server meets: {first['hello-service']['name']} at "
            f"{num(first['hello-service']['load'])} req/s for hello-service, {first['seed']['name']} at "
            f"{num(first['seed']['load'])} req/s for the seed's stack. `autoscaling.max_capacity` (default "
            f"{tf['max_capacity']}) is ours to raise with the plan. Next, the requests policy: "
            + (f"`autoscaling.requests_per_target` defaults to {num(per_min)} requests per task per minute "
               f"({per_min / 60:.1f} req/s; the policy exists for rolling deployments, so staging's), which asks for "
               f"{num(1000 * 60 / per_min)} tasks at 1k req/s where CPU asks for "
               f"{by[('hello-service', 1000)]['cpu_tasks']}; set it near the planned rate "
               f"({num(hs['rps'] * target / 100 * 60)} per minute for hello-service, "
               f"{num(sd['rps'] * target / 100 * 60)} for the seed) or to 0 to scale on CPU alone. Then the "
               if per_min > 0 else
               "`autoscaling.requests_per_target` defaults to 0: the service scales on CPU alone. A "
               "requests policy (rolling deployments only: it follows one target group) needs a target near "
               f"the rate a task serves at the CPU target, {num(hs['rps'] * target / 100 * 60)} per minute for "
               f"hello-service and {num(sd['rps'] * target / 100 * 60)} for the seed; a lower one keeps the "
               f"service at max_capacity ({tf['max_capacity']} tasks) whatever the CPU. Then the ") +
            f"account's Fargate On-Demand vCPU quota ({lim['fargate_on_demand_vcpu']:g} vCPU by default, "
            "adjustable; new accounts may start lower; Fargate Spot has its own): the seed's stack meets it at "
            f"{num(by_limit[('seed', names[1])]['load'])} req/s, hello-service at "
            f"{num(by_limit[('hello-service', names[1])]['load'])} req/s. {beyond}", "",
            "Limits that are not task counts:", "",
            f"- **ALB.** Its [quota page]({entries['limits']['targets_per_alb']['source']}) lists no quota on "
            "requests or connections: what grows with the load is the LCU bill. At 100k req/s with keep-alive "
            f"clients that is {hk['alb']['keepalive']['billed']:.0f} LCUs "
            f"({hk['alb']['keepalive']['dominant']}); with a connection per request, "
            f"{hk['alb']['one_shot']['billed']:,.0f} ({hk['alb']['one_shot']['dominant']}). For a known sudden "
            "step (a launch, a load test) the same page lists a quota of reserved LCUs (LCU reservation), "
            "which is capacity bought ahead of the load.",
            f"- **NAT gateway.** A NAT gateway starts at 5 Gbps and scales to {lim['nat_gateway_gbps']:g} Gbps, "
            f"and holds {num(lim['nat_connections_per_destination'])} connections to one destination at once "
            f"([source]({entries['limits']['nat_gateway_gbps']['source']})). At 100k req/s hello-service's log "
            f"traffic is {hk['log_gb'] * GB * 8 / SECONDS_PER_MONTH / 1e9:.2f} Gbps (before the driver's own "
            f"overhead), and its {hk['tasks']} tasks could each hold {num(nat_per_task)} connections to the logs "
            "endpoint through one NAT address: neither is near.",
            f"- **Task launches.** Fargate starts {lim['fargate_launch_rate_per_s']:g} tasks a second per account "
            f"(bursts of 100) ([source]({entries['limits']['fargate_launch_rate_per_s']['source']})): no limit for "
            f"hello-service's {hk['tasks']} tasks, nor for a deployment of the seed's {sk['tasks']} (a burst, "
            f"then {burst_rest:.1f} s for the rest).",
            ""]
    out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- measuring the sizes

def wait_ready(port, proc, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PlanError(f"the server exited with {proc.returncode} before answering")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: ready\r\nConnection: close\r\n\r\n")
                if s.recv(16).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise PlanError(f"no 200 from 127.0.0.1:{port}/health within {timeout:.0f} s")


def one_exchange(port):
    """The benchmark's request (as wrk sends it) on a kept-alive connection: its bytes and the response's."""
    request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise PlanError("the connection closed before the response headers ended")
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 200"):
            raise PlanError(f"expected a 200, got {head.splitlines()[0]!r}")
        m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
        if not m:
            raise PlanError("the response has no Content-Length")
        while len(body) < int(m.group(1)):
            chunk = s.recv(4096)
            if not chunk:
                raise PlanError("the connection closed inside the body")
            body += chunk
    return len(request), len(head) + 4 + int(m.group(1))


def measure_server(argv, env, port, work, name):
    out_path = os.path.join(work, f"{name}.out")
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        wait_ready(port, proc)
        request_bytes, response_bytes = one_exchange(port)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    with open(out_path, "rb") as f:
        lines = f.read().splitlines()
    return request_bytes, response_bytes, lines


def measure(out_path):
    if not os.access(SERVICE, os.X_OK):
        raise PlanError(f"{SERVICE} missing: run `make build` first")
    for tool in ("gunicorn",):
        if not any(os.access(os.path.join(d, tool), os.X_OK) for d in os.environ.get("PATH", "").split(":")):
            raise PlanError(f"{tool} not found (bench/run.sh installs it with Flask)")
    work = tempfile.mkdtemp(prefix="hello-capacity-")
    servers = {}
    try:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "ECS_CONTAINER_METADATA_URI_V4"}
        env.update({"PORT": str(port), "HOST": "127.0.0.1", "WORKERS": "1", "DRAIN_DELAY_S": "0",
                    "ACCESS_LOG": "on"})
        req, resp, lines = measure_server([SERVICE], env, port, work, "hello-service")
        # The access-log line of the measured request: the last one for /health (the
        # readiness polls before it log lines of the same shape).
        access = [line for line in lines if b'"/health"' in line]
        if not access:
            raise PlanError("hello-service wrote no access-log line for /health on stdout")
        line = access[-1]
        servers["hello-service"] = {"request_bytes": req, "response_bytes": resp, "log_bytes": len(line),
                                    "log_line": line.decode()}
        port = free_port()
        req, resp, lines = measure_server(
            ["gunicorn", "--chdir", SEED_DIR, "--bind", f"127.0.0.1:{port}", "--workers", "2", "app:app"],
            dict(os.environ), port, work, "seed")
        servers["seed"] = {"request_bytes": req, "response_bytes": resp, "log_bytes": 0, "log_line": None,
                           "note": "run as the benchmark runs it: gunicorn's access log off (its default)"}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    version = subprocess.run([SERVICE, "version"], capture_output=True, text=True).stdout.strip()
    doc = {"measured": {"command": "bench/capacity.py measure", "date": datetime.date.today().isoformat(),
                        "machine": f"{cpu}, {os.cpu_count()} cores", "hello-service": version},
           "servers": servers}
    with open(out_path + ".tmp", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(out_path + ".tmp", out_path)
    return doc


# ---------------------------------------------------------------- main

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=["plan", "measure"], default="plan")
    parser.add_argument("--doc", default=DOC, help="the doc with the benchmark section (default docs/OPTIMIZATION.md)")
    parser.add_argument("--results", help="take the per-task figures from bench/run.py's results file instead")
    parser.add_argument("--prices", default=PRICES, help="the price table (default bench/prices.json)")
    parser.add_argument("--sizes", default=SIZES, help="the measured sizes (default bench/capacity-sizes.json)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="write the section into the doc")
    group.add_argument("--check", action="store_true", help="exit 1 if the doc's section differs from the output")
    args = parser.parse_args(argv)
    try:
        if args.command == "measure":
            doc = measure(args.sizes)
            print(json.dumps(doc, indent=2))
            print(f"==> wrote {os.path.relpath(args.sizes, ROOT)}", file=sys.stderr)
            return 0
        prices = load_prices(args.prices)
        bench = bench_from_results(args.results) if args.results else bench_from_doc(args.doc)
        sizes = load_sizes(args.sizes)
        tf = terraform_defaults()
        rows, limits = plan(bench, sizes, prices, tf)
        section = render(bench, sizes, prices, tf, rows, limits, args.prices, args.sizes)
    except PlanError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.check:
        try:
            current = section_in(read_text(args.doc), SECTION)
        except PlanError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        if current is None:
            print(f"error: {args.doc} has no '{SECTION}' section (run bench/capacity.py --write)", file=sys.stderr)
            return 1
        if current != section:
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), section.splitlines(True),
                                                       "in the doc", "from bench/capacity.py"))
            print(f"error: the '{SECTION}' section of {args.doc} differs from the script's output "
                  "(run bench/capacity.py --write)", file=sys.stderr)
            return 1
        return 0
    if args.write:
        try:
            replace_section(args.doc, SECTION, section)
        except DocError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"==> wrote the '{SECTION}' section of {os.path.relpath(args.doc, ROOT)}", file=sys.stderr)
        return 0
    sys.stdout.write(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
