"""No import cycle between sham_core's parts (its subpackages and top-level modules).

Every import counts, those inside functions too: a cycle there still ties the parts together.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sham_core"


def part(module):
    """The part of sham_core a dotted module name belongs to: sham_core.encoding.run -> encoding."""
    names = module.split(".")
    return names[1] if len(names) > 1 else "__init__"


def imported_modules(path):
    """The sham_core modules the file at ``path`` imports, as dotted names."""
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
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
    assert {"encoding", "bench", "jobs", "measure"} <= set(graph)
    assert cycles(graph) == [], "import cycles between sham_core's parts"


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
])
def test_the_cycle_finder(graph, expected):
    assert cycles(graph) == expected
