#!/bin/bash
# The full profile spread over a cluster's GPUs with a SLURM job array: task i of n runs the
# fold jobs i, i+n, i+2n, ... of the fixed plan (`python -m medlib run --shard i/n`); every
# job writes its own fold file under results/full/, so tasks never collide, a failed task
# is resubmitted alone (finished folds are skipped), and once all are done
# `make reproduce PROFILE=full` only collects and renders.
#
#   sbatch --array=0-31 scripts/slurm_full.sh          # 32 tasks
#
# Set up once on the cluster: a checkout, `make env TF=gpu` (TensorFlow with CUDA) or a venv
# with `pip install -e '.[jax]' 'jax[cuda12]'` and KERAS_BACKEND=jax, and the data mirror
# (MEDLIB_DATA_MIRROR) or packed arrays (MEDLIB_ARRAYS, see scripts/device_run.py).
#SBATCH --job-name=medlib-full
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --mem=32G
#SBATCH --time=12:00:00
#SBATCH --output=logs/medlib-full-%A_%a.out
set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-$(dirname "$0")/..}"
export MEDLIB_PROGRESS=text PYTHONUNBUFFERED=1
.venv/bin/python -m medlib run --profile full --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}"
