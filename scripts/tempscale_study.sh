#!/usr/bin/env bash
# The TempScale / length-collapse study: regenerates docs/TEMPSCALE.md, docs/tempscale/*.png and
# docs/tempscale/results.json from real runs of the edgembed CLI (see tools/eval/edgembed_eval/study.py).
#
#   scripts/tempscale_study.sh                 # the whole study (about 25 M model tokens; resumes from the cache)
#   scripts/tempscale_study.sh --quick         # CI smoke: every phase on tiny subsets, writes to build/tempscale-quick
#   scripts/tempscale_study.sh --report-only   # rewrite the doc and plots from docs/tempscale/results.json
#
# Environment: EDGEMBED_BIN (CLI, default build/tools/cli/edgembed), EDGEMBED_MODELS_DIR (default models/),
# EDGEMBED_SHARED_DATA (default ../shared/data), TEMPSCALE_CACHE (default .cache/tempscale),
# TEMPSCALE_THREADS (default 2). Extra arguments go to `python -m edgembed_eval.study`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || PY=python3
export PYTHONPATH="$ROOT/tools/eval${PYTHONPATH:+:$PYTHONPATH}"
export MPLBACKEND=Agg

quick=0
for a in "$@"; do [ "$a" = "--quick" ] && quick=1; done
if [ "$quick" = 1 ]; then
  out=${TEMPSCALE_QUICK_OUT:-$ROOT/build/tempscale-quick}
  mkdir -p "$out"
  exec "$PY" -m edgembed_eval.study --doc "$out/TEMPSCALE.md" --fig-dir "$out" \
    --cache "${TEMPSCALE_CACHE:-$out/cache}" --threads "${TEMPSCALE_THREADS:-2}" \
    --command "scripts/tempscale_study.sh $*" "$@"
fi
exec "$PY" -m edgembed_eval.study --doc "$ROOT/docs/TEMPSCALE.md" --fig-dir "$ROOT/docs/tempscale" \
  --cache "${TEMPSCALE_CACHE:-$ROOT/.cache/tempscale}" --threads "${TEMPSCALE_THREADS:-2}" \
  --command "scripts/tempscale_study.sh${*:+ $*}" "$@"
