#!/usr/bin/env python3
"""Writes the .ipynb files in this folder from the cell lists below.

The notebooks are *viewers*: Python only runs Cadenza's programs and shows
what they wrote (SVG, CSV, safetensors, .npy). Edit the cells here, then run
`python3 notebooks/make_notebooks.py`; CI executes every notebook headless.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def nb(cells):
    out = []
    for i, (kind, src) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"cell-{i}", "metadata": {},
                "source": src.strip("\n").splitlines(keepends=True)}
        if kind == "code":
            cell.update({"execution_count": None, "outputs": []})
        out.append(cell)
    return {"cells": out, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                                       "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


ENGINE_TOUR = [
    ("markdown", """
# Chapter 4: modules, losses, optimisers: the whole loop

This notebook runs Cadenza's MLP example (`make mlp-demo`, chapter 4) and looks at everything it
wrote: the loss curve, the decision boundary, the numbers behind the curve, and the checkpoint.
Python here is only a viewer: the training runs in C++.
"""),
    ("code", """
import csv, json, pathlib, struct, subprocess
from IPython.display import SVG, display

ROOT = pathlib.Path('..').resolve()
OUT = ROOT / 'out' / 'mlp-demo'
run = subprocess.run(['make', '-s', 'mlp-demo', 'SEED=0'], cwd=ROOT, capture_output=True, text=True)
print(run.stdout[-1500:])
print(run.stderr[-600:])
assert run.returncode == 0, 'make mlp-demo failed'
"""),
    ("markdown", "## What the network learned\nEach cell's colour is the model's probability of class 1; dots are validation points."),
    ("code", "display(SVG(filename=str(OUT / 'boundary.svg')))"),
    ("markdown", "## The loss curve\nTraining loss keeps falling; validation loss flattens where the model stops generalising better."),
    ("code", "display(SVG(filename=str(OUT / 'loss.svg')))"),
    ("code", """
rows = list(csv.DictReader(open(OUT / 'loss.csv')))
print(len(rows), 'epochs')
for r in rows[:3] + rows[-3:]:
    print(r)
first, last = float(rows[0]['train_loss']), float(rows[-1]['train_loss'])
assert last < first, 'training did not reduce the loss'
"""),
    ("markdown", """
## The checkpoint is plain safetensors

An 8-byte little-endian header length, a JSON header, then the raw float32 numbers. No library
needed to read it: `struct` and `json` do.
"""),
    ("code", """
