"""C++ cells for the notebooks: a cell that starts with %%cadenza holds C++, compiled against the
built library and run, its output shown below it. Chapters 1-4 (docs/01..04); the notebooks load it
with `%load_ext cadenza_cell`.

A cell without `int main` is the body of one: the engine's header is included and
`using namespace cadenza;` is in force, so a cell can be as short as

    %%cadenza
    Tensor a = arange(6).reshape({2, 3});
    std::cout << a.to_string() << "\\n";

Lines before the body that start with #include are kept at the top. Options on the magic line:
`--double` links the float64 engine (real is double, as in the gradient checks),
`--threads N` sets OMP_NUM_THREADS for the run, `--args "..."` passes arguments. A compile error is
shown with the cell's own line numbers. Python stays a viewer: it compiles, runs and prints.
"""
import hashlib
import os
import pathlib
import re
import shlex
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
CACHE = ROOT / 'out' / 'notebook-cells'


class CellError(RuntimeError):
    """A cell that did not compile, or whose program failed."""


def library(double=False):
    """The built engine (building it once if needed): (path of libcadenza.a, the compiler's flags).
    double: the float64 engine of the gradient checks (chapter 3), where `real` is double."""
    subs = ('build/double', 'build/noomp/double') if double else ('build', 'build/noomp')
    for sub in subs:
        lib = ROOT / sub / 'libcadenza.a'
        if lib.exists():
            break
    else:
        target = 'lib-double' if double else 'lib'
        r = subprocess.run(['make', '-s', target], cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            raise CellError(f'make {target} failed:\n' + r.stdout[-2000:] + r.stderr[-2000:])
        return library(double)
    flags_file = lib.parent.parent / '.cxxflags' if double else lib.parent / '.cxxflags'
    flags = ['-fopenmp'] if '-fopenmp' in flags_file.read_text() else []
    return lib, flags + (['-DCADENZA_DOUBLE'] if double else [])


def source(cell):
    """The cell as a whole program, and the number of lines put before the cell's body."""
    if 'int main' in cell:
        return cell, 0
    lines = cell.splitlines()
    includes = [l for l in lines if l.lstrip().startswith('#include')]
    body = [l if not l.lstrip().startswith('#include') else '' for l in lines]
    head = ['#include <cmath>', '#include <cstdio>', '#include <iostream>', '#include "engine/cadenza.h"', *includes,
            'using namespace cadenza;', 'int main() {']
    tail = ['  return 0;', '}']
    return '\n'.join(head + body + tail) + '\n', len(head)


def compile_cell(cell, double=False):
    """Compiles a cell (cached by its text and the library's date); returns the program's path."""
    lib, omp = library(double)
    program, offset = source(cell)
    key = hashlib.sha1((program + str(lib.stat().st_mtime_ns)).encode()).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    exe = CACHE / f'cell_{key}'
    if exe.exists():
        return exe
    src = CACHE / f'cell_{key}.cpp'
    src.write_text(program)
    cmd = [os.environ.get('CXX', 'g++'), '-std=c++17', '-O1', '-I', str(ROOT), *omp, str(src), str(lib),
           '-o', str(exe)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        # Report line numbers as the cell's own.
        msg = []
        for line in r.stderr.splitlines():
            prefix = f'{src}:'
            if line.startswith(prefix):
                rest = line[len(prefix):]
                num, _, more = rest.partition(':')
                if num.isdigit():
                    line = f'cell line {int(num) - offset}:{more}'
            m = re.match(r'^(\s*)(\d+)( \|.*)$', line)  # a quoted source line: renumber it too
            if m:
                line = f'{m.group(1)}{int(m.group(2)) - offset:>{len(m.group(2))}}{m.group(3)}'
            msg.append(line.replace(str(src), 'the cell'))
        raise CellError('the cell did not compile:\n' + '\n'.join(msg[:40]))
    return exe


def run_cell(cell, args=(), threads=None, double=False):
    """Compiles and runs a cell; returns its standard output. Raises CellError on failure."""
    exe = compile_cell(cell, double)
    env = dict(os.environ)
    if threads:
        env['OMP_NUM_THREADS'] = str(threads)
    r = subprocess.run([str(exe), *args], cwd=ROOT, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise CellError(f'the cell\'s program stopped with status {r.returncode}:\n{r.stdout[-3000:]}{r.stderr[-3000:]}')
    return r.stdout + r.stderr


def cadenza(line, cell):
    """The %%cadenza cell magic."""
    opts = shlex.split(line)
    threads, args, double = None, [], False
    while opts:
        o = opts.pop(0)
        if o == '--double':
            double = True
        elif o == '--threads' and opts:
            threads = opts.pop(0)
        elif o == '--args' and opts:
            args = shlex.split(opts.pop(0))
        else:
            raise CellError(f"%%cadenza: unknown option '{o}' (it takes --double, --threads N and --args \"...\")")
    print(run_cell(cell, args, threads, double), end='')


def load_ipython_extension(ipython):
    ipython.register_magic_function(cadenza, 'cell', 'cadenza')
