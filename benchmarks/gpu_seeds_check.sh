#!/usr/bin/env bash
# Issue 17's seeds target on a lent GPU: eight seeds at batch 128 in at most 2x the wall time
# of one. Times the training loop (MNIST on the device, 10 steps per call) with one seed and
# with eight at batch 128, and one seed at batch 1024 (as many images per step as eight seeds
# at 128), with benchmarks/train_step.py (PER_DISPATCH and SEEDS change the 10 and the 8);
# and, with BASELINE_TREE=<dir> (another copy of the project, e.g. `git archive <rev> | tar -x
# -C <dir>`), the batch-128 loops of that copy in the same run, for a before/after on the same
# card. Prepare and run as benchmarks/gpu_check.sh says (carry .whl and .gpu_data); results
# in $OUT/seeds_*.json and $OUT/seeds_check.log.
#
#   BASELINE_TREE=.gpu_old bash benchmarks/gpu_seeds_check.sh
set -euo pipefail
source "$(dirname "$0")/gpu_setup.sh"   # repository root, $OUT, the carried wheels
ROOT=$PWD
LOG="$OUT/seeds_check.log"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | tee -a "$LOG" || true

bench() {   # tree label batch loops torch_python
  (cd "$1" && python3 benchmarks/train_step.py --batch_sizes="$3" --rounds=1 \
    --steps="${STEPS:-100}" --log_every="${LOG_EVERY:-50}" --loops="$4" \
    --manual_dir="$ROOT/.gpu_data" --torch_python="$5" \
    --torch_reference="$ROOT/.gpu_data/torch_reference.py" \
    --output="$OUT/seeds_$2_$3.json") 2>&1 | sed "s/^/[$2 $3] /" | tee -a "$LOG"
}

K=${PER_DISPATCH:-10}   # steps per call
S=${SEEDS:-8}           # seeds together
bench "$ROOT" this 128 "device:$K,device:$K:$S" "${TORCH_PYTHON-python3}"
if [ -n "${BASELINE_TREE:-}" ]; then
  bench "$BASELINE_TREE" baseline 128 "device:$K,device:$K:$S" ""
fi
bench "$ROOT" this $((128 * S)) "device:$K" ""
