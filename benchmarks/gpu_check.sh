#!/usr/bin/env bash
# The GPU check, one command, on a machine with an NVIDIA GPU:
#
#     bash benchmarks/gpu_check.sh            # or: make gpu-check
#
# 1. the CuPy tests: the op x backend matrix and fused-vs-composed on CuPy (pytest -m gpu,
#    and the whole fused and op-matrix files with the cupy backend selected);
# 2. the forward+backward benchmark with CuPy and PyTorch CUDA (cuDNN) rows, medium and large;
# 3. the training-loop benchmark with the same rows (--quick: a few updates each).
# Everything it prints also goes to gpu-check-out/ (or $OUT when set), one file per part,
# so the figures can be copied into docs/benchmarks.md. Each part runs even if one before it
# failed; the exit status is that of the first failure.
#
# Needs: CuPy for the driver's CUDA (pip install -e ".[cuda12]" or ".[cuda13]") and, for the
# cuDNN rows, a CUDA build of torch; the script says what is missing and goes on.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
OUT_DIR=${OUT:-gpu-check-out}
mkdir -p "$OUT_DIR"
status=0

step() {   # step NAME COMMAND...: run, keep its output, remember the first failure
    local name=$1; shift
    echo "== $name: $*"
    "$@" 2>&1 | tee "$OUT_DIR/$name.txt"
    local rc=${PIPESTATUS[0]}
    echo "== $name: exit $rc"
    [ "$status" -ne 0 ] || status=$rc
}

command -v nvidia-smi >/dev/null && nvidia-smi | tee "$OUT_DIR/nvidia-smi.txt"
"$PY" - <<'EOF' 2>&1 | tee "$OUT_DIR/versions.txt"
import importlib
for name in ("numpy", "cupy", "torch", "numba"):
    try:
        m = importlib.import_module(name)
        extra = ""
        if name == "cupy":
            extra = f", CUDA devices: {m.cuda.runtime.getDeviceCount()}"
        if name == "torch":
            extra = f", CUDA: {m.cuda.is_available()} ({m.version.cuda})"
        print(f"{name} {m.__version__}{extra}")
    except Exception as err:        # missing, or no driver
        print(f"{name}: not usable here ({type(err).__name__}: {err})")
EOF

step tests-gpu "$PY" -m pytest -q -m gpu tests/
step tests-cupy "$PY" -m pytest -q -k cupy tests/test_op_matrix.py tests/test_fused.py tests/test_optim.py
step bench-lstm "$PY" benchmarks/bench_lstm.py --gpu --sizes medium,large --no-memory
step bench-train "$PY" benchmarks/bench_train.py --gpu --quick --threads 2
exit "$status"
