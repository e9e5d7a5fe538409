#!/usr/bin/env bash
# messages.sh: every bad command of docs' "no surprises" list, run for real. Each must fail before
# any work (no progress bar, no epoch), exit non-zero, print a message that names the problem, and
# contain no C++ internals (std::, what(), stoi, basic_filebuf, bad_alloc, map::at...).
# Usage: tests/cli/messages.sh BUILD_DIR   (CI runs it; `tests/cli/messages.sh --self-test` shows it can fail)
set -uo pipefail
B=${1:-build}
INTERNAL='std::|basic_|what\(\)|stoi|stoll|stod|bad_alloc|map::at|out_of_range|terminate called|Assertion|Segmentation|strict=false'
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# check NAME EXPECTED-SUBSTRING COMMAND...: the command must fail, quickly, saying EXPECTED.
check() {
  local name=$1 want=$2
  shift 2
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  local why=""
  [ $rc -ne 0 ] || why="exited 0"
  grep -qF -- "$want" <<< "$out" || why="${why:+$why; }lacks '$want'"
  if grep -qE -- "$INTERNAL" <<< "$out"; then why="${why:+$why; }shows C++ internals"; fi
  if grep -qE 'epoch +[0-9]+/|\[#' <<< "$out"; then why="${why:+$why; }started work before failing"; fi
  if [ -n "$why" ]; then
    echo "FAIL $name: $why"
    sed 's/^/    | /' <<< "$out" | tail -5
    fails=$((fails + 1))
  else
    echo "ok   $name: $(grep -F -- "$want" <<< "$out" | head -1 | cut -c1-170)"
  fi
}
if [ "${1:-}" = --self-test ]; then  # the checker must fail on a message with internals, and on success
  B=build
  check "self-test: internals are caught" "anything" bash -c 'echo "cadenza: stoi"; exit 1'
  check "self-test: success is caught" "x" true
  [ $fails -eq 2 ] && { echo "ok: the checker fails on both deliberately wrong cases"; exit 0; }
  echo "the checker let a wrong case through"; exit 1
