#!/usr/bin/env bash
# run_bench.sh: `make bench`. Runs every Cadenza case at 1 and 2 threads, each in a
# fresh process, and, when the peers can run here (Debian's python3-torch, and
# libopenblas-dev + gcc for the C OpenBLAS program), the same workloads in
# ../shared/peers side by side in the same run. Writes out/bench/results.txt and
# prints a table of medians and ratios. Never part of `make test`.
set -uo pipefail
BIN=$1
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
fi
[ $have_peers = 1 ] || echo "bench: peers not run (needs ../shared/peers and Debian's python3-torch; for OpenBLAS also libopenblas-dev)"
for threads in 1 2; do
  for c in $("$BIN" --list); do
    OMP_NUM_THREADS=$threads "$BIN" --case "$c" | tee -a "$RES"
    if [ $have_peers = 1 ]; then
      script=${c%%/*}; name=${c#*/}
      case $script in
        sgemm) peer_case="openblas/$name" ;;
        *) peer_case="$name" ;;
      esac
      (cd "$WORK" && PEER_THREADS=$threads /usr/bin/python3 "$script.py" --case "$peer_case" 2>/dev/null) | grep '^peer=' | tee -a "$RES"
    fi
  done
done
echo
echo "== medians (ms) and ratios: cadenza / peer (below 1.0 is faster than the peer for times; for GFLOP/s above 1.0 is better) =="
# field("gflops"): the value of key=value on a result line (both awk programs below use it)
FIELD='function field(k,   i, a) { for (i = 1; i <= NF; i++) { split($i, a, "="); if (a[1] == k) return a[2] } return "" }'
awk "$FIELD"'
  /^peer=/ {
    key = field("bench") " " field("shape") field("k") field("H") field("variant") field("causal") " threads=" field("threads")
    t = field("ms_per_call"); if (t == "") t = field("ms_per_update"); if (t == "") t = field("ms_per_step")
    who = field("peer"); ms[key, who] = t; gf[key, who] = field("gflops"); rss[key, who] = field("peak_rss_mb")
    if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    if (who != "cadenza") peer[key] = who
  }
  END {
    printf "%-40s %12s %12s %10s %10s %8s %8s\n", "workload", "cadenza ms", "peer ms", "ratio", "GFLOP/s", "RSS MB", "peer MB"
    for (i = 1; i <= n; i++) {
      k = order[i]; p = peer[k]
      r = (p != "" && ms[k, p] > 0) ? sprintf("%.2f", ms[k, "cadenza"] / ms[k, p]) : "-"
      # sgemm: the OpenBLAS peer prints its time to 2 significant digits (sq64: 0.0046 or
      # 0.0047 ms, 2% apart) but its GFLOP/s to 5, so the ratio of times comes from GFLOP/s
      if (k ~ /^sgemm / && p != "" && gf[k, p] > 0 && gf[k, "cadenza"] > 0) r = sprintf("%.2f", gf[k, p] / gf[k, "cadenza"])
      printf "%-40s %12s %12s %10s %10s %8s %8s   (%s)\n", k, ms[k, "cadenza"], (p != "" ? ms[k, p] : "-"), r, gf[k, "cadenza"], rss[k, "cadenza"], (p != "" ? rss[k, p] : "-"), (p != "" ? "vs " p : "no peer")
    }
  }' "$RES"
if [ $have_peers = 1 ]; then
  echo
  echo "== the machine's FP32 peak, measured now (anchors.py fp32_peak), and sgemm 1024^3 against it =="
  for threads in 1 2; do
    (cd "$WORK" && PEER_THREADS=$threads /usr/bin/python3 anchors.py --case fp32_peak 2>/dev/null) | grep '^peer=' | tee -a "$RES"
  done
  awk "$FIELD"'
    /^peer=c_avx2 bench=fp32_fma_peak/ { peak[field("threads")] = field("gflops") }
    /^peer=cadenza bench=sgemm shape=sq1024 / { gf[field("threads")] = field("gflops") }
    END { for (t = 1; t <= 2; t++) if (peak[t] > 0 && gf[t] > 0)
            printf "sgemm 1024^3, %d thread(s): %.1f of %.1f GFLOP/s, %.0f%% of the peak (goal: 80%%)\n", t, gf[t], peak[t], 100 * gf[t] / peak[t] }' "$RES"
fi
echo
echo "== chapter 11's four steps on one 512 x 512 product (docs/11-making-it-fast.md) =="
"$BIN" --steps | tee -a "$RES"
echo
echo "all lines: $RES   (table with every peer: /usr/bin/python3 $PEERS/summarize.py $RES)"
[ $have_peers = 1 ] && rm -rf "$WORK"
exit 0
