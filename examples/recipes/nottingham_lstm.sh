#!/usr/bin/env bash
# lstm on nottingham: the recipe behind chapter 8's results table (see README.md here for the time it takes).
# Usage: bash examples/recipes/nottingham_lstm.sh [extra flags for cadenza train]   (DATA=/path/to/benchmark/folders, SEED=0)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
SEED=${SEED:-0}  # the results table averages seeds 0, 1 and 2
make -s build/cadenza
build/cadenza train --model lstm --data "$DATA/nottingham" --seed "$SEED" --epochs 20 --out "out/recipes/nottingham_lstm-seed$SEED" "$@"
build/cadenza eval --checkpoint "out/recipes/nottingham_lstm-seed$SEED/model.safetensors"
