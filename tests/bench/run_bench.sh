#!/usr/bin/env bash
# run_bench.sh: `make bench`. Runs every Cadenza case at 1 and 2 threads, each in a
# fresh process, and, when the peers can run here (Debian's python3-torch, and
# libopenblas-dev + gcc for the C OpenBLAS program), the same workloads in
# ../shared/peers side by side in the same run. Writes out/bench/results.txt and
# prints a table of medians and ratios. Never part of `make test`.
#
# CASES=REGEX (make bench CASES=sgemm/) runs only the cases whose names match (bench --list), and
# skips the busy-neighbour runs unless CASES is unset.
# PASSES=N (make bench PASSES=3) runs the whole list N times, Cadenza and its peer back to
# back for each case (the peer first in even passes), and tags every line pass=N as the
# peers' own run_all.sh does. The table then gives each side's median over the passes: on a
# shared machine a slow minute lands on one pass of one side instead of deciding a ratio.
# sgemm 1024^3 runs PEAK_ROUNDS times a pass (round=N), each run followed by the FP32 peak it is
# divided by: this machine's clock moves by 10-20% within minutes, so a peak taken at the end of
# the pass, or a median of peaks, measured another clock.
set -uo pipefail
# The tables from a results file: each side's median over the passes (pass=N), the ratios, the
# largest peak RSS, and sgemm 1024^3 against the FP32 peak. Also `run_bench.sh --summarize FILE`
# (tests/bench/check_summary.sh checks it on a file whose answers are known).
summarize() {
  echo
  echo "== medians (ms) and ratios: cadenza / peer (below 1.0 is faster than the peer for times; for GFLOP/s above 1.0 is better) =="
  local passes
  passes=$(grep -o " pass=[0-9]*" "$1" | sort -u | wc -l)
  [ "$passes" -le 1 ] || echo "   (each figure the median over $passes passes; RSS the largest)"
  # Two awk functions both programs below use. field("gflops"): the value of key=value on a
  # result line; median("3 1 2"): the middle value of a list (the mean of the two middle ones
  # for an even count).
  local AWK_FUNCS='function field(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } return "" }
    function median(list,   v, n, i, j, x) {
      n = split(list, v, " "); if (n == 0) return ""
      for (i = 2; i <= n; i++) { x = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
      return n % 2 ? v[(n + 1) / 2] + 0 : (v[n / 2] + v[n / 2 + 1]) / 2 }'
  awk "$AWK_FUNCS"'
    /^peer=/ {
      key = field("bench") " " field("shape") field("k") field("H") field("variant") field("causal") " threads=" field("threads")
      if (key ~ /^fp32_fma_peak/) next
      t = field("ms_per_call"); if (t == "") t = field("ms_per_update"); if (t == "") t = field("ms_per_step")
      who = field("peer"); ms[key, who] = ms[key, who] " " t; gf[key, who] = gf[key, who] " " field("gflops")
      if (field("peak_rss_mb") + 0 > rss[key, who] + 0) rss[key, who] = field("peak_rss_mb")
      if (!(key in seen)) { seen[key] = 1; order[++n] = key }
      if (who != "cadenza") peer[key] = who
    }
    END {
      printf "%-40s %12s %12s %10s %10s %8s %8s\n", "workload", "cadenza ms", "peer ms", "ratio", "GFLOP/s", "RSS MB", "peer MB"
      for (i = 1; i <= n; i++) {
        k = order[i]; p = peer[k]
        mc = median(ms[k, "cadenza"]); mp = p != "" ? median(ms[k, p]) : ""
        gc = median(gf[k, "cadenza"]); gp = p != "" ? median(gf[k, p]) : ""
        r = (p != "" && mp > 0) ? sprintf("%.2f", mc / mp) : "-"
        # sgemm: the OpenBLAS peer prints its time to 2 significant digits (sq64: 0.0046 or
        # 0.0047 ms, 2% apart) but its GFLOP/s to 5, so the ratio of times comes from GFLOP/s
        if (k ~ /^sgemm / && p != "" && gp > 0 && gc > 0) r = sprintf("%.2f", gp / gc)
        printf "%-40s %12.4g %12s %10s %10s %8s %8s   (%s)\n", k, mc, (p != "" ? sprintf("%.4g", mp) : "-"), r, (gc != "" ? sprintf("%.2f", gc) : "-"), rss[k, "cadenza"], (p != "" ? rss[k, p] : "-"), (p != "" ? "vs " p : "no peer")
      }
    }' "$1"
  if grep -q "^neighbour=busy " "$1"; then
    echo
    echo "== a busy neighbour: one core kept busy by another program; 2 threads against 1 (goal: at most 1.2x) =="
    awk "$AWK_FUNCS"'
      /^neighbour=busy / {
        t = field("ms_per_call"); if (t == "") t = field("ms_per_update"); if (t == "") t = field("ms_per_step")
        k = field("bench") " " field("shape") field("H"); ms[k, field("threads")] = ms[k, field("threads")] " " t
        if (!(k in seen)) { seen[k] = 1; order[++n] = k }
      }
      END { for (i = 1; i <= n; i++) { k = order[i]; one = median(ms[k, 1]); two = median(ms[k, 2])
              if (one > 0) printf "%-32s 1 thread %10.4g ms   2 threads %10.4g ms   ratio %.2f  %s\n", k, one, two, two / one, (two / one <= 1.2 ? "met" : "MISSED") } }' "$1"
  fi
  if grep -qE "^peer=c_avx(2|512) bench=fp32_fma_peak" "$1"; then
    echo
    echo "== the machine's FP32 peak, measured in the same run (anchors.py fp32_peak), and sgemm 1024^3 against it =="
    # Each sgemm 1024^3 run (pass=, round=) is divided by the peak measured right after it, and the
    # goal is read on the median of those ratios: a slow minute then lowers a run and its peak
    # together. The medians of all runs, divided, are printed too. The peak is the larger of the
    # two lines anchors.py prints, 256-bit FMAs (c_avx2) and, where the CPU has them, 512-bit
    # ones (c_avx512): twice the first where the core has two 512-bit FMA units, about the same
    # where it splits each in two (chapter 11). The summary names the line it used.
    awk "$AWK_FUNCS"'
      { id = field("pass") " " field("round"); t = field("threads") }
      /^peer=c_avx(2|512) bench=fp32_fma_peak/ {
        if (!((t, id) in pk)) ids[t, ++nid[t]] = id
        if (field("gflops") + 0 > pk[t, id] + 0) { pk[t, id] = field("gflops"); line[t, id] = field("peer") }
      }
      /^peer=cadenza bench=sgemm shape=sq1024 / { gf[t] = gf[t] " " field("gflops"); cg[t, id] = field("gflops") }
      /^peer=openblas bench=sgemm shape=sq1024 / { og[t, id] = field("gflops") }
      END { for (t = 1; t <= 2; t++) {
              mine = ""; cl = ""; bl = ""; runs = 0; peak[t] = ""; used = ""
              for (i = 1; i <= nid[t]; i++) {
                id = ids[t, i]; peak[t] = peak[t] " " pk[t, id]
                if (index(" " used " ", " " line[t, id] " ") == 0) used = used (used == "" ? "" : " and ") line[t, id]
                if (cg[t, id] > 0) { r = 100 * cg[t, id] / pk[t, id]; mine = mine sprintf(" %.0f%%", r); cl = cl " " r; runs++ }
                if (og[t, id] > 0) bl = bl " " 100 * og[t, id] / pk[t, id]
              }
              if (runs == 0) continue
              printf "sgemm 1024^3, %d thread(s): %.0f%% of the FP32 peak measured beside it (%s; goal: 80%%)", t, median(cl), used
              if (runs > 1) printf ", the median of %d runs:%s", runs, mine
              if (bl != "") printf "; OpenBLAS the same way: %.0f%%", median(bl)
              p = median(peak[t]); g = median(gf[t])
              printf "; medians of all runs: %.1f of %.1f GFLOP/s (%.0f%%)\n", g, p, 100 * g / p } }' "$1"
  fi
}

if [ "${1:-}" = --summarize ]; then
  [ -r "${2:-}" ] || { echo "bench: --summarize needs a results file (out/bench/results.txt); cannot read '${2:-}'" >&2; exit 2; }
  summarize "$2"
  exit 0
fi
BIN=$1
PASSES=${PASSES:-1}
case $PASSES in '' | *[!0-9]* | 0)
  echo "bench: PASSES must be a whole number of passes, 1 or more (got '$PASSES'); e.g. make bench PASSES=3" >&2
  exit 2 ;;
