"""The shape of the code (README, Architecture): the layers contract holds, no
module of the apps takes part in an import cycle, every module says its job in
its first line, and no function is longer than a page."""

import ast
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
APPS = ["config", "schools", "licensing", "invoicing", "portal"]
RULE_APPS = ["schools", "licensing", "invoicing", "portal"]
MAX_FUNCTION_LINES = 80
# Declarative tables (data, not logic) may be longer.
LONG_TABLES: set[str] = set()


def _modules(packages: list[str]) -> list[Path]:
    return sorted(
        path
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and path.name != "gunicorn.conf.py"
    )


def test_layers_contract_is_kept():
    # portal > invoicing > licensing > schools > config (pyproject.toml).
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_between_modules():
    # Imports inside functions count too: a cycle hidden in a function is still one.
    graph = grimp.build_graph(*APPS, cache_dir=None, exclude_type_checking_imports=True)
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="a")
    graph.add_import(importer="b", imported="c")
    assert _cycles(graph) == [["a", "b"]]


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            name = f"{path.relative_to(ROOT)}::{node.name}"
            if length > MAX_FUNCTION_LINES and name not in LONG_TABLES:
                found.append(f"{name} ({length} lines)")
    return found


@pytest.mark.parametrize("path", _modules(RULE_APPS), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_longer_than_a_page(path):
    assert _long_functions(path) == []


def test_length_check_sees_a_long_function(tmp_path):
    source = tmp_path / "long.py"
    body = "".join(f"    x = {i}\n" for i in range(MAX_FUNCTION_LINES))
    source.write_text(f"def long():\n{body}\n\ndef short():\n    return 1\n")
    tree = ast.parse(source.read_text())
    lengths = {
        n.name: n.end_lineno - n.lineno + 1
        for n in ast.walk(tree)
        if hasattr(n, "body") and isinstance(n, ast.FunctionDef)
    }
    assert lengths == {"long": MAX_FUNCTION_LINES + 1, "short": 2}


@pytest.mark.parametrize("path", _modules(APPS), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_says_its_job_first(path):
    if path.name == "__init__.py" and not path.read_text().strip():
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstring = ast.get_docstring(tree)
    assert docstring, f"{path.relative_to(ROOT)}: first line must be a docstring with its job"
