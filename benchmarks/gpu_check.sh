#!/usr/bin/env bash
# The GPU measurement of the accelerator path (issue 17), for one run on a lent H100/H200
# (the device tool; see /work/.library/device/README.md). Run on an H200 on 2026-11-26 with
# ROUNDS=1: docs/performance.md. Give it over 240 s: batch 1024's 8-seed loop and reference
# come last.
#
# Prepare here, in the repository root (.gitignore keeps these folders out of git):
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
#     --implementation cp --platform manylinux2014_x86_64 -d .whl ml_collections PyYAML
#   mkdir -p .gpu_data && cp ../shared/data/mnist/*.gz ../shared/bench/torch_reference.py .gpu_data/
#   cp -r ~/.cache/infogan_jax/mnist_classifier .gpu_data/classifier   # for scripts/gpu_seed_sweeps.sh
# Run there with carry=['.whl', '.gpu_data']:  bash benchmarks/gpu_check.sh
# Results: $OUT/gpu_bench.log (the table) and $OUT/gpu_bench.json.
#
# It measures, in one run: the bare step and the loop with MNIST on the device at batch 128
# and 1024, one and ten steps per call, eight seeds at once, and the PyTorch reference on
# the same GPU (--device cuda). Targets (issue 17): loop >= 90% of the bare step; batch 128
# under 1.5 ms per step in the loop; 8 seeds in at most 2x the wall time of one (the
# device:10:8 loop's images/s >= 4x the device:10 loop's).
set -euo pipefail
source "$(dirname "$0")/gpu_setup.sh"   # repository root, $OUT, the carried wheels
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null | tee "$OUT/gpu.txt" || true
python3 benchmarks/train_step.py --batch_sizes="${BATCH_SIZES:-128,1024}" --rounds="${ROUNDS:-2}" \
  --steps="${STEPS:-100}" --log_every="${LOG_EVERY:-50}" \
  --loops="${LOOPS:-device:1,device:10,device:10:8}" --manual_dir=.gpu_data \
  --torch_python="${TORCH_PYTHON:-python3}" --torch_reference=.gpu_data/torch_reference.py \
  --output="$OUT/gpu_bench.json" 2>&1 | tee "$OUT/gpu_bench.log"