raw = (OUT / 'model.safetensors').read_bytes()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
print('metadata:', header.pop('__metadata__'))
for name, entry in header.items():
    b0, b1 = entry['data_offsets']
    values = struct.unpack('<%df' % ((b1 - b0) // 4), raw[8 + n + b0:8 + n + b1])
    mean = sum(values) / len(values)
    print(f"{name:12s} {str(entry['shape']):10s} mean {mean:+.4f}  max |w| {max(map(abs, values)):.3f}")
"""),
    ("code", """
try:
    import numpy as np   # optional: Debian's python3-numpy
    w = np.frombuffer(raw[8 + n + header['fc1.weight']['data_offsets'][0]:8 + n + header['fc1.weight']['data_offsets'][1]], '<f4')
    print('fc1.weight as numpy:', w.reshape(header['fc1.weight']['shape']).shape, 'std', w.std())
except ImportError:
    print('numpy not installed; the pure-Python reader above is enough')
"""),
    ("markdown", """
## Try it

1. Re-run the first cell with `SEED=1`: does the boundary change? Is the validation accuracy similar?
2. Run `build/examples/mlp_moons --lr 0.5 --out ../out/lr05` from a terminal and display its `loss.svg` here.
3. Run it with `CADENZA_PROFILE=1` and find the op that takes most of the time (chapter 3).
"""),
]

MUSIC_TOUR = [
    ("markdown", """
# Chapter 5: MIDI files and piano rolls

This notebook compiles a tune from Cadenza's bundled corpus, reads it back with `cadenza midi`,
draws its piano roll and plays Cadenza's own synthesis of it. Python only runs the programs and
shows what they wrote.
"""),
    ("code", """
import csv, io, pathlib, subprocess
from IPython.display import SVG, Audio, display

ROOT = pathlib.Path('..').resolve()
OUT = ROOT / 'out' / 'notebook-music'
OUT.mkdir(parents=True, exist_ok=True)
CLI = ROOT / 'build' / 'cadenza'
if not CLI.exists():
    subprocess.run(['make', '-s', 'build/cadenza'], cwd=ROOT, check=True)

def cadenza(*args):
    r = subprocess.run([str(CLI), *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return r.stdout

print(cadenza('corpus').splitlines()[-1])
"""),
    ("markdown", "## A tune from the corpus, compiled to MIDI and inspected"),
    ("code", """
print((ROOT / 'music' / 'corpus' / 'greensleeves.tune').read_text()[:400])
print(cadenza('score', 'music/corpus/greensleeves.tune', OUT / 'greensleeves.mid'))
print(cadenza('midi', 'inspect', OUT / 'greensleeves.mid'))
"""),
    ("markdown", "## Its notes, as the table `cadenza midi notes` prints"),
    ("code", """
rows = list(csv.DictReader(io.StringIO(cadenza('midi', 'notes', OUT / 'greensleeves.mid')), delimiter='\t'))
print(len(rows), 'notes; the first five:')
for r in rows[:5]:
    print(r)
melody = [r for r in rows if r['track'] == '1']
print('melody pitch range:', min(int(r['pitch']) for r in melody), '..', max(int(r['pitch']) for r in melody))
"""),
    ("markdown", "## The piano roll (colour = track: melody and accompaniment)"),
    ("code", """
cadenza('roll', OUT / 'greensleeves.mid', OUT / 'greensleeves.svg')
display(SVG(filename=str(OUT / 'greensleeves.svg')))
"""),
    ("markdown", "## Listen: Cadenza's synthesiser, 16-bit WAV"),
    ("code", """
print(cadenza('render', OUT / 'greensleeves.mid', OUT / 'greensleeves.wav', '--sample-rate', 22050))
display(Audio(filename=str(OUT / 'greensleeves.wav')))
"""),
    ("markdown", """
## Try it

1. Compile `music/corpus/fur_elise.tune` instead, and change its `style:` line to `block`. How does the accompaniment change?
2. Run `cadenza midi inspect` on a file from `../shared/data/midi/jazzsoft_test_midi_files/` whose name starts with `test-illegal`. What does the reader forgive?
3. Render a tune with `program: 19` (church organ) in its `.tune` file.
"""),
]

RBM = [
    ("markdown", """
# Chapter 7: the RBM

This notebook runs the RBM demo (a short run: `make rbm-demo` trains longer), then looks at what it
wrote: the report, the training curve, a sample's piano roll and sound, and the learned weights read
straight from the safetensors checkpoint.
"""),
    ("code", """
import csv, json, pathlib, struct, subprocess
from IPython.display import SVG, Audio, Markdown, display

ROOT = pathlib.Path('..').resolve()
OUT = ROOT / 'out' / 'notebook-rbm'
subprocess.run(['make', '-s', 'build/examples/rbm_demo'], cwd=ROOT, check=True)
run = subprocess.run([str(ROOT / 'build' / 'examples' / 'rbm_demo'), '--epochs', '4', '--seed', '1', '--samples', '2',
                      '--out', str(OUT)], cwd=ROOT, capture_output=True, text=True)
print(run.stdout[-1200:])
assert run.returncode == 0, run.stderr
"""),
    ("markdown", "## The report: the samples beside the training music"),
    ("code", "display(Markdown((OUT / 'report.md').read_text()))"),
    ("markdown", "## Training: the reconstruction error per epoch"),
    ("code", """
display(SVG(filename=str(OUT / 'loss.svg')))
rows = list(csv.DictReader(open(OUT / 'loss.csv')))
print(rows[0])
print(rows[-1])
"""),
    ("markdown", "## A sample: see it, hear it"),
    ("code", """
display(SVG(filename=str(OUT / 'sample_1.svg')))
display(Audio(filename=str(OUT / 'sample_1.wav')))
"""),
    ("markdown", """
## The weights, read from the checkpoint

`W` is (visible, hidden) = (16 steps x 156, 192). Each hidden unit's column is a *feature*: a pattern of
notes over the window that it responds to. Here: how many keys each of the first units weighs most.
"""),
    ("code", """
raw = (OUT / 'model.safetensors').read_bytes()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
print(header['__metadata__'])
e = header['W']
V, H = e['shape']
b0, b1 = e['data_offsets']
W = struct.unpack('<%df' % (V * H), raw[8 + n + b0:8 + n + b1])
for j in range(3):
    col = [W[i * H + j] for i in range(V)]
    top = sorted(range(V), key=lambda i: -col[i])[:5]
    print(f'hidden unit {j}: strongest on', [(i // 156, 24 + (i % 156) % 78) for i in top], '(step, pitch)')
"""),
    ("markdown", """
## Try it

1. Run `make rbm-demo` (full training) and compare its `report.md` with the short run above.
2. Run the faithful recipe: `make rbm-demo FAITHFUL=1 DATA=../shared/data/midi/music_generator_demo_pop` and listen to `out/rbm-demo/sample_1.wav`. What does one Gibbs step from zeros produce?
3. Train on your own MIDI folder: `make rbm-demo DATA=...`.
"""),
]

SETUP = """
import csv, io, json, pathlib, struct, subprocess
from IPython.display import SVG, Audio, Markdown, display

ROOT = pathlib.Path('..').resolve()
def run(*args, env=None):
    import os
    r = subprocess.run([str(a) for a in args], cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if r.returncode != 0:
        raise RuntimeError(r.stdout[-2000:] + r.stderr[-2000:])
    return r.stdout + r.stderr
"""

TENSORS = [
    ("markdown", """
# Chapter 1: tensors, storage, views and broadcasting

The chapter's test suite is a tour of the rules: views share storage, slicing follows Python,
broadcasting aligns shapes from the right. This notebook runs it, then reads real tensors (an MLP's
weights) from a checkpoint to look at shapes and strides from the outside.
"""),
    ("code", SETUP + """
run('make', '-s', 'build/tests/run_tests')
out = run(ROOT / 'build/tests/run_tests', '-ts=ch01-tensors', '-s', '--no-intro')
print('\\n'.join(l for l in out.splitlines() if 'TEST CASE' in l))
print(out.splitlines()[-2])
"""),
    ("markdown", "## Tensors in a file: the MLP's checkpoint (safetensors)"),
    ("code", """
run('make', '-s', 'mlp-demo', 'SEED=0')
raw = (ROOT / 'out/mlp-demo/model.safetensors').read_bytes()
n = struct.unpack('<Q', raw[:8])[0]
header = json.loads(raw[8:8 + n])
for name, e in header.items():
    if name == '__metadata__':
        continue
    shape = e['shape']
    strides = [1] * len(shape)
    for i in range(len(shape) - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    print(f'{name:12s} shape {tuple(shape)!s:10s} contiguous strides {tuple(strides)}')
"""),
    ("markdown", """
## Try it

1. `fc1.weight` is (32, 2): what are the strides of its transpose? Check your answer against `Tensor::t()` in chapter 1.
2. Predict the broadcast shape of `fc1.bias` (32,) added to a batch of (64, 32) activations.
"""),
]

AUTOGRAD = [
    ("markdown", """
# Chapter 2: autograd

Every op that records a backward shows up in the profiler twice: once running forward, once inside
the backward closures of the ops that use it. This notebook profiles the MLP's training and runs the
chapter's tests (10,000-step graphs, freed graphs, shape checks).
"""),
    ("code", SETUP + """
run('make', '-s', 'build/examples/mlp_moons', 'build/tests/run_tests')
out = run(ROOT / 'build/examples/mlp_moons', '--epochs', '5', '--out', ROOT / 'out/notebook-autograd', env={'CADENZA_PROFILE': '1'})
print(out[out.index('[cadenza profile]'):])
"""),
    ("code", """
out = run(ROOT / 'build/tests/run_tests', '-ts=ch02-autograd', '-s', '--no-intro')
print('\\n'.join(l for l in out.splitlines() if 'TEST CASE' in l))
print(out.splitlines()[-2])
"""),
    ("markdown", """
## Try it

1. Which op is called most often? Why is `permute` so cheap?
2. Run `to_dot` on the MLP's loss (chapter 3) and render it with Graphviz.
"""),
]

GRADCHECK = [
    ("markdown", """
# Chapter 3: gradcheck and debugging

The float64 build of the engine checks every differentiable op against finite differences; the
registry test fails if an op is missing. This notebook runs that suite and then the NaN trap.
"""),
    ("code", SETUP + """
run('make', '-s', 'build/double/run_gradcheck', 'build/tests/run_tests')
out = run(ROOT / 'build/double/run_gradcheck', '-s', '--no-intro')
print('\\n'.join(l for l in out.splitlines() if 'TEST CASE' in l))
print(out.splitlines()[-2])
"""),
    ("code", """
out = run(ROOT / 'build/tests/run_tests', '-tc=the NaN trap*', '-s', '--no-intro')
print('\\n'.join(l for l in out.splitlines() if 'produced' in l or 'passed' in l)[:2000])
"""),
    ("markdown", """
## Try it

1. Break one backward in `engine/ops/elementwise.cpp` (say, `tanh`'s) and rerun the first cell. Which case fails, and what does the report say?
"""),
]

SOUND = [
    ("markdown", """
# Chapter 6: sound from numbers

Cadenza's synthesiser renders an A4 for each instrument family; we check the pitch with a Fourier
transform (numpy), look at the spectrum, and listen.
"""),
    ("code", SETUP + """
import wave
import numpy as np
run('make', '-s', 'build/cadenza')
OUT = ROOT / 'out/notebook-sound'
OUT.mkdir(parents=True, exist_ok=True)
def a4(program):
    tune = OUT / f'a4_{program}.tune'
    tune.write_text(f'title: A4\\nprogram: {program}\\nmelody: A4w |\\n')
    run(ROOT / 'build/cadenza', 'score', tune, OUT / f'a4_{program}.mid')
    run(ROOT / 'build/cadenza', 'render', OUT / f'a4_{program}.mid', OUT / f'a4_{program}.wav')
    w = wave.open(str(OUT / f'a4_{program}.wav'))
    x = np.frombuffer(w.readframes(w.getnframes()), dtype='<i2').astype(float) / 32768
    return x, w.getframerate()
for program, name in [(0, 'piano'), (19, 'organ'), (40, 'strings'), (56, 'brass'), (71, 'clarinet')]:
    x, sr = a4(program)
    seg = x[int(0.2 * sr):int(1.2 * sr)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    freqs = np.fft.rfftfreq(len(seg), 1 / sr)
    peaks = freqs[np.argsort(spec)[-1]]
    harmonics = [round(spec[np.argmin(abs(freqs - 440 * k))] / spec.max(), 2) for k in range(1, 6)]
    print(f'{name:9s} peak {peaks:7.1f} Hz   harmonics 1..5 relative {harmonics}')
"""),
    ("code", "display(Audio(filename=str(OUT / 'a4_71.wav')))"),
    ("markdown", """
## Try it

1. Why does the clarinet have weak even harmonics? Look at `voice_sample` in `music/synth.cpp`.
2. Render a corpus tune with `cadenza render` and plot the RMS of each 10 ms frame: can you see the notes?
"""),
]

RNN = [
    ("markdown", """
# Chapter 8: recurrent networks

Two runs: the melody LSTM of `make melody-demo` (one short epoch here), and an LSTM on the JSB
Chorales benchmark, whose test NLL `cadenza` prints beside the published numbers.
"""),
    ("code", SETUP + """
run('make', '-s', 'melody-demo', 'EPOCHS=1')
OUT = ROOT / 'out/melody-lstm'
display(SVG(filename=str(OUT / 'sample_1.svg')))
display(Audio(filename=str(OUT / 'sample_1.wav')))
"""),
    ("code", """
DATA = ROOT.parent / 'shared/data/jsb_chorales'
if DATA.exists():
    out = run(ROOT / 'build/cadenza', 'train', '--model', 'lstm', '--data', DATA, '--epochs', '3', '--hidden', '64',
              '--layers', '1', '--out', ROOT / 'out/notebook-lstm-jsb')
    print('\\n'.join(l for l in out.splitlines() if l.startswith('|') or l.startswith('model=')))
    display(SVG(filename=str(ROOT / 'out/notebook-lstm-jsb/learning_curve.svg')))
else:
    print('JSB Chorales not found at', DATA, '- see docs/08-recurrent-networks.md for where to get it')
"""),
    ("markdown", """
## Try it

1. Train for 30 epochs instead of 3 and watch the valid curve turn up: where would early stopping stop?
2. Rerun the first cell with `--temperature 0.3` (edit the Makefile call into a direct call of `build/examples/melody_lstm`). Listen.
"""),
]

ATTENTION = [
    ("markdown", """
# Chapter 9: attention and Seq2Seq

The chorale harmoniser (one short epoch here): Cadenza writes alto, tenor and bass under a Bach
soprano; we listen to it beside Bach and look at where each voice attended.
"""),
    ("code", SETUP + """
DATA = ROOT.parent / 'shared/data/jsb_chorales'
if DATA.exists():
    out = run('make', '-s', 'harmoniser-demo', 'EPOCHS=1', f'DATA={DATA}')
    print('\\n'.join(l for l in out.splitlines() if 'agree' in l or 'equal' in l))
    OUT = ROOT / 'out/harmoniser'
    display(SVG(filename=str(OUT / 'chorale_1_attention.svg')))
    display(Audio(filename=str(OUT / 'chorale_1_cadenza.wav')))
    display(Audio(filename=str(OUT / 'chorale_1_bach.wav')))
else:
    print('JSB Chorales not found at', DATA)
"""),
    ("markdown", """
## Try it

1. Train with `EPOCHS=8` (the default) and compare the attention map: does it become a staircase?
"""),
]

CONV = [
    ("markdown", """
# Chapter 10: convolutions and dilation

The TCN piano-roll model of `make tcn-demo` (two epochs here): its learning curve and a sample.
"""),
    ("code", SETUP + """
out = run('make', '-s', 'tcn-demo', 'EPOCHS=2')
print('\\n'.join(l for l in out.splitlines() if 'receptive field' in l or 'best valid' in l))
OUT = ROOT / 'out/tcn-pianoroll'
display(SVG(filename=str(OUT / 'loss.svg')))
display(SVG(filename=str(OUT / 'sample_1.svg')))
display(Audio(filename=str(OUT / 'sample_1.wav')))
"""),
    ("markdown", """
## Try it

1. How many steps back can the model see? Compare with the primer length (16) and the sample length.
"""),
]

FAST = [
    ("markdown", """
# Chapter 11: making it fast

The chapter's four steps on one 512 × 512 matrix product, timed on *your* machine:
the three-loop reference, the blocked and packed version with the portable tile, the AVX2/FMA tile,
and all threads. Then one whole LSTM training step. (`make bench` adds PyTorch and OpenBLAS beside
every workload; it takes about 4 minutes, so it is not run here.)
"""),
    ("code", SETUP + """
run('make', '-s', 'build/bench/bench')
def fields(line):
    return dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
steps = [fields(l) for l in run('build/bench/bench', '--steps').splitlines() if l.startswith('peer=')]
rows = ['| step | threads | ms per product | GFLOP/s |', '|---|---|---|---|']
rows += [f"| {s['step']} | {s['threads']} | {s['ms_per_call']} | {s['gflops']} |" for s in steps]
display(Markdown('\\n'.join(rows)))
g = {s['step']: float(s['gflops']) for s in steps}
print(f"blocked / reference: {g['blocked'] / g['reference']:.1f}x   simd / blocked: {g['simd'] / g['blocked']:.1f}x")
"""),
    ("code", """
line = [l for l in run('build/bench/bench', '--case', 'lstm_train/H256', env={'OMP_NUM_THREADS': '1'}).splitlines()
        if l.startswith('peer=')][0]
f = fields(line)
print(f"LSTM training step (88 -> 256, T=32, B=64, BCE, Adam) on the {f['kernel']} kernels, 1 thread: "
      f"{f['ms_per_step']} ms, {f['gflops']} GFLOP/s, peak memory {f['peak_rss_mb']} MB")
if f['kernel'] == 'avx2-fma':
    assert g['simd'] > 5 * g['reference'], 'the SIMD product should be far faster than the three loops'
"""),
    ("markdown", """
## Try it

1. Which step gained most on your machine, and why (cache lines, SIMD width, FMA chains, cores)?
2. Profile the LSTM step yourself: `perf record build/bench/bench --case lstm_train/H256`, then
   `perf report`. Which function is on top now?
"""),
]

NOTEBOOKS = {"01-tensors.ipynb": TENSORS, "02-autograd.ipynb": AUTOGRAD, "03-gradcheck.ipynb": GRADCHECK,
             "04-modules-and-training.ipynb": ENGINE_TOUR, "05-midi-and-piano-rolls.ipynb": MUSIC_TOUR,
             "06-sound.ipynb": SOUND, "07-rbm.ipynb": RBM, "08-recurrent-networks.ipynb": RNN,
             "09-attention-and-seq2seq.ipynb": ATTENTION, "10-convolutions-and-dilation.ipynb": CONV,
             "11-making-it-fast.ipynb": FAST}

if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        with open(os.path.join(HERE, name), "w") as f:
            json.dump(nb(cells), f, indent=1)
            f.write("\n")
        print("wrote notebooks/" + name)
