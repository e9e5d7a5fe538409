#!/usr/bin/env bash
# lstm on nottingham: the recipe behind chapter 8's results table (see README.md here for the time it takes).
# Usage: bash examples/recipes/nottingham_lstm.sh [extra flags for cadenza train]   (DATA=/path/to/benchmark/folders)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
make -s build/cadenza
build/cadenza train --model lstm --data "$DATA/nottingham" --seed 0 --epochs 20 --out out/recipes/nottingham_lstm "$@"
build/cadenza eval --checkpoint out/recipes/nottingham_lstm/model.safetensors
