#!/usr/bin/env bash
# Regenerate every number of docs/reproduction.md: run the paper's specs and families
# (finished runs are reused; --force retrains), then `clockspec report` each of them.
#   bench/reproduce.sh [OUT]            (default OUT: runs/paper)
#   FIGURES=docs/figures bench/reproduce.sh   also copies the small figures the doc shows
# Wall times go to OUT/times.txt. Sized for 2 CPU cores: about 45 minutes from scratch.
set -euo pipefail
OUT=${1:-runs/paper}
SPECS=$(dirname "$0")/../specs/paper
mkdir -p "$OUT"
: > "$OUT/times.txt"
log_time() {  # NAME START: the wall time since START (a reused run takes about a second)
  echo "$1 $(( $(date +%s) - $2 )) s" | tee -a "$OUT/times.txt"
}
for spec in dln-teacher modadd-relu; do
  start=$(date +%s)
  dir=$(clockspec run "$SPECS/$spec.yaml" --out "$OUT" -q | tail -n 1)
  log_time "$spec" "$start"
  clockspec report "$dir" -q
done
start=$(date +%s)  # Power et al. 2022 on S5 at width 128: the spec's 2 layers, then 1 layer
s5=$(clockspec run "$SPECS/power-2022-s5.yaml" --out "$OUT" -q | tail -n 1)
log_time power-2022-s5 "$start"
clockspec report "$s5" -q
start=$(date +%s)
clockspec run "$SPECS/power-2022-s5.yaml" --set model.layers=1 --out "$OUT" -q > /dev/null
log_time power-2022-s5-1-layer "$start"
for family in dln-depth-wd modadd-wd modadd-train-fraction modadd-init-scale modadd-seeds nanda-cpu-wd prieto-2025 \
              grokfast-2024 kumar-2024; do
  start=$(date +%s)
  clockspec run "$SPECS/$family.yaml" --out "$OUT" --jobs 1 -q
  log_time "$family" "$start"
  clockspec report "$OUT/$family" -q
done
start=$(date +%s)  # Barak et al. 2022: steps to solve an online (n, 3) parity against n, and the fitted exponent
python "$(dirname "$0")/barak.py" --out "$OUT" | tee "$OUT/barak.txt"
log_time barak-2022 "$start"
clockspec report "$OUT/barak-2022" -q
if [ -n "${FIGURES:-}" ]; then
  mkdir -p "$FIGURES"
  for spec in dln-teacher modadd-relu; do cp "$OUT/$spec"-*/clock_curves.png "$FIGURES/$spec-clock_curves.png"; done
  cp "$OUT"/modadd-relu-*/curves.png "$FIGURES/modadd-relu-curves.png"
  for family in dln-depth-wd modadd-wd; do cp "$OUT/$family/clock_curves.png" "$FIGURES/$family-clock_curves.png"; done
  cp "$OUT/nanda-cpu-wd/clocks.png" "$FIGURES/nanda-cpu-wd-clocks.png"
  cp "$OUT/barak-2022/clocks.png" "$FIGURES/barak-2022-clocks.png"
  cp "$s5/curves.png" "$FIGURES/power-2022-s5-curves.png"
  cp "$OUT/prieto-2025/clocks.png" "$FIGURES/prieto-2025-clocks.png"
  for family in grokfast-2024 kumar-2024; do  # every member's curves in one figure
    clockspec compare "$OUT/$family"/*-*/ -o "$FIGURES/$family-compare.png" > /dev/null
  done
fi
