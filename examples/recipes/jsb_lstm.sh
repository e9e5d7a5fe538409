#!/usr/bin/env bash
# lstm on jsb_chorales: the recipe behind chapter 8's results table (see README.md here for the time it takes).
# Usage: bash examples/recipes/jsb_lstm.sh [extra flags for cadenza train]   (DATA=/path/to/benchmark/folders, SEED=0)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
SEED=${SEED:-0}  # the results table averages seeds 0, 1 and 2
make -s build/cadenza
build/cadenza train --model lstm --data "$DATA/jsb_chorales" --seed "$SEED" --out "out/recipes/jsb_lstm-seed$SEED" "$@"
build/cadenza eval --checkpoint "out/recipes/jsb_lstm-seed$SEED/model.safetensors"
