#!/usr/bin/env bash
# bench_train.sh: `make bench-train`. Whole training runs, not steps: what a user waits for. Each
# against its PyTorch twin, at 1 and 2 threads, the two taken in turns:
#   the JSB LSTM recipe of chapter 8 (cadenza train --model lstm) and tests/bench/jsb_lstm_twin.py
#   (the same model, initialisation rule, optimiser, batches of whole pieces, transposition, weight
#   averaging, learning-rate rule and epochs): wall time and test NLL. Both train exactly EPOCHS
#   epochs (no early stop: the same work on both sides; the learning-rate rule still runs);
#   the RBM demo's training (cadenza train on the bundled corpus) and tests/bench/rbm_demo_twin.py,
#   on the examples Cadenza writes: wall time, reconstruction error and pseudo-likelihood.
# Each side's wall time is its whole process (start-up, data, training, validation, the test).
# Goals (issue "fast on every CPU"): Cadenza's time at most 0.8x PyTorch's at both thread counts,
# the LSTM's two NLLs within 0.05. EPOCHS=N (default 60) for each LSTM run, RBM_EPOCHS=N (default
# 100, the demo's) for each RBM run; SEED=S (0). Needs ../shared/data (DATA=) and Debian's
# python3-torch. Never part of `make test`. Results: out/bench/train.txt.
set -uo pipefail
CLI=${CADENZA_CLI:-build/cadenza}
DATA=${DATA:-../shared/data}
EPOCHS=${EPOCHS:-60}
RBM_EPOCHS=${RBM_EPOCHS:-100}  # the demo's own
SEED=${SEED:-0}          # the RBM's seed
SEEDS=${SEEDS:-0 1 2}    # the LSTM's seeds
MODELS=${MODELS:-lstm rbm}
case $EPOCHS in '' | *[!0-9]* | 0)
  echo "bench-train: EPOCHS must be a whole number of epochs, 1 or more (got '$EPOCHS')" >&2; exit 2 ;;
