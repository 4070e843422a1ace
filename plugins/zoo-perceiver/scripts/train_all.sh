#!/usr/bin/env bash
# Train every zoo-perceiver model on the A. thaliana table, resumably: rerun the same command after a stop and each
# run continues from its last checkpoint (a finished run is skipped). Two queues run side by side, one thread each.
#
#   bash plugins/zoo-perceiver/scripts/train_all.sh DATA RUNS [MINUTES_PER_RUN]
#
# DATA: build_dataset.py's --out folder; RUNS: where the run folders go. MINUTES_PER_RUN caps each invocation
# (default 90): a CPU session trains for a while, the next one resumes.
set -euo pipefail
DATA=${1:?DATA folder}
RUNS=${2:?RUNS folder}
MIN=${3:-90}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-python}
T="$PY $HERE/train.py"
mkdir -p "$RUNS"
common=(--data "$DATA" --threads 1 --warmup 200 --max-minutes "$MIN")

xpresso_trials() {
  # Xpresso keeps the best of independent trials (spec §10); a trial constant after its first epoch is dropped
  for seed in 1234 1235 1236 1237 1238 1239; do
    out=$RUNS/xpresso-seed$seed
    [ -f "$out/state.json" ] || $T xpresso "${common[@]}" --seed $seed --max-epochs 1 --out "$out"
    r2=$($PY -c "import json; print(json.load(open('$out/state.json'))['history'][0]['r2_mrna'])")
    [ "$r2" = "0.0" ] && continue
    $T xpresso "${common[@]}" --seed $seed --max-epochs 60 --out "$out"
  done
}

queue_a() {
  xpresso_trials
  $T dnaperceiver "${common[@]}" --max-epochs 30 --out "$RUNS/dnaperceiver"
  $T dnaperceiver-mrna-protein "${common[@]}" --max-epochs 30 --out "$RUNS/dnaperceiver-mrna-protein"
}

queue_b() {
  $T proteinperceiver "${common[@]}" --max-epochs 20 --out "$RUNS/proteinperceiver"
  $T dnaproteinperceiver-dna "${common[@]}" --max-epochs 20 --out "$RUNS/dnaproteinperceiver-dna"
  $T dnaproteinperceiver-protein "${common[@]}" --max-epochs 20 --out "$RUNS/dnaproteinperceiver-protein"
}

queue_a > "$RUNS/queue_a.log" 2>&1 &
queue_b > "$RUNS/queue_b.log" 2>&1 &
wait
