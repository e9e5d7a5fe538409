#!/usr/bin/env bash
# tcn on jsb_chorales: the recipe behind chapter 8's results table (see README.md here for the time it takes).
# Usage: bash examples/recipes/jsb_tcn.sh [extra flags for cadenza train]   (DATA=/path/to/benchmark/folders)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data}
make -s build/cadenza
build/cadenza train --model tcn --data "$DATA/jsb_chorales" --seed 0 --out out/recipes/jsb_tcn "$@"
build/cadenza eval --checkpoint out/recipes/jsb_tcn/model.safetensors
