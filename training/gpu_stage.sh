#!/usr/bin/env bash
# A GPU stage (15 and 16): six train.py runs side by side on one lent GPU (the model is small, so one run
# leaves the GPU mostly idle; each run is bound by its own Python process). The GPU machine reaches neither ../shared nor
# the work cache, so everything it reads comes in IN:
#   IN/data/{train,dev}.npz.xz   training/tokenize_splits.py output
#   IN/start.pt                  the starting checkpoint (stage 15: stage 11 by ckpt_from_onnx.py; stage 16:
#                                stage 15's float weights, the average written by average_ckpts.py), its float tensors
#                                in fp16 (the conversion at the end of this script) to travel light
# and what comes back is OUT/rN.pt (each run's best checkpoint by dev score, fp16) and OUT/logs.tar.gz.
# PLAN=grow (stages 15-17, the default): five runs continue from the start (at three learning rates, one grown
# to 6 blocks, one with dropout 0.2); one starts from scratch.
# PLAN=hiding (prepared in session 30, not yet run on a GPU): six runs continue from the start with pieces
# hidden from the classifier, as stages 24 and 25 did on the CPU (--input-dropout 0.15 --input-dropout-msg 0.05):
# lr 2e-4 twice (two seeds, to average), 1e-4 and 3e-4; lr 2e-4 with twice the hiding; lr 2e-4 at batch 256.
#
# Usage: training/gpu_stage.sh IN OUT [MINUTES]   (MINUTES per run, all at once; default 7.5, as shipped)
# Env: PY (a python with torch and sentencepiece; default python3), DEVICE (default cuda), PLAN (above),
#      SEED0 (the seed of r1; rN gets SEED0 + N - 1; stage 15: 30, the default; stage 16: 40),
#      SCRATCH (the shape of r5, the run from scratch; stage 15: the shipped one, the default;
#      stage 16: "--d 256 --layers 4 --heads 4 --ffn 768", to see whether a wider model learns more)
set -uo pipefail
IN="$1"; OUT="$2"; MIN="${3:-7.5}"
PY="${PY:-python3}"; DEVICE="${DEVICE:-cuda}"; S="${SEED0:-30}"
SCRATCH="${SCRATCH:---d 192 --layers 4 --heads 4 --ffn 512}"
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$OUT"
common=(--data "$IN/data" --tokenizer "$HERE/../models/text-turn/tokenizer.model" --device "$DEVICE"
        --batch 128 --eval-minutes 0.5 --max-epochs 100 --minutes "$MIN" --threads 2)
run() {
    local name="$1"; shift
    "$PY" "$HERE/train.py" "${common[@]}" --out "$IN/$name" "$@" > "$IN/$name.log" 2>&1
    local rc=$?
    echo "$name: exit $rc $(grep '^done:' "$IN/$name.log")"
    [ $rc = 0 ] || tail -5 "$IN/$name.log"
}
start=(--init "$IN/start.pt" --d 192 --heads 4 --ffn 512)
case "${PLAN:-grow}" in
grow)
    run r1 "${start[@]}" --layers 4 --lr 3e-4 --seed $((S + 0)) &
    run r2 "${start[@]}" --layers 4 --lr 2e-4 --seed $((S + 1)) &
    run r3 "${start[@]}" --layers 4 --lr 1e-4 --seed $((S + 2)) &
    run r4 "${start[@]}" --layers 6 --lr 3e-4 --seed $((S + 3)) &
    run r5 $SCRATCH --lr 1e-3 --seed $((S + 4)) &
    run r6 "${start[@]}" --layers 4 --lr 3e-4 --dropout 0.2 --seed $((S + 5)) &
    ;;
hiding)
    start+=(--layers 4)
    hide=(--input-dropout 0.15 --input-dropout-msg 0.05)
    run r1 "${start[@]}" "${hide[@]}" --lr 2e-4 --seed $((S + 0)) &
    run r2 "${start[@]}" "${hide[@]}" --lr 1e-4 --seed $((S + 1)) &
    run r3 "${start[@]}" "${hide[@]}" --lr 3e-4 --seed $((S + 2)) &
    run r4 "${start[@]}" --input-dropout 0.3 --input-dropout-msg 0.1 --lr 2e-4 --seed $((S + 3)) &
    run r5 "${start[@]}" "${hide[@]}" --lr 2e-4 --batch 256 --seed $((S + 4)) &
    run r6 "${start[@]}" "${hide[@]}" --lr 2e-4 --seed $((S + 5)) &
    ;;
*) echo "gpu_stage.sh: unknown PLAN '$PLAN' (grow or hiding)" >&2; exit 2 ;;
esac
wait
for name in r1 r2 r3 r4 r5 r6; do
    [ -f "$IN/$name/best.pt" ] && "$PY" - "$IN/$name/best.pt" "$OUT/$name.pt" <<'EOF'
import sys, torch
c = torch.load(sys.argv[1], map_location="cpu")
c["state"] = {k: v.half() if v.is_floating_point() else v for k, v in c["state"].items()}
torch.save(c, sys.argv[2])
EOF
done
tar czf "$OUT/logs.tar.gz" -C "$IN" r1.log r2.log r3.log r4.log r5.log r6.log
ls -l "$OUT"
