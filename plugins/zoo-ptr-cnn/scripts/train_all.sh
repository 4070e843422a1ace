#!/usr/bin/env bash
# Every training run behind the shipped ptr-cnn models and their ablation table, resumable.
#   bash plugins/zoo-ptr-cnn/scripts/train_all.sh athaliana   # or hsapiens; runs in build/ptr/<organism>*
# MAIN=0 skips the 5-member model, ABLATION=0 the four ablated single-member runs. DATA (default
# build/ptr/<organism>.tsv) and OUT (default build/ptr/<organism>) move the table and the run folders.
set -euo pipefail
org=$1
epochs=${EPOCHS:-40}
py=${PYTHON:-.venv/bin/python}
here=${HERE:-$(dirname "$0")}
data=${DATA:-build/ptr/$org.tsv}
out=${OUT:-build/ptr/$org}
common=(--data "$data" --optimizer adam --lr 1e-3 --epochs "$epochs" --threads 1)
if [ "${MAIN:-1}" = 1 ]; then
  "$py" "$here/train.py" "${common[@]}" --out "$out" --members 5
fi
if [ "${ABLATION:-1}" = 1 ]; then
  all=(codons nucleotides amino_acids start_context stop_context conv_utr5 conv_cds conv_utr3 conv_pep)
  declare -A drop=([no_counts]="codons nucleotides amino_acids" [no_context]="start_context stop_context"
                   [no_utr_conv]="conv_utr5 conv_utr3" [no_cds_conv]="conv_cds conv_pep")
  for name in no_counts no_context no_utr_conv no_cds_conv; do
    keep=()
    for m in "${all[@]}"; do [[ " ${drop[$name]} " == *" $m "* ]] || keep+=("$m"); done
    "$py" "$here/train.py" "${common[@]}" --out "$out-$name" --members 1 --modules "${keep[@]}"
  done
fi