esac
OUT=out/bench
mkdir -p "$OUT"
RES="$OUT/results.txt"
: > "$RES"
PEERS=../shared/peers
have_peers=0
if [ -d "$PEERS" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  have_peers=1
  WORK=$(mktemp -d)  # the peers compile their C programs next to themselves: use a copy outside the repo
  cp -r "$PEERS"/. "$WORK"/
  cp tests/bench/gan_conv.py "$WORK"/  # a twin the peers lack: the convolutional GAN of chapter 12
fi
# A CPU newer than the OpenBLAS Debian ships is "Prescott" to it, and gets its SSE3 kernels: a
# fraction of its speed, for the C peer and for PyTorch, which calls it too. Name the nearest core
# it knows instead, so the peers run at their best (set OPENBLAS_CORETYPE yourself to override).
if [ $have_peers = 1 ] && [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  core=$(/usr/bin/python3 -c 'import ctypes; l = ctypes.CDLL("libopenblas.so.0"); l.openblas_get_corename.restype = ctypes.c_char_p; print(l.openblas_get_corename().decode())' 2>/dev/null)
  if [ "$core" = Prescott ]; then
    if grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
    elif grep -qw avx2 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Haswell; fi
    [ -z "${OPENBLAS_CORETYPE:-}" ] || echo "bench: OpenBLAS does not know this CPU (it chose Prescott); the peers run with OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"
  fi
fi
[ $have_peers = 1 ] || echo "bench: peers not run (needs ../shared/peers and Debian's python3-torch; for OpenBLAS also libopenblas-dev)"
# tag PASS [ROUND]: append pass=PASS (and round=ROUND) to each result line, and keep it in $RES
tag() { awk -v p="$1" -v r="${2:-}" '/^peer=/ { print $0 " pass=" p (r != "" ? " round=" r : ""); fflush() }' | tee -a "$RES"; }
cadenza() { OMP_NUM_THREADS=$2 "$BIN" --case "$1" | tag "$3" "${4:-}"; }
peer() {  # the same workload in ../shared/peers: sgemm in OpenBLAS, the rest in PyTorch
  [ $have_peers = 1 ] || return 0
  local script=${1%%/*} name=${1#*/} peer_case
  case $script in
    sgemm) peer_case="openblas/$name" ;;
    *) peer_case="$name" ;;
  esac
  (cd "$WORK" && PEER_THREADS=$2 /usr/bin/python3 "$script.py" --case "$peer_case" 2>/dev/null) | tag "$3" "${4:-}"
}
fp32_peak() {  # the machine's FP32 peak (../shared/peers/anchors.py) at $1 threads
  [ $have_peers = 1 ] || return 0
  (cd "$WORK" && PEER_THREADS=$1 /usr/bin/python3 anchors.py --case fp32_peak 2>/dev/null) | tag "$2" "${3:-}"
}
PEAK_ROUNDS=3  # sgemm 1024^3 runs, each with the FP32 peak right after it, per pass (see the header)
for pass in $(seq 1 "$PASSES"); do
  [ "$PASSES" = 1 ] || echo "== pass $pass of $PASSES =="
  for threads in 1 2; do
    for c in $("$BIN" --list | grep -E -- "${CASES:-.}"); do
      rounds=1
      [ "$c" = sgemm/sq1024 ] && [ $have_peers = 1 ] && rounds=$PEAK_ROUNDS
      for r in $(seq 1 $rounds); do
        round=""; [ $rounds = 1 ] || round=$r
        if [ $(((pass + r) % 2)) = 0 ]; then cadenza "$c" $threads $pass $round; peer "$c" $threads $pass $round
        else peer "$c" $threads $pass $round; cadenza "$c" $threads $pass $round; fi
        [ $rounds = 1 ] || fp32_peak $threads $pass $round
      done
    done
  done
