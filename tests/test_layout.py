"""The package's folders are its stages, and imports run one way: from the edges to the language.

Every import counts, wherever it stands in a file: at the top, inside a function, or under
`TYPE_CHECKING`. A module may import from its own folder or from a lower layer, never from a
higher one, and no two modules may reach each other through a chain of imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gradtutor"

# Lowest first. Folders on one layer (render, reports) may not import each other.
LAYERS: dict[str, int] = {
    "__init__": 0,
    "errors": 0,
    "language": 1,
    "calculus": 2,
    "curriculum": 3,
    "checking": 4,
    "tutor": 5,
    "render": 6,
    "reports": 6,
    "homework": 7,
    "terminal": 7,
    "arguments": 7,
    "cli": 8,
    "__main__": 9,
}
MAX_TOP_LEVEL_MODULES = 8


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imported(path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The gradtutor modules that `path` imports, anywhere in the file."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                )
                base = base.rstrip(".")
            # `from gradtutor.checking import check` imports the module `check` itself.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                     for alias in node.names]  # fmt: skip
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name.startswith("gradtutor"):
                yield name


def _component(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: set(_imported(path, modules)) - {name} for name, path in modules.items()}


def test_every_folder_and_top_level_module_has_a_layer() -> None:
    components = {_component(name) for name in _modules()}
    assert components <= set(LAYERS), components - set(LAYERS)


def test_at_most_eight_modules_at_the_top() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


@pytest.mark.parametrize("importer", sorted(_graph()))
def test_imports_run_down_the_layers(importer: str) -> None:
    own = _component(importer)
    for imported in sorted(_graph()[importer]):
        other = _component(imported)
        if other == own or other == "__init__":
            continue
        assert LAYERS[other] < LAYERS[own], (
            f"{importer} (layer {own}) imports {imported} (layer {other}): imports run from the "
            "edges down to the language (see docs/architecture.md)"
        )


def test_no_two_modules_reach_each_other() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                cycles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_the_layout_test_sees_imports_inside_functions() -> None:
    # `cli` imports the core inside each command, so that `--help` stays fast.
    assert "gradtutor.checking.grading" in _graph()["gradtutor.cli"]
