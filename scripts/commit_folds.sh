#!/usr/bin/env bash
# Commit finished fold files of a long run every INTERVAL seconds (default 1800), touching nothing
# else: `git commit --only` on results/<profile>/runs, so work in progress elsewhere stays as it is.
#   nohup bash scripts/commit_folds.sh extended > build/commit_folds.log 2>&1 &
set -uo pipefail
cd "$(dirname "$0")/.."
profile=${1:-extended}
interval=${INTERVAL:-1800}
while true; do
  sleep "$interval"
  git add -- "results/$profile/runs" 2>/dev/null || continue
  n=$(git diff --cached --name-only -- "results/$profile/runs" | grep -cE 'fold[0-9]+(\.r[0-9]+)?\.json$' || true)
  if [ "$n" -gt 0 ]; then
    git commit -q --only -m "$profile: $n finished fold file(s) (background run)" -- "results/$profile/runs" \
      && echo "$(date -Is) committed $n fold files"
  fi
done
