"""benchmarks/registry.toml lists every benchmark script, and every script follows the convention.

A script in benchmarks/ that is not registered would never run in `lamina bench` or in
tests/test_benchmarks.py, so it fails here. Files starting with ``_`` are helpers, not benchmarks.
The scripts are read with ``ast`` (not imported): the check is fast and runs without DOLFINx.
"""

import ast
from pathlib import Path

import pytest

from solver.batch.bench import registry
from solver.errors import InputError

BENCH_DIR = registry.benchmarks_dir()
ENTRIES = registry.load_registry()
REGISTERED = {e.script.name: e for e in ENTRIES}
SCRIPTS = sorted(p for p in BENCH_DIR.glob("*.py") if not p.name.startswith("_"))


def test_registry_is_not_empty():
    assert ENTRIES, f"{BENCH_DIR / 'registry.toml'} lists no benchmark"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_script_is_registered(script):
    assert script.name in REGISTERED, (
        f"benchmarks/{script.name} is not in benchmarks/registry.toml: add a [[benchmark]] entry "
        f"(name = \"{script.stem}\", script = \"{script.name}\", group, mpi, timeout_small_s), "
        "or rename it to start with '_' if it is a helper")


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_every_entry_has_its_script(entry):
    assert entry.script.is_file(), (
        f"registry entry '{entry.name}': benchmarks/{entry.script.name} does not exist")


def _module_level(tree: ast.Module) -> tuple[dict, dict, bool]:
    """Literal module-level assignments, top-level function definitions, whether the
    ``if __name__ == "__main__"`` block calls bench_main."""
    consts, funcs, main = {}, {}, False
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    try:
                        consts[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        consts[target.id] = ast.unparse(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            consts[node.target.id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.FunctionDef):
            funcs[node.name] = node
        elif isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            main = "bench_main" in ast.unparse(node)
    return consts, funcs, main


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_script_follows_the_convention(entry):
    if not entry.script.is_file():
        pytest.fail(f"benchmarks/{entry.script.name} does not exist")
    tree = ast.parse(entry.script.read_text(encoding="utf-8"), filename=str(entry.script))
    consts, funcs, main = _module_level(tree)
    where = f"benchmarks/{entry.script.name}"
    assert "NAME" in consts, f"{where}: no module-level NAME"
    assert consts["NAME"] == entry.script.stem == entry.name, (
        f"{where}: NAME = {consts['NAME']!r}, must equal the file stem {entry.script.stem!r}")
    assert isinstance(consts.get("CITATION"), str) and consts["CITATION"].strip(), (
        f"{where}: no module-level CITATION string")
    assert "run" in funcs, f"{where}: no module-level def run(size)"
    args = funcs["run"].args
    assert [a.arg for a in args.posonlyargs + args.args][:1] == ["size"], (
        f"{where}: run's first parameter must be 'size'")
    assert main, f"{where}: no `if __name__ == \"__main__\": ... bench_main(run, NAME, CITATION)`"


def test_registry_is_validated(tmp_path):
    """A bad registry is one InputError naming the entry and key."""
    bad = {
        'name = "x"\nscript = "x.py"\ngroup = "contact"\nmpi = true\n': "timeout_small_s",
        'name = "x"\nscript = "x.py"\ngroup = "fluid"\nmpi = true\ntimeout_small_s = 1\n': "group",
        'name = "x"\nscript = "y.py"\ngroup = "contact"\nmpi = true\ntimeout_small_s = 1\n': "name",
        'name = "x"\nscript = "x.py"\ngroup = "contact"\nmpi = 1\ntimeout_small_s = 1\n': "mpi",
        'name = "x"\nscript = "x.py"\ngroup = "contact"\nmpi = true\ntimeout_small_s = -1\n':
            "timeout_small_s",
        'name = "x"\nscript = "x.py"\ngroup = "contact"\nmpi = true\ntimeout_small_s = 1\n'
        'gpu = true\n': "gpu",
    }
    for i, (row, key) in enumerate(bad.items()):
        reg = tmp_path / f"r{i}.toml"
        reg.write_text("[[benchmark]]\n" + row)
        with pytest.raises(InputError, match=key):
            registry.load_registry(reg)
    dup = tmp_path / "dup.toml"
    row = 'name = "x"\nscript = "x.py"\ngroup = "contact"\nmpi = true\ntimeout_small_s = 1\n'
    dup.write_text(f"[[benchmark]]\n{row}[[benchmark]]\n{row}")
    with pytest.raises(InputError, match="twice"):
        registry.load_registry(dup)


def test_unknown_name_is_input_error():
    with pytest.raises(InputError, match="nosuch"):
        registry.select(ENTRIES, ["nosuch"])
    assert [e.name for e in registry.select(ENTRIES, [ENTRIES[-1].name] * 2)] == [
        ENTRIES[-1].name]


def test_scripts_resolve_next_to_the_registry():
    for e in ENTRIES:
        assert e.script.parent == BENCH_DIR
        assert e.script.parent.parent / "solver" == Path(registry.__file__).parents[2]


def test_bench_usage_shows_out_as_required(capsys):
    """`lamina bench` without --out: the usage line says --out (or --list) is required, and the
    error is one line with exit code 2 (it used to show [--out DIR] as optional)."""
    from solver.cli.main import main

    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    usage = " ".join(capsys.readouterr().out.split("\n\n")[0].split())
    assert "(--out DIR | --list)" in usage and "[--out DIR]" not in usage, usage
    assert main(["bench", "hertz", "--size", "small"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--out" in err and "required" in err, err
