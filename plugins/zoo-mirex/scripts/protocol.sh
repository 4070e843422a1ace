#!/usr/bin/env bash
# The paper's protocol (evaluate.py's runs), as a queue that survives sessions: start it once per core.
#   bash plugins/zoo-mirex/scripts/protocol.sh            # DATA=build/mirex RUNS=build/mirex/runs SEEDS=10
# Stage 1 trains the no-miRNA runs of seeds 0..SELECT_SEEDS-1 (default 3) per tissue; the first worker to find them
# all done runs select_mirnas.py once (the committed results/selection.json, if there, is kept: later sessions must
# train on the same lists). Stage 2 trains, seed by seed, every (tissue, configuration) still missing.
# A run is done when results/<tissue>/<config>/seed<k>/result.json exists: each finished run's result.json is copied
# there, into the plugin, so that the protocol's record is committed and outlives the machine that trained it (the
# weights and predictions stay under RUNS). Runs are locked with mkdir, so workers never train the same run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
plugin=$(dirname "$here")
py=${PYTHON:-.venv/bin/python}
data=${DATA:-build/mirex}
runs=${RUNS:-build/mirex/runs}
seeds=${SEEDS:-10}
select_seeds=${SELECT_SEEDS:-3}
record=$plugin/results
selection=$record/selection.json
tissues=(lung prostate breast)
mkdir -p "$runs/.locks" "$record"

run() {  # tissue config seed: train unless recorded or taken by another worker
  local t=$1 c=$2 s=$3
  local done_json=$record/$t/$c/seed$s/result.json
  [ -f "$done_json" ] && return 0
  mkdir "$runs/.locks/$t-$c-$s" 2>/dev/null || return 0
  local sel=()
  [ "$c" = xpresso ] || sel=(--selection "$selection")
  if "$py" "$here/train.py" --data "$data" --tissue "$t" --config "$c" --seed "$s" "${sel[@]}" \
      --out "$runs/$t/$c/seed$s"; then
    mkdir -p "$(dirname "$done_json")"
    cp "$runs/$t/$c/seed$s/result.json" "$done_json"
  fi
  rmdir "$runs/.locks/$t-$c-$s"
}

for s in $(seq 0 $((select_seeds - 1))); do
  for t in "${tissues[@]}"; do run "$t" xpresso "$s"; done
done
if [ ! -f "$selection" ]; then
  # wait for the other worker's stage-1 runs, then select once
  while :; do
    missing=0
    for s in $(seq 0 $((select_seeds - 1))); do
      for t in "${tissues[@]}"; do [ -f "$runs/$t/xpresso/seed$s/result.json" ] || missing=1; done
    done
    [ $missing = 0 ] && break
    sleep 30
  done
  if mkdir "$runs/.locks/select" 2>/dev/null; then
    "$py" "$here/select_mirnas.py" --data "$data" --runs "$runs" --out "$selection.tmp"
    mv "$selection.tmp" "$selection"
  fi
  while [ ! -f "$selection" ]; do sleep 10; done
fi
for s in $(seq 0 $((seeds - 1))); do
  for t in "${tissues[@]}"; do
    for c in mirex xpresso abscorr allmirna; do run "$t" "$c" "$s"; done
  done
done
