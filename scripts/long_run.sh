#!/usr/bin/env bash
# The extended profile's fold jobs in the background, nice'd. The order puts cheap, decisive evidence
# first: Cells2's central-claim networks (FF-VGG19, Xception, MobileNetV2), off-the-shelf on COV_CT at
# scratch's 112 px and MobileNetV2 from scratch there (the like-for-like pair), the float32/bfloat16
# curve check, the Cells2 seed replicates, COV_CT Xception and FF-VGG19, then every other block's
# first seed (Table 7 needs 5 folds of each network on both datasets; the float32/bfloat16 curve
# check of the other bfloat16 networks after their Cells2 folds), last the remaining seed replicates.
# Fold files are committed by scripts/commit_folds.sh (or the before-stop hook).
#   nohup bash scripts/long_run.sh > build/long_run.log 2>&1 &
set -uo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2 MEDLIB_PROGRESS=text
# tcmalloc (or jemalloc) preloaded: epochs 2.4x faster on AVX2, the same numbers (docs/benchmarks.md);
# installed first where this user may (a project machine starts without it)
MEDLIB_ALLOCATOR_INSTALL=1 . scripts/allocator.sh
RUN="nice -n 10 .venv/bin/python -m medlib run --profile extended --quiet"
# bfloat16 is emulated without AVX512-BF16 (0.1-0.2x float32's speed): such a machine runs the
# float32 jobs and leaves the bfloat16 ones to one that has it (MEDLIB_PRECISION overrides)
if [ -n "${MEDLIB_PRECISION:-}" ]; then RUN="$RUN --precision $MEDLIB_PRECISION"
elif ! grep -q avx512_bf16 /proc/cpuinfo; then RUN="$RUN --precision float32"
  echo "[long_run] no AVX512-BF16 on this CPU: float32 jobs only"; fi
BENCH="${MEDLIB_RESULTS_DIR:-results}/bench"
# A CPU with native bfloat16 first runs the jobs only such a CPU can run (they pair with bfloat16
# folds): COV_CT's second noise reading (issue 37), COV_CT Xception's second seed (issue 36),
# cross-device from scratch (issue 37), then the shared-learning-rate recipe if its condition holds
# (issue 37). Float32 jobs run on any CPU, so they wait.
if [ -z "${MEDLIB_PRECISION:-}" ] && grep -q avx512_bf16 /proc/cpuinfo; then
  BF16="$RUN --precision mixed_bfloat16"
  $BF16 --datasets cov_ct_noise255
  $BF16 --datasets cov_ct --strategies scratch --networks xception
  nice -n 10 .venv/bin/python -m medlib cross --profile extended --quiet
  # issue 37: every network at 1e-3 (medlib.data.registry.SHARED_LR_RULE); the engine holds these
  # jobs until the noise readings leave a plain VGG at its floor (`python -m medlib gate cov_ct_shared_lr`)
  $BF16 --datasets cov_ct_shared_lr
fi
# issue 36 first: scratch vs off-the-shelf for Xception and MobileNetV2 on every dataset with both arms
# (scripts/plan_central_claim.py printed the design's power and hours: docs/central_claim_plan.md);
# cheap arms first, then one seed everywhere, then the second seed
CLAIM="covid_chestxray mosmed_ct pneumoniamnist breastmnist"
$RUN --datasets cov_ct cells2 $CLAIM --strategies off_the_shelf --networks xception mobilenetv2
$RUN --datasets cov_ct $CLAIM --strategies scratch --networks mobilenetv2
$RUN --datasets $CLAIM --strategies scratch --networks xception --replicates 0
$RUN --datasets cov_ct $CLAIM --strategies scratch --networks xception
# issue 37: the second reading of COV_CT's noise (bfloat16, as the folds it pairs with: an AVX512-BF16 CPU);
# the other five networks follow in float32 only if it is adopted (the engine holds them until then)
$RUN --datasets cov_ct_noise255
# issue 38: fine-tuning, the third arm, on COV_CT and Cells2 (float32): before the smears, as it is
# all that issue still needs, while issue 37 also waits for bfloat16 folds
$RUN --datasets cov_ct cells2 --strategies fine_tune
# issue 37: Cells2's whole smears (float32, any CPU)
$RUN --datasets cells2_smears --replicates 0
$RUN --datasets cells2_smears
# issue 37: cross-device from scratch (FF-VGG19, Xception; bfloat16 where native) beside off-the-shelf
nice -n 10 .venv/bin/python -m medlib cross --profile extended --quiet
$RUN --datasets cells2 --networks ff_vgg19 xception mobilenetv2 --replicates 0
$RUN --datasets cov_ct --strategies off_the_shelf
$RUN --datasets cov_ct --strategies scratch --networks mobilenetv2
for net in ff_vgg19 xception; do
  [ -f "$BENCH/precision_curve_cells2_${net}_fold0_summary.csv" ] ||
    nice -n 10 .venv/bin/python scripts/bench_precision_curve.py --dataset cells2 --network $net --fold 0
done
$RUN --datasets cells2 --networks ff_vgg19 xception mobilenetv2
$RUN --datasets cov_ct --strategies scratch --networks xception ff_vgg19
$RUN --datasets cells2 --replicates 0
# the curve check for the other networks trained in bfloat16 (fold 0's bfloat16 run is the
# profile's own fold file, so only the float32 run is new): before their COV_CT hours are spent
for net in vgg19 inceptionv3 densenet121; do
  [ -f "$BENCH/precision_curve_cells2_${net}_fold0_summary.csv" ] ||
    nice -n 10 .venv/bin/python scripts/bench_precision_curve.py --dataset cells2 --network $net --fold 0
done
$RUN --replicates 0
$RUN
.venv/bin/python -m medlib collect --profile extended
