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

CELLS_INTRO = """
## C++ cells

A cell that starts with `%%cadenza` holds C++: `notebooks/cadenza_cell.py` compiles it against the
built engine (`build/libcadenza.a`, built on first use) and runs it, printing what it prints. The
engine's header is included and `using namespace cadenza;` is in force, so the cell is the body of
`main`. Edit a cell and run it again; a compile error is reported with the cell's own line numbers.
"""

TENSORS = [
    ("markdown", """
# Chapter 1: tensors, storage, views and broadcasting

A tensor is one flat buffer plus a shape, strides and an offset (docs/01-tensors.md). In this
notebook you make tensors in C++, look at their strides, take views that share storage, broadcast,
reduce, and draw the same random numbers twice from one seed.
""" + CELLS_INTRO),
    ("code", SETUP + """
%load_ext cadenza_cell
"""),
    ("markdown", "## Storage, shape and strides\nA transpose is a view: the same storage, its strides swapped, nothing copied."),
    ("code", """%%cadenza
Tensor a = Tensor::from_vector({0, 1, 2, 3, 4, 5}, {2, 3});
Tensor b = a.t();
std::cout << "a   " << a.to_string() << "  strides " << shape_str(a.strides()) << "\\n";
std::cout << "a.t " << b.to_string() << "  strides " << shape_str(b.strides())
          << "  contiguous? " << (b.is_contiguous() ? "yes" : "no") << "\\n";
Tensor every_other = a.slice(1, 0, 3, 2);  // a[:, 0:3:2]
std::cout << "a[:, ::2] " << every_other.to_string() << "  offset " << every_other.offset()
          << " strides " << shape_str(every_other.strides()) << "\\n";
"""),
    ("markdown", "## A view shares storage\nWrite through the original and the view sees it; `contiguous()` makes a copy that does not."),
    ("code", """%%cadenza
Tensor a = Tensor::zeros({2, 3});
Tensor row = a.select(0, 1);       // a[1], a view
Tensor copy = a.t().contiguous();  // a fresh buffer
{
  NoGradGuard no_grad;
  a.data()[4] = 42;                // element [1, 1]
}
std::cout << "row  " << row.to_string() << "\\n";
std::cout << "copy " << copy.to_string() << "\\n";
"""),
    ("markdown", """
## Broadcasting
Shapes are aligned from the right; a size-1 axis stretches (stride 0, no copy). Two sizes that differ
and are both larger than 1 are an error, and the message names both shapes.
"""),
    ("code", """%%cadenza
Tensor col = Tensor::from_vector({0, 10, 20}, {3, 1});
Tensor row = Tensor::from_vector({1, 2, 3, 4}, {1, 4});
std::cout << (col + row).to_string() << "\\n";
std::cout << "expanded strides " << shape_str(row.expand({3, 4}).strides()) << "\\n";
try {
  Tensor bad = Tensor::zeros({3, 2}) + Tensor::zeros({4});
} catch (const std::exception& e) {
  std::cout << "error: " << e.what() << "\\n";
}
"""),
    ("markdown", "## Reductions, and why logsumexp subtracts the maximum"),
    ("code", """%%cadenza
Tensor x = Tensor::from_vector({1000, 1001, 1002}, {3});
std::cout << "naive log(sum(exp(x))) = " << log(sum(exp(x))).item() << "\\n";
std::cout << "logsumexp(x)           = " << logsumexp(x).item() << "\\n";
Tensor m = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
std::cout << "sum over rows " << sum(m, {0}).to_string() << ", mean over columns " << mean(m, {1}).to_string() << "\\n";
"""),
    ("markdown", "## Randomness you can reproduce\nEvery random op takes a `Generator`; the same seed gives the same numbers."),
    ("code", """%%cadenza
Generator g1(7), g2(7), g3(8);
std::cout << randn({4}, g1).to_string() << "\\n" << randn({4}, g2).to_string() << "  (seed 7 again)\\n"
          << randn({4}, g3).to_string() << "  (seed 8)\\n";
"""),
    ("markdown", "## Tensors in a file: the MLP's checkpoint (safetensors)\nThe same shapes and strides, read from outside the engine."),
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

1. Edit the first C++ cell: take `a.t().slice(0, 1, 3)`. Predict its offset and strides, then run it.
2. In the broadcasting cell, add a (2, 1, 4) tensor to `row`. What is the result's shape?
3. Make `x` in the logsumexp cell `{-1000, -1001}`. Which of the two lines breaks now, and how?
4. Exercise 1.1 asks for `flip` as a view with a negative stride: after `make student`, write it and
   check it here with `flip(a, {1})`, then with `make grade CH=01`.
"""),
]

AUTOGRAD = [
    ("markdown", """
# Chapter 2: autograd

Every op records how to send a gradient back to its inputs; `backward()` walks the graph in reverse
(docs/02-autograd.md). In this notebook you build a graph in C++, call backward, check the result
against the derivative worked out by hand, and look at the graph itself.
""" + CELLS_INTRO),
    ("code", SETUP + """
%load_ext cadenza_cell
"""),
    ("markdown", """
## One neuron, by hand and by backward
For `y = tanh(w·x + b)`: `dy/dw = (1 − y²)·x` and `dy/db = 1 − y²`.
"""),
    ("code", """%%cadenza
Tensor w = Tensor::scalar(0.5).requires_grad_();
Tensor b = Tensor::scalar(-0.2).requires_grad_();
Tensor x = Tensor::scalar(1.5);
Tensor y = tanh(w * x + b);
y.backward();
double yv = y.item();
std::printf("y = %.6f\\n", yv);
std::printf("dy/dw: backward %.6f   by hand %.6f\\n", w.grad().item(), (1 - yv * yv) * 1.5);
std::printf("dy/db: backward %.6f   by hand %.6f\\n", b.grad().item(), 1 - yv * yv);
"""),
    ("markdown", """
## matmul's backward
For `L = sum(A B)` the upstream gradient `G` is all ones, and the chapter derives
`dL/dA = G Bᵀ` and `dL/dB = Aᵀ G`.
"""),
    ("code", """%%cadenza
Generator gen(0);
Tensor A = randn({2, 3}, gen).requires_grad_(), B = randn({3, 4}, gen).requires_grad_();
sum(matmul(A, B)).backward();
Tensor G = Tensor::ones({2, 4});
std::cout << "dL/dA  " << A.grad().to_string() << "\\n";
std::cout << "G B^T  " << matmul(G, B.detach().t()).to_string() << "\\n";
std::cout << "dL/dB  " << B.grad().to_string() << "\\n";
std::cout << "A^T G  " << matmul(A.detach().t(), G).to_string() << "\\n";
"""),
    ("markdown", "## The graph itself\n`to_dot` writes the graph in Graphviz's language; each box is an op, each arrow a tensor."),
    ("code", """%%cadenza
Tensor w = Tensor::scalar(0.5).requires_grad_().set_name("w");
Tensor b = Tensor::scalar(-0.2).requires_grad_().set_name("b");
Tensor y = tanh(w * Tensor::scalar(1.5) + b);
std::cout << to_dot(y);
"""),
    ("markdown", "## Where the time goes\nThe MLP's training under the profiler: every op forward, and inside the backward closures."),
    ("code", """
run('make', '-s', 'build/examples/mlp_moons')
out = run(ROOT / 'build/examples/mlp_moons', '--epochs', '5', '--out', ROOT / 'out/notebook-autograd', env={'CADENZA_PROFILE': '1'})
print(out[out.index('[cadenza profile]'):])
"""),
    ("markdown", """
## Try it

1. In the first cell, use `y = tanh(w * x + b) * w`. Work out `dy/dw` by hand first, then run.
2. Call `y.backward()` twice in the first cell. What does the error say, and why is the graph gone?
3. Exercise 2.4 is matmul's backward: in the student edition, the second cell fails until you write it.
"""),
]

GRADCHECK = [
    ("markdown", """
# Chapter 3: gradcheck and debugging

A backward is checked against central differences, in float64 (docs/03-gradcheck-and-debugging.md).
The `--double` cells link the float64 engine, where `real` is `double`, as the gradient checks do.
""" + CELLS_INTRO),
    ("code", SETUP + """
%load_ext cadenza_cell
"""),
    ("markdown", "## A gradcheck that passes"),
    ("code", """%%cadenza --double
Generator gen(1);
Tensor x = randn({3, 4}, gen).requires_grad_(), W = randn({4, 2}, gen).requires_grad_();
auto fn = [](const std::vector<Tensor>& in) -> Tensor { return sum(tanh(matmul(in[0], in[1]))); };
GradcheckResult r = gradcheck(fn, {x, W});
std::printf("ok %d, largest error %.2e\\n", (int)r.ok, r.max_abs_error);
"""),
    ("markdown", """
## A checker must be able to fail
Here the function hides part of its dependence on `x` behind `detach()`, so the graph's derivative is
`x` where the true one is `2x`: gradcheck catches it and says where.
"""),
    ("code", """%%cadenza --double
Generator gen(2);
Tensor x = randn({5}, gen).requires_grad_();
auto wrong = [](const std::vector<Tensor>& in) -> Tensor { return sum(in[0] * in[0].detach()); };
GradcheckResult r = gradcheck(wrong, {x});
std::printf("ok %d, largest error %.2e\\n%s\\n", (int)r.ok, r.max_abs_error, r.report.c_str());
"""),
    ("markdown", """
## The step size
The central difference's error is `O(h²)` from truncation plus `O(ε/h)` from rounding: too large a
step and too small a step both go wrong. In float32 the best step is far larger than in float64.
"""),
    ("code", """%%cadenza --double
// d/dx exp(x) at x = 1 is e; the error of (f(x+h) - f(x-h)) / 2h in float64 and float32.
std::printf("%8s %12s %12s\\n", "h", "float64", "float32");
for (double h = 1e-1; h > 1e-12; h /= 10) {
  double d64 = (std::exp(1 + h) - std::exp(1 - h)) / (2 * h);
  float hf = (float)h, d32 = (std::exp(1.0f + hf) - std::exp(1.0f - hf)) / (2 * hf);
  std::printf("%8.0e %12.2e %12.2e\\n", h, std::fabs(d64 - M_E), std::fabs(d32 - M_E));
}
"""),
    ("markdown", "## Every op, checked\nThe whole float64 suite: one case per differentiable op, and the registry that fails on a missing one."),
    ("code", """
run('make', '-s', 'build/double/run_gradcheck', 'build/tests/run_tests')
out = run(ROOT / 'build/double/run_gradcheck', '-s', '--no-intro')
print('\\n'.join(l for l in out.splitlines() if 'TEST CASE' in l)[:3000])
print(out.splitlines()[-2])
"""),
    ("code", """
out = run(ROOT / 'build/tests/run_tests', '-tc=the NaN trap*', '-s', '--no-intro')
print('\\n'.join(l for l in out.splitlines() if 'produced' in l or 'passed' in l)[:2000])
"""),
    ("markdown", """
## Try it

1. In the second cell, replace `in[0].detach()` by `in[0]`. Does gradcheck pass now?
2. Put `relu` in the first cell's function and move `x` to exactly 0 in one element. What happens, and
   why does the chapter call this a kink?
3. Break one backward in `engine/ops/elementwise.cpp` (say, `tanh`'s), rebuild with `make`, and
   rerun the first cell and the suite. Which case fails, and what does the report say?
"""),
]

ENGINE_TOUR_HEAD = [
    ("markdown", """
# Chapter 4: modules, losses, optimisers: the whole loop

First you write the loop yourself in a C++ cell: a model of named parameters, a loss on logits, an
optimiser that reads only `.grad` (docs/04-modules-losses-optimisers.md). Then the MLP example
(`make mlp-demo`) runs the same loop on two half-moons, and we look at everything it wrote.
""" + CELLS_INTRO),
    ("code", SETUP + """
%load_ext cadenza_cell
"""),
    ("markdown", "## The loop, in one cell\nXOR: four points no straight line separates, a 2–8–1 network, Adam."),
    ("code", """%%cadenza
struct Net : nn::Module {
  std::shared_ptr<nn::Linear> fc1, fc2;
  explicit Net(Generator& gen) {
    fc1 = register_module("fc1", std::make_shared<nn::Linear>(2, 8, true, gen));
    fc2 = register_module("fc2", std::make_shared<nn::Linear>(8, 1, true, gen));
  }
  Tensor forward(const Tensor& x) { return fc2->forward(tanh(fc1->forward(x))); }
};
Generator gen(0);
Net net(gen);
Tensor x = Tensor::from_vector({0, 0, 0, 1, 1, 0, 1, 1}, {4, 2});
Tensor y = Tensor::from_vector({0, 1, 1, 0}, {4, 1});
optim::Adam opt(net.parameters(), 0.05);
for (int step = 0; step <= 300; ++step) {
  opt.zero_grad();
  Tensor loss = binary_cross_entropy_with_logits(net.forward(x), y);
  loss.backward();
  opt.step();
  if (step % 50 == 0) std::printf("step %3d  loss %.4f\\n", step, loss.item());
}
NoGradGuard no_grad;
std::cout << "P(1) for 00, 01, 10, 11: " << sigmoid(net.forward(x)).reshape({4}).to_string() << "\\n";
"""),
]

ENGINE_TOUR_TAIL = [
    ("markdown", "## The MLP example: the same loop, with pictures"),
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


ENGINE_TOUR = ENGINE_TOUR_HEAD + ENGINE_TOUR_TAIL

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
Chorales benchmark, whose test NLL `cadenza` prints beside the published numbers. A fresh clone has
no JSB data: the second run then trains on the bundled corpus, and says so.
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
    args, out_dir, epochs = ['--data', DATA], ROOT / 'out/notebook-lstm-jsb', '3'
else:
    print('JSB Chorales not found at', DATA, '(docs/README.md says where to get it):')
    print('training on the bundled corpus instead; its NLL is not comparable with the published table.')
    args, out_dir, epochs = [], ROOT / 'out/notebook-lstm-corpus', '40'
out = run(ROOT / 'build/cadenza', 'train', '--model', 'lstm', *args, '--epochs', epochs, '--hidden', '64',
          '--layers', '1', '--out', out_dir)
print('\\n'.join(l for l in out.splitlines() if l.startswith('|') or l.startswith('model=') or 'not found' in l))
display(SVG(filename=str(out_dir / 'learning_curve.svg')))
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
soprano; we listen to it beside Bach and look at where each voice attended. Without JSB Chorales
(a fresh clone) it harmonises the bundled tunes' melodies instead, and says so.
"""),
    ("code", SETUP + """
DATA = ROOT.parent / 'shared/data/jsb_chorales'
# Without JSB Chorales the demo says so and harmonises the bundled tunes instead (pieces, not chorales).
out = run('make', '-s', 'harmoniser-demo', 'EPOCHS=1', *([f'DATA={DATA}'] if DATA.exists() else ['DATA=']))
print('\\n'.join(l for l in out.splitlines() if 'equal' in l or 'not found' in l or 'corpus' in l))
OUT = ROOT / 'out/harmoniser'
piece, original = ('chorale', 'bach') if DATA.exists() else ('piece', 'original')
display(SVG(filename=str(OUT / f'{piece}_1_attention.svg')))
display(Audio(filename=str(OUT / f'{piece}_1_cadenza.wav')))
display(Audio(filename=str(OUT / f'{piece}_1_{original}.wav')))
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

GAN = [
    ("markdown", """
# Chapter 12: adversarial networks

`make gan-demo` for 40 epochs (the demo's default is 250): a WGAN-GP writes two-track phrases,
melody and accompaniment, from the bundled corpus. We look at both loss curves, hear the samples
beside held-out real phrases, and read the judge's verdict. Then a C++ cell checks the gradient
penalty, the gradient of a gradient, against the derivative worked out by hand.
""" + CELLS_INTRO),
    ("code", SETUP + """
%load_ext cadenza_cell
out = run('make', '-s', 'gan-demo', 'EPOCHS=40')
print('\\n'.join(l for l in out.splitlines() if l.startswith('gan_demo')))
OUT = ROOT / 'out/gan-demo'
display(SVG(filename=str(OUT / 'losses.svg')))
"""),
    ("markdown", "## Generated phrases, then real ones"),
    ("code", """
display(SVG(filename=str(OUT / 'samples.svg')))
display(Audio(filename=str(OUT / 'samples.wav')))
display(SVG(filename=str(OUT / 'real.svg')))
display(Audio(filename=str(OUT / 'real.wav')))
"""),
    ("markdown", """
## The judge

MuseGAN's measures, then the feature distributions and the two classifier tests, each beside the
same measure taken between training and held-out real phrases.
"""),
    ("code", """
report = (OUT / 'report.md').read_text()
start = report.index('## Generated phrases')
end = report.index('## ', report.index('## Feature distributions') + 3)
display(Markdown(report[start:end]))
assert '| small CNN on the rolls |' in report
"""),
    ("markdown", """
## The gradient penalty by hand

For a linear critic `D(x) = x w`, the gradient with respect to every `x` is `w`. So the penalty is
`λ(‖w‖ − 1)²`, and its gradient with respect to `w` is `2λ(‖w‖ − 1) w / ‖w‖`. Autograd gets there by
differentiating the gradient it built with `create_graph`.
"""),
    ("code", """%%cadenza
Generator gen(0);
Tensor w = Tensor::from_vector({0.6, -1.2, 0.8}, {3, 1}).requires_grad_();
auto critic = [&](const Tensor& x) { return matmul(x, w); };
Tensor real_batch = randn({4, 3}, gen), fake_batch = randn({4, 3}, gen);
Tensor gp = nn::gradient_penalty(critic, real_batch, fake_batch, gen, 10.0);
gp.backward();
std::vector<real> wv = w.detach().to_vector(), g = w.grad().to_vector();
double norm = std::sqrt(wv[0] * wv[0] + wv[1] * wv[1] + wv[2] * wv[2]);
std::printf("penalty: autograd %.6f   by hand %.6f\\n", gp.item(), 10 * (norm - 1) * (norm - 1));
for (int i = 0; i < 3; ++i)
  std::printf("d penalty / d w[%d]: autograd %+.6f   by hand %+.6f\\n", i, g[i], 20 * (norm - 1) * wv[i] / norm);
"""),
    ("markdown", """
## Try it

1. Forty epochs is early training, and the judge says so: most melody bars are empty, and both
   classifiers tell the samples from real phrases at once. Run `make gan-demo` (250 epochs, about
   three minutes) and read this cell's tables again. Which measures move first?
2. Run the demo with `LOSS=lsgan` and compare the QN row and the classifier accuracies.
3. Change `w` so that `‖w‖ = 1`. What do the penalty and its gradient become, and why?
"""),
]

NOTEBOOKS = {"01-tensors.ipynb": TENSORS, "02-autograd.ipynb": AUTOGRAD, "03-gradcheck.ipynb": GRADCHECK,
             "04-modules-and-training.ipynb": ENGINE_TOUR, "05-midi-and-piano-rolls.ipynb": MUSIC_TOUR,
             "06-sound.ipynb": SOUND, "07-rbm.ipynb": RBM, "08-recurrent-networks.ipynb": RNN,
             "09-attention-and-seq2seq.ipynb": ATTENTION, "10-convolutions-and-dilation.ipynb": CONV,
             "11-making-it-fast.ipynb": FAST,
             "12-adversarial-networks.ipynb": GAN}

if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        with open(os.path.join(HERE, name), "w") as f:
            json.dump(nb(cells), f, indent=1)
            f.write("\n")
        print("wrote notebooks/" + name)
