#!/usr/bin/env bash
# make bench: installs the peers (nginx, gunicorn with Flask, wrk) and the counters (perf,
# valgrind), and runs bench/run.py.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/ensure-packages nginx wrk gunicorn python3-flask util-linux linux-perf valgrind
if [ "$(id -u)" -ne 0 ]; then
  echo "note: the 0.25 vCPU runs create a CPU cgroup, which needs root" >&2
fi
# Debian's python3, which has the Flask that gunicorn loads.
exec /usr/bin/python3 bench/run.py "$@"
