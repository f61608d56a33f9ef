"""course_lib's layers: computation in experiments/ without UI imports, pictures in widgets/, notebooks
taking numbers from experiments and only pictures and demos from widgets, and no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import course_lib.widgets as demos

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "course_lib"
UI_PACKAGES = ("ipywidgets", "matplotlib", "seaborn", "IPython", "course_lib.widgets", "course_lib.plotting")
VIEW_PREFIXES = ("draw_", "plot_", "show_", "watch_")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) for every import statement in the file, relative imports made absolute."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, [alias.name for alias in node.names]))
    return found


def course_modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py")}


@pytest.mark.parametrize("path", sorted((PACKAGE / "experiments").glob("*.py")), ids=lambda p: p.name)
def test_experiments_import_no_ui(path):
    bad = [module for module, _ in imports_of(path) if module.startswith(UI_PACKAGES)]
    assert bad == [], f"{path.name} imports {bad}: computation must not depend on pictures or controls"


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py")), ids=lambda p: p.name)
def test_notebooks_take_only_demos_and_pictures_from_widgets(path):
    for module, names in imports_of(path):
        if not module.startswith("course_lib.widgets"):
            continue
        for name in names:
            assert name in demos.__all__ or name.startswith(VIEW_PREFIXES), (
                f"{path.name} imports {name} from {module}: numbers come from course_lib.experiments")


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first = last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node], _ = 1, stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if state.get(target) is None and (cycle := visit(target)):
                return cycle
        state[node], _ = 2, stack.pop()
        return None

    for node in sorted(graph):
        if state.get(node) is None and (cycle := visit(node)):
            return cycle
    return None


def import_graph() -> dict[str, set[str]]:
    modules = course_modules()
    graph = {}
    for name, path in modules.items():
        targets = set()
        for module, names in imports_of(path):
            for candidate in [module] + [f"{module}.{item}" for item in names]:
                if candidate in modules and candidate != name:
                    targets.add(candidate)
        graph[name] = targets - {"course_lib"}
    return graph


def test_the_import_graph_has_no_cycle():
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = {**import_graph(), "course_lib.training": import_graph()["course_lib.training"] | {"course_lib.widgets.common"}}
    graph["course_lib.widgets.common"] = graph["course_lib.widgets.common"] | {"course_lib.training"}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1]
