"""The shape of the package (issue 17): one-way data flow, no import circle, short functions.

The stages of DESIGN.md's flow, in order: a module may import (at module level
or inside a function) only from its own stage or an earlier one. The first
layer is the shared base anything may import. Read from the source with
``ast``, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "energysim"

#: The flow's stages, earliest first (a top-level module or subpackage of energysim;
#: "energysim" is the package's own API: simulate, size).
LAYERS = [
    {"errors", "nomenclature", "paths", "interrupts", "timeaxis", "lp", "extensions"},
    {"config"},
    {"economics"},
    {"weather"},
    {"pv", "pv_thermal", "wind", "load"},
    {"timeaggregation", "procurement", "flexible", "degradation"},
    {"indicators"},
    {"profiles", "ensemble"},
    {"dispatch"},
    {"accounting"},
    {"results"},
    {"lifetime"},
    {"decisions", "sizing"},
    {"energysim", "pathways"},
    {"study"},
    {"sweep"},
    {"report"},
    {"cli", "__main__"},
]
RANK = {name: k for k, layer in enumerate(LAYERS) for name in layer}
#: Longest function body, docstring excluded [lines].
MAX_BODY_LINES = 80


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        yield name, path, ast.parse(path.read_text(encoding="utf-8"))


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "energysim"


def _targets(node) -> list[str]:
    """Modules an import statement depends on (``from pkg import submodule`` names the
    submodule, not the package's own names).
    """
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "energysim"]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
            and node.module.split(".")[0] == "energysim":
        base = PACKAGE.parent.joinpath(*node.module.split("."))
        out = []
        for a in node.names:
            sub = base / a.name
            is_module = sub.with_suffix(".py").is_file() or (sub / "__init__.py").is_file()
            out.append(f"{node.module}.{a.name}" if is_module else node.module)
        return out
    return []


def test_every_stage_is_placed():
    stages = {_stage(name) for name, _, _ in _modules()}
    assert stages <= set(RANK), f"stages missing from LAYERS: {sorted(stages - set(RANK))}"


def test_imports_follow_the_flow():
    against = []
    for name, path, tree in _modules():
        here = _stage(name)
        for node in ast.walk(tree):
            for target in _targets(node):
                there = _stage(target)
                if there != here and RANK[here] > 0 and RANK[there] > RANK[here]:
                    against.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} "
                                   f"{here} -> {there}")
    assert not against, "imports against the flow:\n" + "\n".join(against)


def test_no_import_circle_at_module_level():
    graph = {}
    for name, _, tree in _modules():
        graph[name] = {t for node in tree.body for t in _targets(node)} - {name}
    graph = {m: {t for t in deps if t in graph} for m, deps in graph.items()}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m, trail):
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycle.extend(trail[trail.index(t):] + [m, t] if t in trail else [m, t])
                return True
            if t not in state and visit(t, trail + [m]):
                return True
        state[m] = 2
        return False

    for m in sorted(graph):
        if m not in state and visit(m, []):
            break
    assert not cycle, "import circle: " + " -> ".join(dict.fromkeys(cycle))


def _body_lines(fn) -> int:
    body = fn.body
    first = body[0]
    doc = (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
           and isinstance(first.value.value, str))
    start = body[1].lineno if doc and len(body) > 1 else first.lineno
    return fn.end_lineno - start + 1


def test_no_function_body_over_80_lines():
    long = [f"{path.relative_to(PACKAGE.parent)}:{fn.lineno} {fn.name} ({_body_lines(fn)})"
            for _, path, tree in _modules() for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            and _body_lines(fn) > MAX_BODY_LINES]
    assert not long, "functions over 80 lines:\n" + "\n".join(long)


@pytest.mark.parametrize("bad, stage", [("from energysim.report import x", "dispatch")])
def test_the_flow_check_has_teeth(bad, stage):
    """An import of a later stage is seen (the check is not vacuous)."""
    node = ast.parse(bad).body[0]
    there = _stage(_targets(node)[0])
    assert RANK[there] > RANK[stage]