esac
[ -d "$DATA/jsb_chorales" ] || { echo "bench-train: no $DATA/jsb_chorales (set DATA= to the benchmark folders)" >&2; exit 2; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "bench-train: needs Debian's python3-torch for the twin (apt-get install python3-torch)" >&2; exit 2; }
[ -x "$CLI" ] || { echo "bench-train: no $CLI (make build/cadenza)" >&2; exit 2; }
OUT=out/bench
mkdir -p "$OUT"
RES=$OUT/train.txt
: > "$RES"
here=$(dirname "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
cadenza_run() {  # threads seed: train, then eval, one wall time
  local t0 t1 nll dir=$work/cadenza-$1-$2
  t0=$(now)
  OMP_NUM_THREADS=$1 "$CLI" train --model lstm --data "$DATA/jsb_chorales" --epochs "$EPOCHS" --patience 100000 \
    --seed "$2" --out "$dir" > "$dir.log" 2>&1 || { echo "bench-train: cadenza train failed:"; tail -5 "$dir.log"; return 1; }
  OMP_NUM_THREADS=$1 "$CLI" eval --checkpoint "$dir/model.safetensors" > "$dir.eval" 2>&1
  t1=$(now)
  nll=$(grep -m1 -oE 'split=test nll=[0-9.]+' "$dir.eval" | cut -d= -f3)
  echo "peer=cadenza bench=train_jsb_lstm epochs=$EPOCHS seed=$2 threads=$1 seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}') test_nll=$nll" | tee -a "$RES"
}
torch_run() {  # threads seed
  local t0 t1 line
  t0=$(now)
  line=$(PEER_THREADS=$1 OMP_NUM_THREADS=$1 /usr/bin/python3 "$here/jsb_lstm_twin.py" "$DATA/jsb_chorales" "$EPOCHS" "$2" 0 2> "$work/twin-$1-$2.log")
  t1=$(now)
  [ -n "$line" ] || { echo "bench-train: the PyTorch twin failed:"; tail -5 "$work/twin-$1-$2.log"; return 1; }
  line=$(echo "$line" | sed "s/ threads=/ seed=$2 threads=/")
  # its own seconds= is from inside the script; the wall time, like Cadenza's, includes starting Python
  echo "$line" | sed "s/ seconds=[0-9.]*/ seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}')/" | tee -a "$RES"
}
# The RBM demo's training (cadenza train on the bundled corpus, the default recipe) and its twin,
# tests/bench/rbm_demo_twin.py, on the examples Cadenza writes (--save-examples): the wall time of
# each process, and the last epoch's reconstruction error and pseudo-log-likelihood per step.
rbm_cadenza() {
  local t0 t1 dir=$work/rbm-$1
  t0=$(now)
  OMP_NUM_THREADS=$1 "$CLI" train --epochs "$RBM_EPOCHS" --seed "$SEED" --out "$dir" --save-examples "$work/examples.npy" \
    > "$work/rbm-$1.log" 2>&1 || { echo "bench-train: cadenza train (RBM) failed:"; tail -5 "$work/rbm-$1.log"; return 1; }
  t1=$(now)
  local last  # the last epoch of the history the checkpoint keeps (epoch:recon:PLL;...)
  last=$(/usr/bin/python3 -c 'import json, struct, sys
raw = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", raw[:8])[0]
e = json.loads(raw[8:8 + n])["__metadata__"]["history"].split(";")[-1].split(":")
print("recon=%.4f pll=%.2f" % (float(e[1]), float(e[2])))' "$dir/model.safetensors")
  echo "peer=cadenza bench=train_rbm_demo epochs=$RBM_EPOCHS threads=$1 seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}') $last" | tee -a "$RES"
}
rbm_torch() {
  local t0 t1 line
  t0=$(now)
  line=$(PEER_THREADS=$1 OMP_NUM_THREADS=$1 /usr/bin/python3 "$here/rbm_demo_twin.py" "$work/examples.npy" "$RBM_EPOCHS" "$SEED" 2> "$work/rbm-twin-$1.log")
  t1=$(now)
  [ -n "$line" ] || { echo "bench-train: the PyTorch RBM twin failed:"; tail -5 "$work/rbm-twin-$1.log"; return 1; }
  echo "$line" | sed "s/ seconds=[0-9.]*/ seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b - a}')/" | tee -a "$RES"
}
# The LSTM: every seed of SEEDS at 1 thread, in turns (the NLLs compare as means over seeds: one
# seed's NLL after a fixed number of epochs moves by 0.1 either way); the first seed at 2 threads.
first=${SEEDS%% *}
if [[ " $MODELS " == *" lstm "* ]]; then
  i=0
  for seed in $SEEDS; do
    if [ $((i % 2)) = 0 ]; then cadenza_run 1 "$seed" && torch_run 1 "$seed"; else torch_run 1 "$seed" && cadenza_run 1 "$seed"; fi || exit 1
    i=$((i + 1))
  done
  { torch_run 2 "$first" && cadenza_run 2 "$first"; } || exit 1
fi
[[ " $MODELS " == *" rbm "* ]] && for threads in 1 2; do  # Cadenza first at 1 thread: it writes the examples both sides train on
  if [ "$threads" = 1 ]; then rbm_cadenza 1 && rbm_torch 1; else rbm_torch 2 && rbm_cadenza 2; fi || exit 1
done
echo
if [[ " $MODELS " == *" lstm "* ]]; then
echo "== the JSB LSTM recipe, $EPOCHS epochs: wall time (seed $first) and test NLL (mean +- std over seeds $SEEDS, 1 thread); goals: time ratio <= 0.8, |NLL difference| <= 0.05 =="
awk -v first="$first" 'function field(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } return "" }
  /bench=train_jsb_lstm/ { p = field("peer"); t = field("threads")
    if (field("seed") == first) s[p, t] = field("seconds")
    if (t == 1) { n[p]++; x[p] += field("test_nll"); xx[p] += field("test_nll") ^ 2 } }
  function sd(p) { return n[p] > 1 ? sqrt((xx[p] - x[p] ^ 2 / n[p]) / (n[p] - 1)) : 0 }
  END { for (t = 1; t <= 2; t++) { r = s["cadenza", t] / s["torch", t]
          printf "%d thread(s): cadenza %.1f s, torch %.1f s, ratio %.2f   %s\n", t, s["cadenza", t], s["torch", t], r, (r <= 0.8 ? "met" : "MISSED") }
        mc = x["cadenza"] / n["cadenza"]; mt = x["torch"] / n["torch"]; d = mc - mt
        printf "test NLL over %d seeds: cadenza %.3f +- %.3f, torch %.3f +- %.3f, difference %.3f   %s\n", n["cadenza"], mc, sd("cadenza"), mt, sd("torch"), d, ((d < 0 ? -d : d) <= 0.05 ? "met" : "MISSED") }' "$RES"
fi
if [[ " $MODELS " == *" rbm "* ]]; then
echo
echo "== the RBM demo's training, $RBM_EPOCHS epochs, seed $SEED: wall time, and the last epoch's reconstruction error and pseudo-log-likelihood per step (goal: time ratio <= 0.8) =="
awk 'function field(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } return "" }
  /bench=train_rbm_demo/ { t = field("threads"); s[field("peer"), t] = field("seconds"); r[field("peer"), t] = field("recon"); p[field("peer"), t] = field("pll") }
  END { printf "%-8s %12s %12s %8s %14s %14s %12s %12s\n", "threads", "cadenza s", "torch s", "ratio", "cadenza recon", "torch recon", "cadenza PLL", "torch PLL"
        for (t = 1; t <= 2; t++) {
          q = s["cadenza", t] / s["torch", t]
          printf "%-8d %12.1f %12.1f %8.2f %14s %14s %12s %12s   time %s\n", t, s["cadenza", t], s["torch", t], q,
                 r["cadenza", t], r["torch", t], p["cadenza", t], p["torch", t], (q <= 0.8 ? "met" : "MISSED") } }' "$RES"
fi
echo "all lines: $RES"
