"""Imports go one way (docs/ARCHITECTURE.md): ``matchmaking`` may import ``clusters``, never
the reverse, and inside the matching package each module imports only the layers below it.
Read from the source with ``ast`` (every import, at module level or inside a function)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MATCHING = "matchmaking.matching"

# Bottom first: a module may import only modules of the layers before its own.
LAYERS = [
    ["terms"],
    ["engine"],
    ["keys", "index", "reasons"],
    ["features", "storage"],
    ["cluster_change"],
    ["suggest"],
]
# What the matching package may import from the rest of the project.
MATCHING_MAY_IMPORT = ("clusters", "matchmaking.models")
# Above the matching package: tasks, then what enqueues them.
ABOVE_TASKS = ("matchmaking.services", "matchmaking.receivers", "matchmaking.views")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports_of(path: Path) -> set[str]:
    """Every project module ``path`` imports (``from a import b`` counts as ``a.b`` when b
    is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            for alias in node.names:
                if is_module(f"{node.module}.{alias.name}"):
                    found.add(f"{node.module}.{alias.name}")
    return {name for name in found if name.split(".")[0] in ("clusters", "matchmaking")}


def sources(package: str) -> list[Path]:
    return sorted(ROOT.joinpath(*package.split(".")).rglob("*.py"))


@pytest.mark.parametrize("path", sources("clusters"), ids=module_name)
def test_clusters_never_imports_matchmaking(path):
    assert not {name for name in imports_of(path) if name.startswith("matchmaking")}


@pytest.mark.parametrize("path", sources(MATCHING), ids=module_name)
def test_matching_imports_only_the_layers_below(path):
    name = module_name(path).removeprefix(MATCHING).lstrip(".")
    if not name:
        return  # the package's docstring
    level = next(i for i, layer in enumerate(LAYERS) if name in layer)
    below = {f"{MATCHING}.{module}" for layer in LAYERS[:level] for module in layer}
    for imported in imports_of(path):
        if imported == MATCHING:
            continue  # ``from matchmaking.matching import x``: x is checked as a module
        if imported.startswith(MATCHING + "."):
            assert imported in below, f"{name} imports {imported}, not below it"
        else:
            assert imported.startswith(MATCHING_MAY_IMPORT), f"{name} imports {imported}"


def test_every_matching_module_has_a_layer():
    modules = {module_name(path).removeprefix(MATCHING + ".") for path in sources(MATCHING)}
    assert modules - {MATCHING} == {module for layer in LAYERS for module in layer}


@pytest.mark.parametrize(
    "path", [ROOT / "matchmaking" / "tasks.py", *sources(MATCHING)], ids=module_name
)
def test_tasks_and_matching_never_import_what_enqueues_them(path):
    assert not {name for name in imports_of(path) if name.startswith(ABOVE_TASKS)}
    if path.parent.name == "matching":
        assert "matchmaking.tasks" not in imports_of(path)
