#!/bin/bash
# The timing tests (pytest -m timing) ten times in a row, with another process keeping one core
# busy the whole time (issue 20). The busy-core variant of the whole-command test is left out:
# its own busy loop beside this one would keep both cores busy.
#     bash bench/timing_busy.sh [RUNS] > bench/results/timing_busy.txt
set -u
runs=${1:-10}
cd "$(dirname "$0")/.."
python -c "while True: pass" &
hog=$!
trap 'kill $hog' EXIT
echo "$(date -u '+%F %T') $(git rev-parse --short HEAD), one core busy (pid $hog), $(nproc) cores"
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  pytest -q -m timing -k "not busy" -p no:cacheprovider 2>&1 | grep -E "^FAILED|passed|failed" | sed "s/^/run $i: /"
  echo "run $i took $(( $(date +%s) - start )) s"
done
