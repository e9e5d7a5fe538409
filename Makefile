# Cadenza: one Makefile, no configure step, no downloads.
# `make help` lists the targets. Variables: OMP=auto|0|1, DEBUG=1, NATIVE=1, SUITE=name, SEED=n.

CXX      ?= g++
OMP      ?= auto
DEBUG    ?= 0
NATIVE   ?= 0
SUITE    ?=
SHELL    := /bin/bash

# ---- build variant: each gets its own directory so objects never mix ----
ifeq ($(OMP),auto)
  OMP_OK := $(shell echo 'int main(){return 0;}' | $(CXX) -fopenmp -x c++ - -o /dev/null 2>/dev/null && echo 1 || echo 0)
else
  OMP_OK := $(OMP)
endif
ifeq ($(DEBUG),1)
  # ASan + UBSan at -O0, except engine/kernels/ at -O1 (KERNEL_OPT, below): the gemm tiles take a
  # third of the suite's time at -O0. (The whole library at -O1 runs faster still, but compiles
  # four times as slowly under the sanitizers, which costs more than the run saves.)
  # CADENZA_DEBUG makes Tensor::empty fill with NaN, so a read before a write shows in the results.
  OPT        := -O0 -g -fno-omit-frame-pointer -fsanitize=address,undefined -DCADENZA_DEBUG
  KERNEL_OPT := -O1
  BUILD := build/debug
else
  OPT   := -O3 -g0
  BUILD := build
endif
ifeq ($(OMP_OK),1)
  OMPFLAGS := -fopenmp
  OMP_MSG  := OpenMP: on (set OMP_NUM_THREADS to choose the thread count; OMP=0 builds single-threaded)
else
  OMPFLAGS :=
  OMP_MSG  := OpenMP: off, building single-threaded (install libgomp / on macOS 'brew install libomp', then make OMP=1)
  ifneq ($(DEBUG),1)
    BUILD := build/noomp
  else
    BUILD := build/debug-noomp
  endif
endif
ifeq ($(NATIVE),1)
  OPT += -march=native
endif

# -fno-math-errno: sqrt need not set errno (we never read it), so loops with sqrt vectorise; not -ffast-math.
CXXFLAGS := -std=c++17 $(OPT) $(OMPFLAGS) -fno-math-errno -Wall -Wextra -Wpedantic -I. -MMD -MP
LDFLAGS  := $(OPT) $(OMPFLAGS)

ENGINE_SRC := $(sort $(wildcard engine/*/*.cpp))
MUSIC_SRC  := $(sort $(wildcard music/*.cpp music/*/*.cpp))
PLOT_SRC   := $(sort $(wildcard plot/*.cpp))
# The one layer that joins music/ to engine/ (docs/STYLE.md): data in, training loops, music out.
PIPE_SRC   := $(sort $(wildcard pipelines/*.cpp))
CLI_SRC    := $(sort $(wildcard tools/cadenza/*.cpp))
TEST_SRC   := $(sort $(wildcard tests/test_*.cpp))
GRAD_TEST  := tests/test_gradcheck.cpp
FLOAT_TEST := $(filter-out $(GRAD_TEST),$(TEST_SRC))
EXAMPLES   := $(notdir $(patsubst %/,%,$(dir $(wildcard examples/*/main.cpp))))

obj = $(patsubst %.cpp,$(BUILD)/obj/%.o,$(1))
dobj = $(patsubst %.cpp,$(BUILD)/double/obj/%.o,$(1))

LIB       := $(BUILD)/libcadenza.a
LIB_DBL   := $(BUILD)/double/libcadenza.a
TEST_BIN  := $(BUILD)/tests/run_tests
GRAD_BIN  := $(BUILD)/double/run_gradcheck
DOCS_BIN  := $(BUILD)/tools/docs_check
EX_BINS   := $(patsubst %,$(BUILD)/examples/%,$(EXAMPLES))
CLI       := $(BUILD)/cadenza
DOCTEST_H := /usr/include/doctest/doctest.h

.PHONY: all lib lib-double examples test test-float test-double docs-check lint-layers format help clean rbm-demo mlp-demo bench bench-train tsan arm-check loc fuzz \
        student grade figures figures-check \
        melody-demo tcn-demo harmoniser-demo gan-demo \
        doctest-check banner

all: banner $(LIB) $(CLI) $(EX_BINS)

