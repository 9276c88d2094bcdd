#!/usr/bin/env bash
# Rebuild the text turn model from shared/data: data -> tokenizer -> training -> calibration/export -> evaluation.
# Usage: training/run_all.sh [MINUTES]   (time budget of each of the two training stages, default 62; CPU, one thread)
# Env: PY (python of the project venv), WORK (scratch dir, outside git), SEED, SAYWHEN (CLI binary for the runtime check)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PY="${PY:-$HOME/.cache/saywhen/venv/bin/python}"
WORK="${WORK:-$HOME/.cache/saywhen/text-work}"
SEED="${SEED:-1}"
MIN="${1:-62}"
OUT="$ROOT/models/text-turn"
SAYWHEN="${SAYWHEN:-$ROOT/build/release/saywhen}"
mkdir -p "$WORK/run" "$OUT"
cd "$HERE"
nice "$PY" make_data.py --data "$ROOT/../shared/data" --out "$WORK/data" --seed "$SEED" --report-dir "$HERE"
nice "$PY" train_tokenizer.py --data "$WORK/data" --out "$OUT/tokenizer" --seed "$SEED"
# Two stages, as the shipped model was trained: from scratch at lr 1e-3, then continued from the best
# checkpoint at lr 5e-4 with a fresh schedule (each stage MIN minutes).
mkdir -p "$WORK/run1"
nice "$PY" train.py --data "$WORK/data" --tokenizer "$OUT/tokenizer.model" --out "$WORK/run1" --minutes "$MIN" \
    --d 192 --layers 2 --heads 4 --ffn 512 --batch 64 --lr 1e-3 --seed "$SEED" --threads 1 2>&1 | tee "$WORK/run1/train.log"
nice "$PY" train.py --data "$WORK/data" --tokenizer "$OUT/tokenizer.model" --out "$WORK/run" --minutes "$MIN" \
    --init "$WORK/run1/best.pt" --d 192 --layers 2 --heads 4 --ffn 512 --batch 64 --lr 5e-4 --seed "$SEED" \
    --threads 1 2>&1 | tee "$WORK/run/train.log"
SW=(); [ -x "$SAYWHEN" ] && SW=(--saywhen "$SAYWHEN")
nice "$PY" export.py --ckpt "$WORK/run/best.pt" --data "$WORK/data" --tokenizer "$OUT/tokenizer.model" \
    --outdir "$OUT" --work "$WORK/run" --report "$HERE/metrics/export.json" "${SW[@]}"
for s in test evalonly; do
  nice "$PY" evaluate.py --model "$OUT/model.onnx" --tokenizer "$OUT/tokenizer.model" --config "$OUT/config.json" \
      --split "$WORK/data/$s.jsonl" --out "$HERE/metrics/$s.json"
done
echo "done: $OUT; metrics in $HERE/metrics/"
