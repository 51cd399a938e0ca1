"""The layout's rules, checked on the source (AST): they fail when a change breaks them.

* Layers (``docs/architecture.md``): a module imports only modules of lower layers and of its own
  subpackage, never a higher layer or a sibling of its layer::

      errors | _paths  <  checks  <  physics | surface  <  case  <  fem  <  simulation  <  output
      <  run  <  batch  <  cli

* No import cycle among lamina's modules (function-local imports count too).
* Only ``solver/fem`` imports DOLFINx, PETSc, UFL, basix, mpi4py or the wheel; lamina's own
  imports stand at module top.
* No module over 500 lines (one numba kernel file excepted), no function over 80 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "solver"

#: rank of each top-level part of the package; equal ranks are independent siblings
LAYERS = {"errors": 0, "_paths": 0, "checks": 1,
          "physics": 2, "surface": 2, "case": 3, "fem": 4, "simulation": 5, "output": 6,
          "run": 7, "batch": 8, "cli": 9, "__main__": 10, "__init__": 0}
FEM_ONLY = ("dolfinx", "petsc4py", "ufl", "basix", "mpi4py", "dolfinx_solver")
#: the one module allowed over 500 lines: a file that is one numba kernel (see its docstring)
KERNEL_FILES: set[str] = set()
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def part(mod: str) -> str:
    """The top-level part of ``solver.<part>...`` that decides the layer."""
    bits = mod.split(".")
    return bits[1] if len(bits) > 1 else "__init__"


def imports(mod: str) -> list[tuple[str, int, bool]]:
    """``(imported module, line, at module top)`` for every import in ``mod``."""
    path = MODULES[mod]
    tree = ast.parse(path.read_text(), str(path))
    top = {id(n) for n in tree.body}
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = mod.split(".") if is_pkg else mod.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join(pkg + ([node.module] if node.module else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                out.append((full if full in MODULES else base, node.lineno, id(node) in top))
    return out


def internal_graph() -> dict[str, set[str]]:
    graph = {m: set() for m in MODULES}
    for m in MODULES:
        for target, _, _ in imports(m):
            if target in MODULES and target != m and not m.startswith(target + "."):
                graph[m].add(target)
    return graph


def layer_violations() -> list[str]:
    bad = []
    for m in MODULES:
        for target, line, _ in imports(m):
            if target not in MODULES or target == "solver":
                continue
            a, b = part(m), part(target)
            if a == b:
                continue
            if LAYERS[b] >= LAYERS[a]:
                bad.append(f"{MODULES[m].relative_to(ROOT)}:{line}: {m} (layer {a}) imports "
                           f"{target} (layer {b})")
    return bad


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_every_module_is_in_a_layer():
    assert {part(m) for m in MODULES} <= set(LAYERS), sorted({part(m) for m in MODULES} - set(LAYERS))


def test_imports_go_one_way_through_the_layers():
    assert layer_violations() == []


def test_no_import_cycles():
    assert cycles(internal_graph()) == []


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_fem_imports_dolfinx_petsc_and_mpi():
    bad = [f"{m}:{line} imports {t}" for m in MODULES for t, line, _ in imports(m)
           if t.split(".")[0] in FEM_ONLY and part(m) != "fem"]
    assert bad == []


def test_lamina_imports_stand_at_module_top():
    bad = [f"{MODULES[m].relative_to(ROOT)}:{line} imports {t} inside a function"
           for m in MODULES for t, line, top in imports(m)
           if t.split(".")[0] == "solver" and not top]
    assert bad == []


def test_module_and_function_sizes():
    big, long = [], []
    for m, path in MODULES.items():
        src = path.read_text()
        n = len(src.splitlines())
        rel = str(path.relative_to(ROOT))
        if n > MAX_MODULE_LINES and rel not in KERNEL_FILES:
            big.append(f"{rel}: {n} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                k = node.end_lineno - node.lineno + 1
                if k > MAX_FUNCTION_LINES:
                    long.append(f"{rel}:{node.lineno} {node.name}: {k} lines")
    assert big == [] and long == []


#: Blocks the FE stack at import: ``import dolfinx`` (and the others) raise ImportError.
BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {blocked!r}:
            raise ImportError(f'{{name}} is blocked: this test runs without DOLFINx')
sys.meta_path.insert(0, Block())
"""


def test_case_physics_surface_work_without_dolfinx():
    """Every module of the DOLFINx-free layers imports with DOLFINx, PETSc and MPI blocked, and
    their own test modules pass that way."""
    mods = [m for m in MODULES if part(m) in ("case", "physics", "surface", "errors", "checks")]
    tests = ["tests/test_laws.py", "tests/test_references.py", "tests/test_config.py",
             "tests/test_materials.py", "tests/test_statistics.py", "tests/test_platen.py",
             "tests/test_tensors.py", "tests/test_electrochemistry.py"]
    code = (BLOCKER.format(blocked=set(FEM_ONLY))
            + f"import importlib\nfor m in {mods!r}:\n    importlib.import_module(m)\n"
            + f"import pytest\nsys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', *{tests!r}]))\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert " passed" in r.stdout and "failed" not in r.stdout


def test_the_blocker_blocks():
    code = BLOCKER.format(blocked=set(FEM_ONLY)) + "import dolfinx\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "blocked" in r.stderr


if __name__ == "__main__":  # print the current violations
    print("\n".join(layer_violations()) or "layers: ok")
    print(cycles(internal_graph()) or "cycles: none")
    pytest.main(["-q", __file__])
