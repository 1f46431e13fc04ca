"""The two apps depend one way: knowledge on postmortems, never the reverse, and no module imports
itself round a circle. Read from the source (imports inside functions count too), so a new tie
fails here before it is merged.

The one documented exception: saving a post-mortem updates its search entry, so postmortems.services
calls knowledge.search (the house rule is no signals).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "knowledge", "postmortems")

ALLOWED_REVERSE = {("postmortems.services", "knowledge.search")}

# Ties that other work in progress removes; each must still exist (so the entry goes when it does).
PENDING_REVERSE: set = set()
PENDING_CIRCLES: list[set] = []


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _imports(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """Return the project modules `path` imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in modules else base)
    return {t for t in targets if t in modules and t != name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def _reverse_ties(graph) -> set[tuple[str, str]]:
    return {
        (source, target)
        for source, targets in graph.items()
        if source.startswith("postmortems")
        for target in targets
        if target.startswith("knowledge")
    }


def _circles(graph) -> list[set[str]]:
    """Return the strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_reader_finds_the_project_modules_and_their_imports():
    graph = _graph()
    assert "postmortems.services" in graph and "knowledge.search" in graph
    assert "knowledge.search" in graph["postmortems.services"]
    assert "postmortems.models" in graph["knowledge.models"]


def test_postmortems_does_not_import_knowledge_but_through_the_documented_exception():
    ties = _reverse_ties(_graph())
    unexpected = ties - ALLOWED_REVERSE - PENDING_REVERSE
    assert unexpected == set(), (
        "postmortems must not depend on knowledge (knowledge depends on postmortems): move the code to knowledge"
    )
    assert ALLOWED_REVERSE <= ties, "the documented exception is gone: remove it from ALLOWED_REVERSE and the README"
    assert PENDING_REVERSE <= ties, "a pending tie is gone: remove it from PENDING_REVERSE"


def test_no_module_imports_itself_round_a_circle():
    circles = _circles(_graph())
    unexpected = [c for c in circles if not any(c == pending for pending in PENDING_CIRCLES)]
    assert unexpected == [], f"import circles: {unexpected}"
    for pending in PENDING_CIRCLES:
        assert pending in circles, f"the circle {pending} is gone: remove it from PENDING_CIRCLES"


def test_a_circle_and_a_reverse_tie_are_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "postmortems.x": {"knowledge.y"}}
    assert _circles(graph) == [{"a", "b", "c"}]
    assert _reverse_ties(graph) == {("postmortems.x", "knowledge.y")}
