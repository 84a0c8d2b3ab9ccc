#!/usr/bin/env bash
# The GPU check of issue 16: one script, under 8 minutes on one GPU, every figure written to
# the folder given as its argument (one .txt per part, summary.txt with each part's exit
# status and time):
#   tests    the CUDA test subset: tests/runtime (device `auto` is the GPU there), the cost
#            model, and the long one-trajectory runs (a member in a stack of K gives the bytes
#            of the member alone: on CUDA this is where cuBLAS would show a difference)
#   compiled the compiled step's one-trajectory runs (a member of a compiled stack of K against
#            the member compiled alone, early stops included: Triton's kernels for each K)
#   runtime  single-run steps/s against the plain and the best hand loop, eager and compiled
#            (bench/runtime.py)
#   family   a 64-member family stacked against the same members one by one (bench/family.py)
#
#   bench/gpu.sh OUT_DIR                  # on a machine with a CUDA GPU
#   DEVICE=cpu SEEDS=4 bench/gpu.sh OUT   # the same plumbing on a CPU, smaller (a dry run)
#
# PYTHON names the interpreter (default: python). Exit status 0 when every part passed,
# 1 when one failed or ran out of its time, 2 when there is no CUDA device.
#
# The parts' time limits add up to 450 s, so that with the checks before them (two torch
# imports, nvidia-smi) the script ends within 8 minutes even when every part runs to its
# limit. The CPU dry run above took 44, 50, 22, 43 and 9 s (2 cores, 4 seeds); on CUDA the
# runtime and compiled parts add
# cold torch.compiles (Triton kernels, no cache on a fresh machine) and the family part
# trains 64 members one by one, so those keep the most.
set -u
out=${1:?usage: bench/gpu.sh OUT_DIR}
device=${DEVICE:-cuda}
seeds=${SEEDS:-64}
py=${PYTHON:-python}
cd "$(dirname "$0")/.." || exit 2
mkdir -p "$out"
if [ "$device" = cuda ]; then
  "$py" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: bench/gpu.sh is the GPU check')" || exit 2
  (nvidia-smi || true) > "$out/nvidia-smi.txt" 2>&1
fi
"$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" > "$out/versions.txt" 2>&1
: > "$out/summary.txt"
failed=0

part() {  # part NAME SECONDS COMMAND...: run it under a time limit, keep its output, say how it went
  local name=$1 limit=$2 began rc
  shift 2
  began=$(date +%s)
  timeout "$limit" "$@" > "$out/$name.txt" 2>&1
  rc=$?
  echo "$name: exit $rc in $(( $(date +%s) - began )) s (limit $limit s): $*" | tee -a "$out/summary.txt"
  tail -n 8 "$out/$name.txt"
  [ "$rc" -eq 0 ] || failed=1
}

part tests 100 "$py" -m pytest -q -p no:cacheprovider tests/runtime tests/orchestrate/test_cost_model.py
part trajectory 70 "$py" -m pytest -q -p no:cacheprovider tests/runtime/test_one_trajectory.py -m slow
part compiled 60 "$py" -m pytest -q -p no:cacheprovider tests/runtime/test_compiled_step.py -m slow
part runtime 110 "$py" bench/runtime.py --device "$device" --steps 500 --rounds 3
part family 110 "$py" bench/family.py --device "$device" --seeds "$seeds" --steps-small 600 --skip expansion quickstart strategy
exit "$failed"
