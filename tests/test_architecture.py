"""The import rule of docs/architecture.md, held: layers import only downward, no cycles, the library
never prints, exits or reads the environment, modules stay small, docs referred to exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "microcred"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")

#: Lowest first. A module may import its own layer or a lower one (docs/architecture.md, "The import
#: rule"); the longest matching prefix decides a module's layer.
LAYERS: list[tuple[str, ...]] = [
    (
        "microcred.errors",
        "microcred.limits",
        "microcred._time",
        "microcred._files",
        "microcred._fields",
        "microcred._resources",
        "microcred._json",
        "microcred.config",
    ),
    (
        "microcred.fetch",
        "microcred.jsonld",
        "microcred.model",
        "microcred.baking",
        "microcred.status.bitstring",
    ),
    ("microcred.keys",),
    ("microcred.suites",),
    ("microcred.credential", "microcred.ledger", "microcred.status"),
    ("microcred.issuing", "microcred.verifying", "microcred.publishing"),
    ("microcred.cohort",),
    ("microcred",),  # the public API: microcred/__init__.py
    ("microcred.cli", "microcred.__main__", "microcred.server"),
]
#: Modules that know nothing of keys and signatures.
NO_CRYPTO = ("microcred.baking", "microcred.verifying.report", "microcred.credential")
CRYPTO = ("microcred.keys", "microcred.suites")
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    best, found = -1, -1
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), number
    assert found >= 0, f"{module} is in no layer of LAYERS (add it, and to docs/architecture.md)"
    return found


def _imports(module: str, *, runtime_only: bool = False) -> set[str]:
    """The microcred modules ``module`` imports (as written: a name that is a module counts as one)."""
    path = MODULES[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skip.update(id(n) for n in ast.walk(node))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                skip.update(id(n) for n in ast.walk(node) if n is not node)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join(base + (node.module.split(".") if node.module else []))
            for alias in node.names:
                as_module = f"{target}.{alias.name}"
                found.add(as_module if as_module in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name in MODULES and name != module}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    upward = sorted(t for t in _imports(module) if _layer(t) > _layer(module))
    assert not upward, f"{module} (layer {_layer(module)}) imports higher layers: {upward}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(NO_CRYPTO)))
def test_baking_reading_and_reports_know_no_crypto(module):
    assert not [t for t in _imports(module) if t.startswith(CRYPTO)]


def test_no_import_cycles_between_modules():
    edges = {m: _imports(m, runtime_only=True) - {"microcred"} for m in MODULES if m != "microcred"}
    done: set[str] = set()

    def visit(module: str, trail: tuple[str, ...]) -> None:
        assert module not in trail, "import cycle: " + " -> ".join((*trail[trail.index(module) :], module))
        if module in done:
            return
        for target in sorted(edges.get(module, ())):
            visit(target, (*trail, module))
        done.add(module)

    for module in sorted(edges):
        visit(module, ())


LIBRARY = sorted(m for m in MODULES if not m.startswith(("microcred.cli", "microcred.__main__")))


@pytest.mark.parametrize("module", LIBRARY)
def test_the_library_never_prints_exits_or_reads_the_environment(module):
    source = MODULES[module].read_text(encoding="utf-8")
    tree = ast.parse(source)
    calls = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    attributes = {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not calls & {"print", "sys.exit", "exit", "os.getenv", "input"}
    assert not attributes & {"os.environ", "sys.stdout", "sys.stderr", "sys.argv"}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_over_600_lines_without_a_written_reason(module):
    path = MODULES[module]
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if lines > MAX_LINES:
        where = str(path.relative_to(SRC))
        assert f"`{where}`" in ARCHITECTURE.split("## Modules over 600 lines", 1)[-1], (
            f"{where} has {lines} lines: split it, or say why not in docs/architecture.md"
        )


def test_every_layer_is_drawn_in_the_architecture_doc():
    for prefixes in LAYERS:
        for prefix in prefixes:
            name = (
                prefix.removeprefix("microcred.").replace(".", "/") if prefix != "microcred" else "__init__"
            )
            assert name in ARCHITECTURE, f"{prefix} is not in docs/architecture.md"


def test_files_the_code_refers_to_exist():
    """No docstring or help text sends a reader to a file the repository does not have."""
    for path in MODULES.values():
        text = path.read_text(encoding="utf-8")
        assert "DESIGN.md" not in text, f"{path} refers to DESIGN.md, which is not in the repository"
        for ref in re.findall(r"\b((?:docs|schemas|examples|benchmarks)/[\w./-]+\.\w+)", text):
            assert (ROOT / ref).exists(), f"{path} refers to {ref}, which does not exist"
