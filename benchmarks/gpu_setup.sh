# Sourced by the GPU scripts (benchmarks/gpu_check.sh, benchmarks/gpu_seeds_check.sh): works
# from the repository root, makes $OUT (default /tmp/gpu_check), and installs the carried
# pure-Python wheels (.whl: ml_collections and PyYAML, which JAX GPU images lack) into
# /tmp/site, on PYTHONPATH.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-/tmp/gpu_check}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
