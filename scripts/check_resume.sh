#!/usr/bin/env bash
# Check (not a test: minutes of CPU): a block run uninterrupted and one killed with -9 mid-block, then
# resumed, give identical fold rows (metrics, learning curve, predictions). Default: quick, Cells2,
# MobileNetV2 from scratch (3 folds). Writes under build/resume_check/.
#   bash scripts/check_resume.sh
cd "$(dirname "$0")/.."
rm -rf build/resume_check
export TF_CPP_MIN_LOG_LEVEL=2 MEDLIB_PROGRESS=off
PY=.venv/bin/python
ARGS="run --profile quick --datasets cells2 --networks mobilenetv2 --strategies scratch --quiet"
export MEDLIB_RESULTS_DIR=$PWD/build/resume_check/uninterrupted
date -Is; nice -n 5 $PY -m medlib $ARGS; date -Is
export MEDLIB_RESULTS_DIR=$PWD/build/resume_check/killed
nice -n 5 $PY -m medlib $ARGS & pid=$!
f0=$MEDLIB_RESULTS_DIR/quick/runs/cells2/mobilenetv2/scratch/dense/fold0.json
while [ ! -f "$f0" ]; do sleep 2; done
sleep 20   # fold 1 is training now
kill -9 $pid; wait $pid 2>/dev/null; echo "killed -9 at $(date -Is) after: $(ls $(dirname $f0))"
nice -n 5 $PY -m medlib $ARGS; date -Is
$PY - <<'PY'
import json, pathlib
root = pathlib.Path("build/resume_check")
cols = ["accuracy", "auc", "epochs_run", "best_epoch", "train_accuracy", "config_hash", "n_test"]
same = True
for k in range(3):
    rows = [json.loads((root / r / "quick/runs/cells2/mobilenetv2/scratch/dense" / f"fold{k}.json").read_text())
            for r in ("uninterrupted", "killed")]
    preds = [json.loads((root / r / "quick/runs/cells2/mobilenetv2/scratch/dense" / f"fold{k}.pred.json").read_text())
             for r in ("uninterrupted", "killed")]
    eq = all(rows[0][c] == rows[1][c] for c in cols) and rows[0]["history"] == rows[1]["history"] and preds[0] == preds[1]
    same &= eq
    print(f"fold {k}: " + " | ".join(f"{r['accuracy']:.1f}% epochs {r['epochs_run']} hash {r['config_hash']}" for r in rows)
          + f" -> {'identical (metrics, curve, predictions)' if eq else 'DIFFERENT'}")
print("ALL IDENTICAL" if same else "MISMATCH")
PY
