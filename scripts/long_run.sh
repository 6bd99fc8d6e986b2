#!/usr/bin/env bash
# The extended profile's fold jobs in the background, nice'd, in the plan's order (medlib/profiles.py:
# the central claim's networks first), with the precision-curve check once Cells2's FF-VGG19 and
# Xception folds exist. Fold files are committed by scripts/commit_folds.sh (or the before-stop hook).
#   nohup bash scripts/long_run.sh > build/long_run.log 2>&1 &
set -uo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2 MEDLIB_PROGRESS=text
PY=.venv/bin/python
nice -n 10 $PY -m medlib run --profile extended --datasets cells2 --networks ff_vgg19 xception mobilenetv2 --quiet
for net in ff_vgg19 xception; do
  [ -f "results/bench/precision_curve_cells2_${net}_fold0_summary.csv" ] ||
    nice -n 10 $PY scripts/bench_precision_curve.py --dataset cells2 --network $net --fold 0
done
nice -n 10 $PY -m medlib run --profile extended --quiet
$PY -m medlib collect --profile extended
