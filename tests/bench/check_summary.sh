#!/usr/bin/env bash
# check_summary.sh: `make bench`'s tables on a results file whose answers are known (run by .ci/run;
# it needs no peers and times nothing): each side's median over the passes (lists of three and of two
# values), the ratio of medians, the largest peak RSS, and sgemm 1024^3 against the FP32 peak measured
# beside each run (pass= and round=). A summary that took the mean, the first pass, the last pass, the
# minimum or the maximum, or that paired a run with another round's peak, fails here.
set -euo pipefail
here=$(dirname "$0")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cat > "$tmp" <<'LINES'
peer=cadenza bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=1 kernel=x ms_per_call=25 gflops=90 peak_rss_mb=17 pass=1
peer=openblas bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=1 blas=b gflops=200 ms_per_call=10 peak_rss_mb=18 pass=1
peer=c_avx2 bench=fp32_fma_peak threads=1 gflops=110 peak_rss_mb=1.8 pass=1
peer=c_avx512 bench=fp32_fma_peak threads=1 gflops=60 peak_rss_mb=1.8 pass=1
peer=cadenza bench=rbm_cd k=1 n_visible=2340 n_hidden=50 B=100 threads=2 kernel=x ms_per_update=5.0 gflops=1 peak_rss_mb=11 pass=1
peer=torch bench=rbm_cd k=1 n_visible=2340 n_hidden=50 B=100 threads=2 blas=b ms_per_update=3.0 gflops=1 peak_rss_mb=250 pass=1
peer=cadenza bench=tcn_fwd_bwd variant=plain B=4 C=64 T=4096 K=2 layers=8 threads=1 kernel=x ms_per_step=80 peak_rss_mb=134 pass=1
peer=torch bench=tcn_fwd_bwd variant=plain B=4 C=64 T=4096 K=2 layers=8 threads=1 blas=b ms_per_step=100 peak_rss_mb=430 pass=1
peer=openblas bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=1 blas=b gflops=95 ms_per_call=22 peak_rss_mb=18 pass=2
peer=cadenza bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=1 kernel=x ms_per_call=20 gflops=100 peak_rss_mb=17.5 pass=2
peer=c_avx2 bench=fp32_fma_peak threads=1 gflops=125 peak_rss_mb=1.8 pass=2
peer=torch bench=rbm_cd k=1 n_visible=2340 n_hidden=50 B=100 threads=2 blas=b ms_per_update=2.4 gflops=1 peak_rss_mb=251 pass=2
peer=cadenza bench=rbm_cd k=1 n_visible=2340 n_hidden=50 B=100 threads=2 kernel=x ms_per_update=1.2 gflops=1 peak_rss_mb=12.5 pass=2
peer=torch bench=tcn_fwd_bwd variant=plain B=4 C=64 T=4096 K=2 layers=8 threads=1 blas=b ms_per_step=120 peak_rss_mb=431 pass=2
peer=cadenza bench=tcn_fwd_bwd variant=plain B=4 C=64 T=4096 K=2 layers=8 threads=1 kernel=x ms_per_step=100 peak_rss_mb=134 pass=2
peer=cadenza bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=1 kernel=x ms_per_call=19 gflops=110 peak_rss_mb=17.2 pass=3
peer=openblas bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=1 blas=b gflops=99 ms_per_call=21 peak_rss_mb=18 pass=3
peer=c_avx2 bench=fp32_fma_peak threads=1 gflops=116 peak_rss_mb=1.8 pass=3
peer=cadenza bench=rbm_cd k=1 n_visible=2340 n_hidden=50 B=100 threads=2 kernel=x ms_per_update=1.0 gflops=1 peak_rss_mb=11.6 pass=3
peer=torch bench=rbm_cd k=1 n_visible=2340 n_hidden=50 B=100 threads=2 blas=b ms_per_update=2.0 gflops=1 peak_rss_mb=249 pass=3
peer=cadenza bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=2 kernel=x ms_per_call=14 gflops=150 peak_rss_mb=19 pass=1 round=1
peer=openblas bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=2 blas=b gflops=140 ms_per_call=15 peak_rss_mb=18 pass=1 round=1
peer=c_avx2 bench=fp32_fma_peak threads=2 gflops=200 peak_rss_mb=1.8 pass=1 round=1
peer=c_avx512 bench=fp32_fma_peak threads=2 gflops=100 peak_rss_mb=1.8 pass=1 round=1
peer=openblas bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=2 blas=b gflops=130 ms_per_call=16 peak_rss_mb=18 pass=1 round=2
peer=cadenza bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=2 kernel=x ms_per_call=18 gflops=120 peak_rss_mb=19 pass=1 round=2
peer=c_avx2 bench=fp32_fma_peak threads=2 gflops=140 peak_rss_mb=1.8 pass=1 round=2
peer=c_avx512 bench=fp32_fma_peak threads=2 gflops=240 peak_rss_mb=1.8 pass=1 round=2
peer=cadenza bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=2 kernel=x ms_per_call=13 gflops=160 peak_rss_mb=19 pass=1 round=3
peer=openblas bench=sgemm shape=sq1024 M=1024 N=1024 K=1024 threads=2 blas=b gflops=150 ms_per_call=14 peak_rss_mb=18 pass=1 round=3
peer=c_avx2 bench=fp32_fma_peak threads=2 gflops=170 peak_rss_mb=1.8 pass=1 round=3
LINES
out=$(bash "$here/run_bench.sh" --summarize "$tmp")
fail=0
expect() {  # expect "workload" "the rest of its line, spaces squeezed"
  got=$(printf '%s\n' "$out" | grep -F "$1" | tr -s ' ' | sed "s/^$1 //")
  if [ "$got" != "$2" ]; then echo "check_summary: '$1': expected '$2', got '$got'"; fail=1; fi
}
# sgemm: GFLOP/s medians 100 (cadenza) and 99 (OpenBLAS): ratio 0.99; times 20 and 21; RSS the largest
expect "sgemm sq1024 threads=1" "20 21 0.99 100.00 17.5 18 (vs openblas)"
# RBM: medians 1.2 and 2.4 ms: 0.50 (the means, 2.4 and 2.47, would give 0.97)
expect "rbm_cd 1 threads=2" "1.2 2.4 0.50 1.00 12.5 251 (vs torch)"
# two passes only: the mean of the two middle values, 90 and 110 ms
expect "tcn_fwd_bwd plain threads=1" "90 110 0.82 - 134 431 (vs torch)"
# 1024^3 against the peak: the medians 100 and 116; pass by pass 90/110, 100/125, 110/116; OpenBLAS
# 200/110, 95/125, 99/116 (median 85%). Pass 1's c_avx512 line (60) is below its c_avx2 line: not used.
expect "sgemm 1024^3, 1 thread(s):" "82% of the FP32 peak measured beside it (c_avx2; goal: 80%), the median of 3 runs: 82% 80% 95%; OpenBLAS the same way: 85%; medians of all runs: 100.0 of 116.0 GFLOP/s (86%)"
# three rounds in one pass, each run paired with the peak of its own round, the larger of its two
# lines: 150/200 (c_avx2; the c_avx512 line says 100), 120/240 (c_avx512), 160/170: median 75%
# (pairing by pass alone, or always the c_avx2 line, gives 86% or more); OpenBLAS 140/200,
# 130/240, 150/170 (median 70%); the peaks' median 200
expect "sgemm 1024^3, 2 thread(s):" "75% of the FP32 peak measured beside it (c_avx2 and c_avx512; goal: 80%), the median of 3 runs: 75% 50% 94%; OpenBLAS the same way: 70%; medians of all runs: 150.0 of 200.0 GFLOP/s (75%)"
printf '%s\n' "$out" | grep -q "the median over 3 passes" || { echo "check_summary: no line saying the figures are medians over 3 passes"; fail=1; }
[ $fail = 0 ] && echo "ok: make bench's summary takes medians over passes (4 workloads, known answers) and pairs each sgemm 1024^3 run with its own peak, the larger of its two lines"
exit $fail