banner:
	@echo "cadenza: $(OMP_MSG); build dir $(BUILD)"

lib: $(LIB)

# The float64 engine alone (the gradient checks; the notebooks' `%%cadenza --double` cells).
lib-double: $(LIB_DBL)

# Objects depend on the compiler and its flags: changing either (a new -O level,
# NATIVE=1) rebuilds them, instead of linking objects built two ways.
FLAGS_FILE := $(BUILD)/.cxxflags
$(shell mkdir -p $(BUILD) && (echo '$(CXX) $(CXXFLAGS) $(KERNEL_OPT)' | cmp -s - $(FLAGS_FILE) || echo '$(CXX) $(CXXFLAGS) $(KERNEL_OPT)' > $(FLAGS_FILE)))

# DEBUG=1 builds the kernels at KERNEL_OPT (a later -O wins), the rest at OPT's level.
$(BUILD)/obj/engine/kernels/%.o $(BUILD)/double/obj/engine/kernels/%.o: CXXFLAGS += $(KERNEL_OPT)

$(BUILD)/obj/%.o: %.cpp $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(BUILD)/double/obj/%.o: %.cpp $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -DCADENZA_DOUBLE -c $< -o $@

$(LIB): $(call obj,$(ENGINE_SRC) $(MUSIC_SRC) $(PLOT_SRC) $(PIPE_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(LIB_DBL): $(call dobj,$(ENGINE_SRC))
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(CLI): $(call obj,$(CLI_SRC)) $(LIB)
	$(CXX) $^ -o $@ $(LDFLAGS)

$(BUILD)/examples/%: $(BUILD)/obj/examples/%/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $^ -o $@ $(LDFLAGS)

examples: banner $(EX_BINS) $(CLI)

# ---- tests ----
# doctest comes from Debian's doctest-dev. It is installed when missing (as root),
# otherwise we stop with one line saying what to install.
doctest-check:
	@if [ ! -f $(DOCTEST_H) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "cadenza: doctest is missing; installing Debian's doctest-dev"; \
	    (apt-get install -y -qq doctest-dev >/dev/null 2>&1 || (apt-get update -qq >/dev/null && apt-get install -y -qq doctest-dev >/dev/null)) \
	      || { echo "cadenza: could not install doctest-dev; run: sudo apt-get install doctest-dev"; exit 1; }; \
	  else echo "cadenza: the tests need doctest; run: sudo apt-get install doctest-dev"; exit 1; fi; \
	fi

$(TEST_BIN): $(call obj,tests/main.cpp $(FLOAT_TEST)) $(LIB) | doctest-check
	@mkdir -p $(dir $@)
	$(CXX) $^ -o $@ $(LDFLAGS)

$(GRAD_BIN): $(call dobj,tests/main.cpp $(GRAD_TEST)) $(LIB_DBL) | doctest-check
	@mkdir -p $(dir $@)
	$(CXX) $^ -o $@ $(LDFLAGS)

$(call obj,tests/main.cpp $(FLOAT_TEST)) $(call dobj,tests/main.cpp $(GRAD_TEST)): | doctest-check

SUITE_FLAG := $(if $(SUITE),--test-suite=$(SUITE),)

test: banner doctest-check $(TEST_BIN) $(GRAD_BIN)
	@if [ -n "$(SUITE)" ]; then suites=$$({ $(TEST_BIN) --list-test-suites; $(GRAD_BIN) --list-test-suites; } | grep -E '^ch[0-9]' | sort -u); \
	  for s in $$(echo "$(SUITE)" | tr , ' '); do echo "$$suites" | grep -qx -- "$$s" || \
	    { echo "cadenza: no test suite named '$$s'; the suites are:" $$suites; exit 2; }; done; fi
	@echo "== float32 suite ($(TEST_BIN)) =="
	@$(TEST_BIN) $(SUITE_FLAG)
	@echo "== float64 gradcheck suite ($(GRAD_BIN)) =="
	@$(GRAD_BIN) $(SUITE_FLAG)

# ---- docs: chapters quote marked regions of the source; this fails on drift ----
$(DOCS_BIN): tools/docs_check.cpp
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -O1 -Wall -Wextra $< -o $@

docs-check: $(DOCS_BIN)
	@$(DOCS_BIN) check docs

# ---- the course: a student edition with the exercises stubbed, and grading by tests (docs/teaching.md) ----
STUDENT_BIN := $(BUILD)/tools/student
GRADE_BIN   := $(BUILD)/grade/run_grade
GRADE_SRC   := $(sort $(wildcard tests/grade/*.cpp))
$(STUDENT_BIN): tools/student.cpp
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -O1 -Wall -Wextra $< -o $@

$(GRADE_BIN): $(call obj,$(GRADE_SRC)) $(LIB) | doctest-check
	@mkdir -p $(dir $@)
	$(CXX) $^ -o $@ $(LDFLAGS)

$(call obj,$(GRADE_SRC)): | doctest-check

# CH=07,08 stubs only those chapters' exercises (the rest of the engine stays as given).
student: $(STUDENT_BIN)
	@if [ -e out/student/.student-edition ] && [ -z "$(FORCE)" ]; then \
	  echo "cadenza: out/student already exists (a student may be working in it); FORCE=1 make student replaces it"; exit 1; fi
	@rm -rf out/student
	@$(STUDENT_BIN) edition . out/student $(CH)
	@echo "written by make student$(if $(CH), CH=$(CH),) from the instructor's tree" > out/student/.student-edition
	@echo "cadenza: the student edition builds with: cd out/student && make && make grade"

# Grades the tree it runs in: every graded exercise, one line each (CH=07: one chapter).
grade: banner doctest-check $(GRADE_BIN) $(STUDENT_BIN)
	@$(STUDENT_BIN) list . > $(BUILD)/exercises.tsv
	@$(GRADE_BIN) --regions $(BUILD)/exercises.tsv $(if $(CH),--chapter $(CH),) $(GRADE_FLAGS)

# ---- the chapters' figures: drawn by Cadenza's own plotting code (tools/figures/main.cpp) ----
FIG_BIN := $(BUILD)/tools/figures
$(FIG_BIN): $(call obj,$(sort $(wildcard tools/figures/*.cpp))) $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $^ -o $@ $(LDFLAGS)

figures: $(FIG_BIN)
	@$(FIG_BIN) write docs/figures

figures-check: $(FIG_BIN)
	@$(FIG_BIN) check docs/figures

# ---- the house: layers only point down (the table in docs/STYLE.md) ----
LINT_BIN := $(BUILD)/tools/lint_layers
$(LINT_BIN): tools/lint_layers.cpp
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -O1 -Wall -Wextra $< -o $@

lint-layers: $(LINT_BIN)
	@$(LINT_BIN) .

# The layout in .clang-format, applied to every tracked C++ file (then the chapters' snippets re-synced).
format: $(DOCS_BIN)
	@command -v clang-format >/dev/null || { echo "cadenza: make format needs clang-format; run: sudo apt-get install clang-format"; exit 1; }
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i
	@$(DOCS_BIN) sync docs

docs-sync: $(DOCS_BIN)
	@$(DOCS_BIN) sync docs

# ---- demos ----
# Every demo takes SEED=n and EPOCHS=n; all but mlp-demo (whose data are generated) take DATA=dir.
DEMO_ARGS = $(if $(DATA),--data "$(DATA)",) $(if $(SEED),--seed $(SEED),) $(if $(EPOCHS),--epochs $(EPOCHS),)

mlp-demo: banner $(BUILD)/examples/mlp_moons
	@if [ -n "$(DATA)" ]; then echo "cadenza: mlp-demo takes no DATA: it trains on two half-moons it generates (SEED=, EPOCHS= work)"; exit 2; fi
	@$(BUILD)/examples/mlp_moons --out out/mlp-demo $(DEMO_ARGS)

# DATA=dir trains on your own MIDI folder; SEED=n; EPOCHS=n; FAITHFUL=1 runs the seed tutorial's exact recipe.
rbm-demo: banner $(BUILD)/examples/rbm_demo
	@$(BUILD)/examples/rbm_demo --out out/rbm-demo $(DEMO_ARGS) $(if $(filter 1,$(FAITHFUL)),--faithful,)

# Chapters 8-10. EPOCHS=n shortens or lengthens training; SEED=n.
melody-demo: banner $(BUILD)/examples/melody_lstm
	@$(BUILD)/examples/melody_lstm --out out/melody-lstm $(DEMO_ARGS)

tcn-demo: banner $(BUILD)/examples/tcn_pianoroll
	@$(BUILD)/examples/tcn_pianoroll --out out/tcn-pianoroll $(DEMO_ARGS)

# JSB Chorales (DATA=path/to/jsb_chorales; default ../shared/data/jsb_chorales), else the bundled corpus.
harmoniser-demo: banner $(BUILD)/examples/harmoniser
	@$(BUILD)/examples/harmoniser --out out/harmoniser $(DEMO_ARGS)

# Chapter 12. LOSS=minimax|nonsat|lsgan|wgan-gp|hinge; DATA=a folder of 4/4 MIDI files; EPOCHS=n; SEED=n.
gan-demo: banner $(BUILD)/examples/gan_demo
	@$(BUILD)/examples/gan_demo --out out/gan-demo $(DEMO_ARGS) $(if $(LOSS),--loss $(LOSS),)

BENCH_BIN := $(BUILD)/bench/bench
$(BENCH_BIN): $(call obj,tests/bench/bench.cpp) $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $^ -o $@ $(LDFLAGS)

# Benchmarks beside ../shared/peers (PyTorch, OpenBLAS), 1 and 2 threads; results in out/bench/.
# PASSES=3 runs the whole list three times, Cadenza and each peer in turns, and takes medians.
PASSES ?= 1
bench: banner $(BENCH_BIN) $(CLI)
	@PASSES='$(PASSES)' CASES='$(CASES)' CADENZA_CLI=$(CLI) bash tests/bench/run_bench.sh $(BENCH_BIN)

# Whole training runs beside their PyTorch twins (tests/bench/bench_train.sh): wall time and test NLL.
bench-train: banner $(CLI)
	@EPOCHS='$(EPOCHS)' RBM_EPOCHS='$(RBM_EPOCHS)' CADENZA_CLI=$(CLI) bash tests/bench/bench_train.sh

# ---- libFuzzer on every file reader (clang + libclang-rt from Debian): the MIDI reader, the
# checkpoint readers (safetensors, .npy), the tune notation and the WAV reader. Each runs for
# FUZZ_SECONDS from seeds: the shared MIDI files, the bundled tunes, and tests/fuzz/seeds. ----
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := midi_read safetensors score wav
FUZZ_CXX := clang++ -std=c++17 -O1 -g -I.
# Each source compiles once into build/fuzz/obj (instrumented for coverage, not linked with the
# fuzzer's main), so the three music fuzzers share their objects and make -j2 compiles two at a time.
FUZZ_OBJ = $(patsubst %.cpp,build/fuzz/obj/%.o,$(1))
build/fuzz/obj/%.o: %.cpp $(wildcard engine/*/*.h music/*.h plot/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
build/fuzz/fuzz_midi_read build/fuzz/fuzz_score build/fuzz/fuzz_wav: build/fuzz/fuzz_%: \
    $(call FUZZ_OBJ,tests/fuzz/fuzz_%.cpp $(MUSIC_SRC) $(PLOT_SRC))
	$(FUZZ_CXX) -fsanitize=fuzzer,address,undefined $^ -o $@
build/fuzz/fuzz_safetensors: $(call FUZZ_OBJ,tests/fuzz/fuzz_safetensors.cpp $(ENGINE_SRC))
	$(FUZZ_CXX) -fsanitize=fuzzer,address,undefined $^ -o $@

fuzz: $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	  rm -rf build/fuzz/corpus_$$t && mkdir -p build/fuzz/corpus_$$t; \
	  case $$t in \
	    midi_read) if [ -d ../shared/data/midi ]; then find ../shared/data/midi -name '*.mid*' -size -64k -exec cp {} build/fuzz/corpus_$$t/ \; 2>/dev/null; fi ;; \
	    score) cp music/corpus/*.tune build/fuzz/corpus_$$t/ ;; \
	    *) cp tests/fuzz/seeds/$$t/* build/fuzz/corpus_$$t/ ;; \
	  esac; \
	  echo "cadenza: fuzzing $$t for $(FUZZ_SECONDS) s with $$(ls build/fuzz/corpus_$$t | wc -l) seed files"; \
	  if build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 \
	       -artifact_prefix=build/fuzz/$$t- build/fuzz/corpus_$$t > build/fuzz/$$t.log 2>&1; then \
	    grep -E "^(stat::number_of_executed_units|stat::new_units_added)" build/fuzz/$$t.log; \
	  else tail -40 build/fuzz/$$t.log; echo "cadenza: the $$t fuzzer found a failure (build/fuzz/$$t-crash-*)"; exit 1; fi; \
	done

# ThreadSanitizer needs to know about OpenMP's barriers and joins. GCC's libgomp does not
# tell it, so TSan would report false races there. LLVM's OpenMP runtime (libomp) with its
# Archer tool does: so the suite is built with clang. First a probe shows that TSan stays
# silent on the engine's threading patterns and reports a deliberate race; then both suites
# run at TSAN_THREADS threads (3 by default: more threads than blocks shakes out more orders).
TSAN_CXX     ?= clang++
TSAN_THREADS ?= 3
TSAN_FLAGS   := -O1 -g -fsanitize=thread
TSAN_ENV      = CADENZA_FIXED_THREADS=1 OMP_NUM_THREADS=$(TSAN_THREADS) OMP_TOOL_LIBRARIES=$$archer \
                TSAN_OPTIONS="halt_on_error=1 exitcode=66 ignore_noninstrumented_modules=1"
tsan: doctest-check
	@echo 'int main(){}' | $(TSAN_CXX) -fopenmp -fsanitize=thread -x c++ - -o /dev/null 2>/dev/null || \
	  { echo "cadenza: make tsan needs clang with LLVM's OpenMP runtime; run: sudo apt-get install clang libomp-dev"; exit 1; }
	$(MAKE) --no-print-directory CXX=$(TSAN_CXX) OMP=1 OPT="$(TSAN_FLAGS)" BUILD=build/tsan \
	  build/tsan/tests/run_tests build/tsan/double/run_gradcheck
	$(TSAN_CXX) -std=c++17 $(TSAN_FLAGS) -fopenmp -I. tests/tsan/race_probe.cpp engine/core/parallel.cpp -o build/tsan/race_probe
	@archer=$$(realpath -e $$(dirname $$($(TSAN_CXX) -print-resource-dir))/../libarcher.so 2>/dev/null); \
	test -n "$$archer" || { echo "cadenza: LLVM's libarcher.so was not found; run: sudo apt-get install libomp-dev"; exit 1; }; \
	echo "== TSan probe: the engine's patterns must pass, a deliberate race must fail (Archer: $$archer) =="; \
	$(TSAN_ENV) ARCHER_OPTIONS=verbose=1 build/tsan/race_probe clean 2>&1 | tee build/tsan/probe.log | grep -v Archer; \
	grep -q "Archer detected" build/tsan/probe.log || { echo "cadenza: Archer did not load, so TSan cannot see OpenMP's barriers"; exit 1; }; \
	if $(TSAN_ENV) build/tsan/race_probe race > build/tsan/race.log 2>&1; then \
	  echo "cadenza: TSan did not report the probe's deliberate race; the check cannot fail, so it proves nothing"; exit 1; fi; \
	grep -q "WARNING: ThreadSanitizer: data race" build/tsan/race.log || { cat build/tsan/race.log; exit 1; }; \
	echo "ok: TSan reports the deliberate race ($$(grep -m1 SUMMARY build/tsan/race.log | sed 's/.*race //'))"; \
	echo "== float32 suite under TSan, $(TSAN_THREADS) threads =="; \
	$(TSAN_ENV) build/tsan/tests/run_tests $(SUITE_FLAG) && \
	echo "== float64 gradcheck suite under TSan, $(TSAN_THREADS) threads ==" && \
	$(TSAN_ENV) build/tsan/double/run_gradcheck $(SUITE_FLAG)

# ---- the default build on ARM: the engine has no x86-only code outside its run-time-chosen
# kernels. Cross-compiled with Debian's aarch64 g++, every example and the test binary; the
# kernel, tensor and RBM suites (the golden values included) then run under qemu-aarch64. ----
ARM_CXX    ?= aarch64-linux-gnu-g++
ARM_SUITES ?= ch01-tensors,ch07-rbm,ch11-fast
arm-check:
	@command -v $(ARM_CXX) >/dev/null && command -v qemu-aarch64 >/dev/null || \
	  { echo "cadenza: make arm-check needs an aarch64 cross-compiler and qemu; run: sudo apt-get install g++-aarch64-linux-gnu qemu-user"; exit 1; }
	$(MAKE) --no-print-directory CXX=$(ARM_CXX) OMP=1 BUILD=build/arm64 build/arm64/libcadenza.a build/arm64/tests/run_tests \
	  $(patsubst %,build/arm64/examples/%,$(EXAMPLES)) build/arm64/cadenza
	@[ "$$(od -An -tx1 -j18 -N2 build/arm64/tests/run_tests | tr -d ' ')" = b700 ] || \
	  { echo "cadenza: build/arm64/tests/run_tests is not an aarch64 binary"; exit 1; }
	@echo "== $(ARM_SUITES) on aarch64 (qemu-aarch64, 2 threads) =="
	QEMU_LD_PREFIX=/usr/aarch64-linux-gnu OMP_NUM_THREADS=2 qemu-aarch64 build/arm64/tests/run_tests --test-suite=$(ARM_SUITES)

loc:
	@wc -l engine/*/*.h engine/*/*.cpp | sort -n | tail -25

clean:
	rm -rf build out

help:
	@echo "Cadenza make targets:"
	@echo "  make              build the engine (build/libcadenza.a), the CLI (build/cadenza) and the examples"
	@echo "  make test         build and run the doctest suites (float32 + float64 gradcheck); SUITE=ch02-autograd runs one chapter"
	@echo "  make mlp-demo     train a small MLP on a toy task: progress bar, loss curve and decision-boundary SVG in out/mlp-demo"
	@echo "  make rbm-demo     train an RBM on the bundled tunes; write MIDI, WAV, SVG and a report to out/rbm-demo"
	@echo "                    (DATA=dir: your own MIDI folder; SEED=n; EPOCHS=n; FAITHFUL=1: the seed tutorial's recipe)"
	@echo "  make melody-demo  a melody LSTM on the bundled tunes, sampled from primers (out/melody-lstm)"
	@echo "  make tcn-demo     a TCN piano-roll model on the bundled tunes (DATA=: MIDI or benchmark folder) (out/tcn-pianoroll)"
	@echo "  make harmoniser-demo  Seq2Seq with attention harmonising chorale sopranos (JSB: DATA=...; else the bundled corpus) (out/harmoniser)"
	@echo "  make gan-demo         a GAN writes two-track 4-bar phrases from the bundled corpus; LOSS=lsgan|nonsat|wgan-gp|... (out/gan-demo)"
	@echo "  make bench        time sgemm, RBM, LSTM, TCN, attention, GAN steps beside PyTorch/OpenBLAS (../shared/peers); out/bench/"
	@echo "                    (CADENZA_ISA=portable|avx2|avx512 times one SIMD path; CASES=sgemm/ only those cases)"
	@echo "  make bench-train  the JSB LSTM recipe and the RBM demo's training beside PyTorch twins, 1 and 2 threads"
	@echo "                    (PASSES=3: three passes in turns with the peers, medians over them; about 5 minutes a pass)"
	@echo "  make grade        run the graded exercises and print the score table (CH=07: one chapter; docs/teaching.md)"
	@echo "  make student      write the student edition to out/student: every exercise stubbed (CH=07,08: only those)"
	@echo "  make docs-check   fail if a code snippet in docs/ differs from the source it quotes"
	@echo "  make figures      draw the chapters' figures into docs/figures/ (make figures-check: fail if one is stale)"
	@echo "  make docs-sync    rewrite the snippets in docs/ from the source"
	@echo "  make format       lay out every C++ file as .clang-format says (needs clang-format), re-sync the docs"
	@echo "  make lint-layers  fail if a file includes a layer above its own (the table in docs/STYLE.md)"
	@echo "  make examples     build every example"
	@echo "  make arm-check    cross-compile for aarch64 and run the kernel, tensor and RBM suites under qemu-aarch64"
	@echo "  make tsan         both suites under ThreadSanitizer at TSAN_THREADS=3, built with clang and LLVM's OpenMP"
	@echo "                    (its Archer tool lets TSan see OpenMP's barriers); needs: apt-get install clang libomp-dev"
	@echo "  make fuzz         libFuzzer on the MIDI reader for FUZZ_SECONDS (default 60; needs clang)"
	@echo "  make loc          line counts of the engine's files"
	@echo "  make clean        remove build/ and out/"
	@echo "Variables: OMP=auto|0|1  DEBUG=1 (-O0 -g, kernels -O1; ASan+UBSan; NaN-filled empty tensors)  NATIVE=1 (-march=native)  SUITE=<doctest suite>  SEED=<n>"

-include $(shell find build -name '*.d' 2>/dev/null)