done
# The busy neighbour: one core kept busy by another program (`yes`), started and stopped here. The goal:
# 2 threads take at most 1.2x their 1-thread time (parallel.h: available_threads). Lines start with
# "neighbour=busy" so the table above ignores them.
neighbour() {
  yes > /dev/null &
  local y=$!
  sleep 0.3
  "$@"
  kill $y 2>/dev/null
  wait $y 2>/dev/null
}
busy_case() {  # case threads pass
  OMP_NUM_THREADS=$2 "$BIN" --case "$1" | awk -v p="$3" '/^peer=/ { print "neighbour=busy " $0 " pass=" p; fflush() }' | tee -a "$RES"
}
busy_train() {  # threads pass: the RBM training of make rbm-demo (its recipe, the bundled corpus), 5 epochs
  local t0 t1 dir
  dir=$(mktemp -d)
  t0=$(date +%s%N)
  OMP_NUM_THREADS=$1 "${CADENZA_CLI:-build/cadenza}" train --epochs 5 --out "$dir" > /dev/null 2>&1
  t1=$(date +%s%N)
  rm -rf "$dir"
  echo "neighbour=busy peer=cadenza bench=rbm_demo_train shape=corpus threads=$1 ms_per_call=$(((t1 - t0) / 1000000)) pass=$2" | tee -a "$RES"
}
[ -n "${CASES:-}" ] || for pass in $(seq 1 "$PASSES"); do
  for c in rbm_cd/cd1 lstm_train/H256; do
    if [ $((pass % 2)) = 1 ]; then neighbour busy_case $c 1 $pass; neighbour busy_case $c 2 $pass
    else neighbour busy_case $c 2 $pass; neighbour busy_case $c 1 $pass; fi
  done
  if [ -x "${CADENZA_CLI:-build/cadenza}" ]; then
    if [ $((pass % 2)) = 1 ]; then neighbour busy_train 1 $pass; neighbour busy_train 2 $pass
    else neighbour busy_train 2 $pass; neighbour busy_train 1 $pass; fi
  fi
done
summarize "$RES"
echo
echo "== chapter 11's four steps on one 512 x 512 product (docs/11-making-it-fast.md) =="
"$BIN" --steps | tee -a "$RES"
echo
echo "all lines: $RES   (table with every peer: /usr/bin/python3 $PEERS/summarize.py $RES)"
[ $have_peers = 1 ] && rm -rf "$WORK"
exit 0
