#!/usr/bin/env bash
# One prepared GPU session for issue 16 (device time is ~15 min a session, machine start included).
#
#   here:        bash plugins/zoo-bioseq2seq/scripts/device_run.sh prepare      # builds build/gpu_carry (~6 MB)
#   device tool: run(command="bash plugins/zoo-bioseq2seq/scripts/device_run.sh train 8", carry=["build/gpu_carry"],
#                    timeout_s=600)
#
# `train M` runs two trainings side by side on the one GPU for M minutes each, checkpointing into $OUT:
#   $OUT/bioseq2seq: the paper's configuration, continued from runs/bioseq2seq-12layer-v2-h200 (fresh optimizer);
#   $OUT/edc:        EDC at the same sizes (edc_small), from scratch: the EDC-vs-bioseq2seq comparison's other arm.
# Files over the device's 16 MiB return limit (the optimizer state) stay behind; best/last weights and logs come back.
# The device image has torch and safetensors but not pydantic, which the plugin's __init__ imports, so the network
# and vocabulary modules travel in a shim package (build/gpu_carry/shim).
set -euo pipefail
plugin=plugins/zoo-bioseq2seq
carry=build/gpu_carry
case "${1:-}" in
prepare)
  py=${PYTHON:-.venv/bin/python}
  "$py" "$plugin/scripts/build_dataset_v2.py"
  rm -rf "$carry" && mkdir -p "$carry/data" "$carry/shim/zoo_bioseq2seq" "$carry/shim/zoo_dev"
  for s in train valid; do gzip -9c "build/bioseq2seq_v2/$s.tsv" > "$carry/data/$s.tsv.gz"; done
  cp "$plugin/src/zoo_bioseq2seq/network.py" "$plugin/src/zoo_bioseq2seq/vocab.py" "$carry/shim/zoo_bioseq2seq/"
  cp zoo_dev/checkpoint.py "$carry/shim/zoo_dev/"
  touch "$carry/shim/zoo_bioseq2seq/__init__.py" "$carry/shim/zoo_dev/__init__.py"
  du -sh "$carry"
  ;;
train)
  minutes=${2:-8}
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
  common=(--data "$carry/data" --device cuda --tf32 --max-tokens 72000 --accum 1 --valid-every 1000000
          --valid-minutes 0.5 --patience 1000 --max-minutes "$minutes")
  export PYTHONPATH=$carry/shim
  python3 "$plugin/scripts/train.py" "${common[@]}" --out "$OUT/bioseq2seq" --warmup 100 --peak-lr 1.4e-3 --seed 115 \
    --init "$plugin/src/zoo_bioseq2seq/models/bioseq2seq-12layer-v2/model.safetensors" > "$OUT/bioseq2seq.log" 2>&1 &
  python3 "$plugin/scripts/train.py" "${common[@]}" --out "$OUT/edc" --preset edc_small --warmup 300 --seed 114 \
    > "$OUT/edc.log" 2>&1 &
  wait
  tail -n 4 "$OUT"/*.log
  rm -f "$OUT"/*/state.safetensors  # over the return limit; keeping it would only produce a files_left_out line
  ;;
*)
  echo "usage: $0 prepare | train MINUTES" >&2
  exit 2
  ;;
esac