fi
touch "$tmp/file"
mkdir -p "$tmp/dir.mid" "$tmp/broken"
head -c 100 /dev/urandom > "$tmp/broken/x.mid"
printf '\223NUMPY\001\000\066\000{'"'"'descr'"'"': '"'"'<f4'"'"', '"'"'fortran_order'"'"': False, '"'"'shape'"'"': (2,), }    \n\0\0\0\0\0\0\0\0' > "$tmp/a.npy"
check "--out is a file (train --model lstm)" "is a file, not a folder" "$B/cadenza" train --model lstm --epochs 1 --out "$tmp/file"
check "--out is a file (rbm demo)" "is a file, not a folder" "$B/examples/rbm_demo" --out "$tmp/file"
check "--out under a file" "cannot create output folder" "$B/examples/mlp_moons" --out "$tmp/file/sub"
check "melody_lstm --samples 0" "--samples must be a whole number in [1, 50]" "$B/examples/melody_lstm" --samples 0 --out "$tmp/o"
check "melody_lstm --top-p 2" "--top-p must be a number in [0.01, 1]" "$B/examples/melody_lstm" --top-p 2 --out "$tmp/o"
check "harmoniser --beam 0" "--beam must be a whole number in [1, 64]" "$B/examples/harmoniser" --beam 0 --out "$tmp/o"
check "--epochs 0" "--epochs must be a whole number in [1," "$B/cadenza" train --epochs 0 --out "$tmp/o"
check "--faithful=banana" "is a switch" "$B/examples/rbm_demo" --faithful=banana
check "train --model gan --loss wasserstein" "unknown loss 'wasserstein'" "$B/cadenza" train --model gan --loss wasserstein --out "$tmp/o"
check "train --model gan --family dcgan" "'dcgan' is not a GAN family" "$B/cadenza" train --model gan --family dcgan --out "$tmp/o"
check "train --model gan on a folder with no 4/4 phrases" "pieces with phrases of 4 bars" "$B/cadenza" train --model gan --data "$tmp/broken" --out "$tmp/o"
check "train --model gan --resume a corrupt file" "the file is truncated or corrupt" "$B/cadenza" train --model gan --resume "$tmp/broken/x.mid" --out "$tmp/o"
check "gan_demo --loss nope" "unknown loss 'nope'" "$B/examples/gan_demo" --loss nope --out "$tmp/o"
check "make mlp-demo DATA=" "mlp-demo takes no DATA" make -s --no-print-directory mlp-demo DATA=x
check "make test SUITE=typo" "no test suite named 'typo'" make -s --no-print-directory test SUITE=typo
check "midi inspect on a folder" "is a folder, not a MIDI file" "$B/cadenza" midi inspect "$tmp/dir.mid"
"$B/cadenza" score music/corpus/greensleeves.tune "$tmp/g.mid" > /dev/null
check "render into a folder" "is a folder, not a file" "$B/cadenza" render "$tmp/g.mid" "$tmp"
check ".npy as a checkpoint" "this is a .npy array, not a safetensors checkpoint" "$B/cadenza" eval --checkpoint "$tmp/a.npy"
check "a folder of broken MIDI" "no training windows" "$B/cadenza" train --data "$tmp/broken" --out "$tmp/o"
check "out of memory names the size" "needs 160.0 GB" "$B/cadenza" train --model lstm --hidden 100000 --epochs 1 --out "$tmp/o"
# Non-numeric checkpoint metadata: a checkpoint whose epochs_done is "abc".
"$B/cadenza" train --epochs 1 --out "$tmp/ck" > /dev/null 2>&1
check "eval --split bogus" "--split must be train, valid or test, got 'bogus'" "$B/cadenza" eval --checkpoint "$tmp/ck/model.safetensors" --split bogus
check "--split on a music RBM" "--split is for a frame RBM" "$B/cadenza" eval --checkpoint "$tmp/ck/model.safetensors" --split train
check "--pcd on a resumed run" "--pcd cannot change a resumed run" "$B/cadenza" train --epochs 2 --resume "$tmp/ck/model.safetensors" --pcd --out "$tmp/o"
/usr/bin/python3 - "$tmp/ck/model.safetensors" <<'PY'
import json, struct, sys
p = sys.argv[1]; raw = open(p, 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]
h = json.loads(raw[8:8 + n]); h['__metadata__']['epochs_done'] = 'abc'
hb = json.dumps(h).encode(); hb += b' ' * ((8 - len(hb) % 8) % 8)
open(p, 'wb').write(struct.pack('<Q', len(hb)) + hb + raw[8 + n:])
PY
check "non-numeric checkpoint metadata" "metadata 'epochs_done' is 'abc', not a whole number" "$B/cadenza" train --epochs 2 --resume "$tmp/ck/model.safetensors" --out "$tmp/o"
check "--save-examples into a missing folder" "cannot create '$tmp/file/x.npy" "$B/cadenza" train --epochs 1 --out "$tmp/o" --save-examples "$tmp/file/x.npy"
check "CADENZA_ISA=avx9" "unknown SIMD level 'avx9'" env CADENZA_ISA=avx9 "$B/cadenza" info
# CADENZA_ISA forces a path, and the forced path is the one that runs: the bench names the kernel
# its products ran on. Levels up to this CPU's best must run as named; the ones above it must refuse.
if [ -x "$B/bench/bench" ]; then
  best=$("$B/bench/bench" --case sgemm/sq64 | grep -o 'kernel=[a-z0-9]*' | cut -d= -f2)
  above=0
  for level in portable avx2 avx512; do
    if [ $above = 0 ]; then
      ran=$(CADENZA_ISA=$level "$B/bench/bench" --case sgemm/sq64 | grep -o 'kernel=[a-z0-9]*' | cut -d= -f2)
      if [ "$ran" = "$level" ]; then echo "ok   CADENZA_ISA=$level runs the $ran kernels"
      else echo "FAIL CADENZA_ISA=$level ran '$ran'"; fails=$((fails + 1)); fi
    else
      check "CADENZA_ISA=$level above this CPU" "cannot run the $level kernels" env CADENZA_ISA=$level "$B/cadenza" info
    fi
    [ "$level" = "$best" ] && above=1
  done
else
  echo "skip CADENZA_ISA: $B/bench/bench is not built (make build/bench/bench)"
fi
echo
if [ $fails -ne 0 ]; then echo "messages: $fails command(s) misbehaved"; exit 1; fi
echo "messages: every bad command failed before any work, with a message a user can act on"
