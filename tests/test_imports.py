"""sham_core's layout: one package per stage, shared packages below them, no import cycle.

Every import counts, those inside functions too: a cycle there still ties the parts together.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sham_core"
# The shared packages, below every stage: none of them imports a stage package.
SHARED = {"common", "kernels", "formats", "models", "artifact", "data"}
# A workflow stage each (its job functions in <stage>/job.py), plus the benchmarks and the workflow's config.
STAGES = {"data", "training", "compression", "encoding", "aggregate", "workflow", "bench"}
ENTRY_POINTS = {"__init__", "__main__", "gpu_check"}


def part(module):
    """The part of sham_core a dotted module name belongs to: sham_core.encoding.run -> encoding."""
    names = module.split(".")
    return names[1] if len(names) > 1 else "__init__"


def imported_modules(path, root=PACKAGE.parent):
    """The sham_core modules the file at ``path`` (under ``root``) imports, as dotted names."""
    relative = path.relative_to(root).with_suffix("")
    package = list(relative.parts[:-1])  # the package a relative import starts from
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                found.append(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [name for name in found if name == "sham_core" or name.startswith("sham_core.")]


def part_graph():
    """{part: {the parts it imports}}, each part's own imports left out."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        here = part(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
        graph.setdefault(here, set()).update(part(name) for name in imported_modules(path) if part(name) != here)
    return graph


def cycles(graph):
    """The strongly connected groups of more than one part (Tarjan's algorithm), each sorted."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                groups.append(sorted(group))

    for node in list(graph):
        if node not in index:
            visit(node)
    return groups


def test_no_cycle_between_parts():
    graph = part_graph()
    assert SHARED | STAGES <= set(graph)
    assert cycles(graph) == [], "import cycles between sham_core's parts"


def test_no_shared_package_imports_a_stage():
    graph = part_graph()
    upward = {part: sorted(graph[part] & (STAGES - SHARED)) for part in SHARED if graph[part] & (STAGES - SHARED)}
    assert upward == {}, "a shared package imports a stage package"


def test_only_entry_points_at_top_level_and_no_module_over_400_lines():
    assert {path.stem for path in PACKAGE.glob("*.py")} <= ENTRY_POINTS
    long = {str(path.relative_to(ROOT)): n for path in PACKAGE.rglob("*.py")
            if (n := len(path.read_text().splitlines())) > 400}
    assert long == {}


def test_every_rules_script_calls_one_stage_packages_job():
    for script in (ROOT / "workflow_scripts").glob("*.py"):
        stages = {name.split(".")[1] for name in imported_modules(script, ROOT / "workflow_scripts")
                  if name.endswith(".job")}
        assert len(stages) == 1 and stages <= STAGES, f"{script.name} calls {stages}"


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
])
def test_the_cycle_finder(graph, expected):
    assert cycles(graph) == expected
