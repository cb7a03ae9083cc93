#!/usr/bin/env bash
# Seed sweeps prepared for one run on a lent GPU (the device tool; see
# benchmarks/gpu_check.sh for the wheels and data it carries).
#
#   bash scripts/gpu_seed_sweeps.sh            # after benchmarks/gpu_check.sh, same machine
#
# Trains, each config with its seeds in one program (config.num_seeds, MNIST on the device,
# config.steps_per_dispatch steps per call), and evaluates every seed at its last checkpoint
# (STEPS, unless TRAIN_LIMIT stopped it first) and, for the runs named in EARLY_EVAL, at
# EARLY. SWEEPS lists the runs as name:config:seeds[:steps[:overrides]] (steps: STEPS unless
# given; overrides: comma-separated key=value, each passed as --config.key=value); by default
#   mnist   configs/mnist.py         (the paper's InfoGAN)        seeds 0 .. MNIST_SEEDS-1
#   consistency  configs/mnist_consistency.py  (+ consistency term)  seeds 0 .. SEEDS-1
#   ss      configs/mnist_ss.py      (ss-InfoGAN, 10 labels/digit) seeds 0 .. SEEDS-1
# ss-InfoGAN with the consistency term against without (issue 20):
#   SWEEPS="ss:mnist_ss:5 sscons:mnist_ss_consistency:5" bash scripts/gpu_seed_sweeps.sh
# The GAN family's MNIST table and VAE-GAN against the VAE:
#   SWEEPS="dcgan:dcgan:3 cgan:cgan:3 acgan:acgan:3 wgan_gp:wgan_gp:3:25000
#           iwgan:infogan_wgan_gp:3:25000 vaegan:vaegan:3 vae:vae:3" EARLY_EVAL= bash scripts/gpu_seed_sweeps.sh
# (WGAN-GP's steps are critic updates: 25,000 are its configs' 5,000 generator updates.)
# The runs named in GENERATED_DATA are evaluated with --generated_data too (CAS on each seed,
# the augmentation study on the first; raise EVAL_LIMIT: 7 classifier fits a run, 19 the first):
#   GENERATED_DATA="cgan acgan" EVAL_LIMIT=600 SWEEPS="cgan:cgan:3 acgan:acgan:3" ...
# One label per digit: ss1:mnist_ss_consistency:5:5000:semi_supervised.labels_per_class=1
# The trainings run side by side, then the evaluations (several processes share the
# GPU, each allocating as it goes); a second call resumes trainings a limit stopped.
# Results: $OUT/sweeps.tar.gz (every seed's metrics.jsonl, eval metrics.json, report.md and
# category grid; eval_seeds.md per config and step) and $OUT/sweeps.log.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/gpu_sweeps}
RUNS=${RUNS:-/tmp/sweeps}
DATA=${DATA:-.gpu_data}
STEPS=${STEPS:-5000}
EARLY=${EARLY:-3000}
SEEDS=${SEEDS:-5}
MNIST_SEEDS=${MNIST_SEEDS:-10}
PER_DISPATCH=${PER_DISPATCH:-50}
SWEEPS=${SWEEPS-"mnist:mnist:$MNIST_SEEDS consistency:mnist_consistency:$SEEDS ss:mnist_ss:$SEEDS"}
EARLY_EVAL=${EARLY_EVAL-mnist}    # the runs also evaluated at step EARLY
TRAIN_LIMIT=${TRAIN_LIMIT:-200}   # seconds, each training process
EVAL_LIMIT=${EVAL_LIMIT:-200}     # seconds, each evaluation process
GENERATED_DATA=${GENERATED_DATA-}  # the runs also measured as training data (--generated_data)
mkdir -p "$OUT" "$RUNS"
export PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3
# Several processes share the GPU: each takes memory as it needs it, not JAX's 75% up front.
export XLA_PYTHON_CLIENT_PREALLOCATE=false
LOG="$OUT/sweeps.log"
DATA_FLAGS=(--config.manual_dir="$DATA" --config.data_reader=archives
            --config.data_placement=device --config.eval.classifier_dir="$DATA/classifier")

overrides() {   # "a.b=1,c=2" -> --config.a.b=1 --config.c=2
  local kv
  [ -n "$1" ] || return 0
  for kv in ${1//,/ }; do printf -- '--config.%s\n' "$kv"; done
}

train() {   # name config seeds steps overrides
  local start=$SECONDS extra
  mapfile -t extra < <(overrides "$5")
  # Checkpoints every EARLY steps, or every fifth of the run if that is sooner: a run stopped
  # by TRAIN_LIMIT saves on SIGTERM and is evaluated where it got to.
  local every=$(( EARLY < $4 / 5 ? EARLY : $4 / 5 ))
  timeout "$TRAIN_LIMIT" python3 train.py --config="configs/$2.py" --workdir="$RUNS/$1" \
    "${DATA_FLAGS[@]}" --config.num_seeds="$3" --config.num_train_steps="$4" \
    --config.steps_per_dispatch="$PER_DISPATCH" --config.log_every_steps="$PER_DISPATCH" \
    --config.checkpoint_every_steps="$every" --config.sample_every_steps="$4" "${extra[@]}" \
    > "$RUNS/$1.train.log" 2>&1
  echo "train $1 ($3 seeds, $4 steps): exit $? after $((SECONDS - start)) s" | tee -a "$LOG"
}

evaluate() {   # name config step|latest overrides (latest: the last checkpoint)
  local start=$SECONDS step=() extra
  mapfile -t extra < <(overrides "$4")
  [ "$3" = latest ] || step=(--step="$3")
  case " $GENERATED_DATA " in *" $1 "*) extra+=(--generated_data) ;; esac
  timeout "$EVAL_LIMIT" python3 eval.py --config="configs/$2.py" --workdir="$RUNS/$1" \
    "${DATA_FLAGS[@]}" "${step[@]}" "${extra[@]}" > "$RUNS/$1.eval$3.log" 2>&1
  local rc=$?
  cp "$RUNS/$1/eval_seeds.md" "$RUNS/$1.eval_seeds.$3.md" 2>/dev/null
  echo "eval $1 at step $3: exit $rc after $((SECONDS - start)) s" | tee -a "$LOG"
}

echo "sweeps: $STEPS steps, $PER_DISPATCH per call; $(date -u)" | tee -a "$LOG"
for spec in $SWEEPS; do
  IFS=: read -r name config seeds steps settings <<< "$spec"
  train "$name" "$config" "$seeds" "${steps:-$STEPS}" "$settings" &
done
wait
for spec in $SWEEPS; do
  IFS=: read -r name config seeds steps settings <<< "$spec"
  evaluate "$name" "$config" latest "$settings" &
  case " $EARLY_EVAL " in *" $name "*) evaluate "$name" "$config" "$EARLY" "$settings" & ;; esac
done
wait
for f in "$RUNS"/*.eval_seeds.*.md; do echo "== $f"; cat "$f"; done | tee -a "$LOG"
(cd "$RUNS" && find . \( -name metrics.jsonl -o -name config.json -o -name metrics.json \
   -o -name report.md -o -name errors.log -o -name categories_0.png -o -name '*.log' -o -name '*.md' \) \
   -not -path '*/checkpoints/*' -print0 | tar czf "$OUT/sweeps.tar.gz" --null -T -)
ls -la "$OUT"
