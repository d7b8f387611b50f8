"""The layering of symspline, checked on its static import graph (docs/architecture.md).

The graph is built from the AST of every module of the package, without importing anything: an
edge ``a -> b`` for each ``import``/``from ... import`` in ``a`` that names a module ``b`` of the
package (``from pkg import name`` names ``pkg.name`` when that is a module, else ``pkg``). Each
edge records where it sits: at module level (``top``), under ``if TYPE_CHECKING:`` (``typing``,
never executed) or inside a function (``function``, executed on call). The rules:

- no cycle among module-level imports (strongly connected components of the ``top`` graph);
- no import inside a function that would close a cycle, counting TYPE_CHECKING imports as real
  (imports stay inside functions to defer heavy optional packages -- torch, jax, Matplotlib,
  SciPy -- or to keep the CLI's start fast, never to break a cycle);
- every import goes to the module's own layer or a lower one (LAYERS, the table of
  docs/architecture.md, which a test compares), except the few in UPWARD_ALLOWED;
- the value objects (numbers, errors, params, data, regions, records, calculus, the piecewise
  loss) reach neither the rendering package ``symspline.render``, nor the CLI, nor the
  derivations, at any depth of the ``top`` graph, and import neither inside a function;
- nothing outside ``symspline/cli`` (and ``python -m symspline``) imports the CLI, derivations do
  not import it either, and the library imports ``derivations`` only in the ``derive`` entry
  point (``symspline.cli.derive.derivations_package``).

The checker itself is tested on synthetic packages and graphs: it finds a cycle, a cycle-closing
import inside a function, a self-loop and upward imports. Run as a script (``python
tests/test_import_graph.py``) it prints the measured numbers.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The layers of docs/architecture.md, lowest first. A module belongs to the layer of its longest
#: listed prefix (``symspline.kernels.sweep`` through ``symspline.kernels``; ``symspline`` names
#: only the package's __init__); a module not listed counts as an engine. Every import (module
#: level or inside a function) goes to the same layer or a lower one, except UPWARD_ALLOWED.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("symspline.errors", "symspline.numbers", "symspline.reprs", "symspline.bounds",
                    "symspline.limits", "symspline.parsing")),
    ("parameters", ("symspline.params",)),
    ("values", ("symspline.data", "symspline.regions", "symspline.records", "symspline.io",
                "symspline.csvfloat", "symspline.interop", "symspline.defaults")),
    ("closed forms", ("symspline.piecewise", "symspline.calculus", "symspline.kernels",
                      "symspline.reparam")),
    ("evaluation", ("symspline.evaluation", "symspline.api")),
    ("engines", ()),
    ("rendering", ("symspline.render",)),
    ("shells", ("symspline", "symspline.__main__", "symspline.cli", "symspline.cache",
                "derivations")),
)
#: Upward imports that are allowed, each inside the function that needs it: the flow animation
#: draws in the report's figure style (Matplotlib is imported there too).
UPWARD_ALLOWED = frozenset({("symspline.flow.animate", "symspline.render.report")})
#: The value objects: these modules and everything they import at module level must not reach
#: rendering, the CLI or the derivations.
VALUE_OBJECTS = ("symspline.numbers", "symspline.errors", "symspline.params", "symspline.data",
                 "symspline.regions", "symspline.calculus", "symspline.piecewise",
                 "symspline.records")
RENDERING = "symspline.render"
CLI = "symspline.cli"
#: ``python -m symspline`` runs the CLI.
MAIN = "symspline.__main__"
#: The one library module that imports the derivations package: the ``derive`` entry point
#: (``list`` and ``latex`` get the package from it; the derivation cache only hashes its files).
DERIVATION_ENTRY_POINTS = frozenset({"symspline.cli.derive"})


@dataclass(frozen=True)
class Edge:
    """One import statement of ``source`` naming the module ``target``."""

    source: str
    target: str
    where: str  # "top", "typing" or "function"; "missing" when the module does not exist
    line: int


def module_files(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``root`` by dotted name (packages by their __init__)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterable[tuple[ast.Import | ast.ImportFrom, str]]:
    """Import statements with where they sit (``top``, ``typing`` or ``function``)."""

    def walk(node: ast.AST, where: str) -> Iterable[tuple[ast.Import | ast.ImportFrom, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, where
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from walk(child, "function")
            elif isinstance(child, ast.If) and _is_type_checking(child.test) and where == "top":
                for stmt in child.body:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), "typing")
                for stmt in child.orelse:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), "top")
            else:
                yield from walk(child, where)

    return walk(tree, "top")


def edges_of(name: str, source: str, is_package: bool, modules: Iterable[str]) -> list[Edge]:
    """The import edges of module ``name`` (source text ``source``) into ``modules``."""
    known = set(modules)
    roots = {m.split(".")[0] for m in known}
    found: list[Edge] = []

    def add(target: str, stmt: ast.stmt, where: str, module: str = "") -> None:
        module = module or target
        if module.split(".")[0] in roots and module not in known:  # e.g. a moved module
            found.append(Edge(name, module, "missing", stmt.lineno))
            return
        while target and target not in known:  # a.b.c where c is a name defined in a.b
            target = target.rpartition(".")[0]
        edge = Edge(name, target, where, stmt.lineno)
        if target and target != name and edge not in found:
            found.append(edge)

    for stmt, where in _imports(ast.parse(source)):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                add(alias.name, stmt, where)
            continue
        if stmt.level:
            base = name.split(".") if is_package else name.split(".")[:-1]
            base = base[:len(base) - (stmt.level - 1)]
            prefix = ".".join(base + ([stmt.module] if stmt.module else []))
        else:
            prefix = stmt.module or ""
        for alias in stmt.names:
            full = f"{prefix}.{alias.name}"
            add(full if full in known else prefix, stmt, where, prefix)
    return found


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = ("symspline", "derivations"),
                 ) -> list[Edge]:
    """All import edges among the modules of ``packages`` under ``root``."""
    files: dict[str, Path] = {}
    for package in packages:
        files.update(module_files(root, package))
    edges = []
    for name, path in files.items():
        edges += edges_of(name, path.read_text(), path.name == "__init__.py", files)
    return edges


def adjacency(edges: Iterable[Edge], where: Iterable[str] = ("top",)) -> dict[str, set[str]]:
    """Successor sets of the edges whose place is in ``where``."""
    keep = set(where)
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set())
        graph.setdefault(e.target, set())
        if e.where in keep:
            graph[e.source].add(e.target)
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with a cycle (more than one module, or a self-loop),
    by Tarjan's algorithm (iterative), each sorted, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    found.append(sorted(component))
    return sorted(found, key=lambda c: (-len(c), c))


def reachable(graph: Mapping[str, Iterable[str]], start: str) -> set[str]:
    """Every module reachable from ``start`` (``start`` included)."""
    seen = {start}
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def cycle_breakers(edges: Iterable[Edge]) -> list[Edge]:
    """Imports inside functions that would close a cycle if moved to module level: the target
    reaches the source through module-level imports (TYPE_CHECKING ones included: an import
    made lazy because the other side's type hints would otherwise close a cycle counts too)."""
    edges = list(edges)
    top = adjacency(edges, ("top", "typing"))
    return [e for e in edges if e.where == "function" and e.source in reachable(top, e.target)]


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer_of(module: str) -> int:
    """The index in :data:`LAYERS` of ``module`` (longest listed prefix; engines if none)."""
    best, found = -1, next(i for i, (name, _) in enumerate(LAYERS) if name == "engines")
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            # the package itself (its __init__: the public names) is a shell, not its modules
            matches = module == prefix if prefix == "symspline" else _within(module, prefix)
            if matches and len(prefix) > best:
                best, found = len(prefix), index
    return found


def upward_imports(edges: Iterable[Edge]) -> list[str]:
    """Violations of the layer rules, one line each (empty when the layering holds)."""
    edges = list(edges)
    top = adjacency(edges)
    problems = []
    for low in VALUE_OBJECTS:
        if low not in top:
            problems.append(f"{low}: value-object module missing")
            continue
        for mod in sorted(reachable(top, low)):
            if _within(mod, RENDERING) or _within(mod, CLI) or _within(mod, "derivations"):
                problems.append(f"{low} reaches {mod} through module-level imports")
        for e in edges:
            if e.source == low and e.where == "function" and (
                    _within(e.target, RENDERING) or _within(e.target, CLI)):
                problems.append(f"{low}:{e.line} imports {e.target} inside a function")
    for e in edges:
        if e.where == "typing":
            continue
        if layer_of(e.target) > layer_of(e.source) and (e.source, e.target) not in UPWARD_ALLOWED:
            problems.append(f"{e.source}:{e.line} ({LAYERS[layer_of(e.source)][0]}) imports "
                            f"{e.target} ({LAYERS[layer_of(e.target)][0]}) ({e.where})")
        if (e.source, e.target) in UPWARD_ALLOWED and e.where != "function":
            problems.append(f"{e.source}:{e.line} imports {e.target} at module level")
        if _within(e.source, "derivations") and _within(e.target, CLI):
            problems.append(f"{e.source}:{e.line} imports the CLI module {e.target}")
        if not _within(e.source, "symspline"):
            continue
        if _within(e.target, CLI) and not (_within(e.source, CLI) or e.source == MAIN):
            problems.append(f"{e.source}:{e.line} imports the CLI module {e.target}")
        if _within(e.target, "derivations") and e.source not in DERIVATION_ENTRY_POINTS:
            problems.append(f"{e.source}:{e.line} imports {e.target} (allowed only in "
                            f"{', '.join(sorted(DERIVATION_ENTRY_POINTS))})")
    return problems


def _describe(edges: list[Edge]) -> str:
    top = adjacency(edges)
    full = adjacency(edges, ("top", "function"))
    inside = [e for e in edges if e.where == "function"]
    breakers = cycle_breakers(edges)
    lines = [f"modules: {len(top)}, module-level imports: "
             f"{sum(e.where == 'top' for e in edges)}, TYPE_CHECKING imports: "
             f"{sum(e.where == 'typing' for e in edges)}, imports inside functions: {len(inside)}"]
    for label, graph in (("module-level", top), ("all incl. functions", full)):
        comps = cycles(graph)
        lines.append(f"cycles ({label}): {len(comps)} SCC(s), sizes {[len(c) for c in comps]}")
        lines += [f"  {c}" for c in comps]
    lines.append(f"imports inside functions that break a cycle: {len(breakers)}")
    lines += [f"  {e.source}:{e.line} -> {e.target}" for e in breakers]
    lines.append("imports inside functions:")
    lines += [f"  {e.source}:{e.line} -> {e.target}" for e in inside]
    lines.append(f"layer violations: {upward_imports(edges)}")
    lines.append("imports of missing modules: "
                 f"{[f'{e.source}:{e.line} {e.target}' for e in edges if e.where == 'missing']}")
    return "\n".join(lines)


# ------------------------------------------------------------------ tests
EDGES = import_graph()


def test_graph_is_built_from_every_module() -> None:
    names = set(module_files(ROOT, "symspline"))
    assert {"symspline", "symspline.params", "symspline.render", "symspline.cli.derive"} <= names
    sources = {e.source for e in EDGES}
    assert "symspline.params" in sources and "symspline.cli" in sources
    # a relative import resolves: params imports errors and numbers at module level
    assert {("symspline.params", "symspline.errors"), ("symspline.params", "symspline.numbers")
            } <= {(e.source, e.target) for e in EDGES if e.where == "top"}


def test_every_imported_module_exists() -> None:
    assert [f"{e.source}:{e.line} imports {e.target}" for e in EDGES if e.where == "missing"] == []


def test_no_cycle_among_module_level_imports() -> None:
    assert cycles(adjacency(EDGES)) == []


def test_no_import_inside_a_function_breaks_a_cycle() -> None:
    breakers = [f"{e.source}:{e.line} -> {e.target}" for e in cycle_breakers(EDGES)]
    assert breakers == []


def test_no_upward_import() -> None:
    assert upward_imports(EDGES) == []


def documented_layers(text: str) -> list[tuple[str, list[str]]]:
    """The layer table of docs/architecture.md: (layer name, dotted module names) per row."""
    rows = []
    for m in re.finditer(r"^\| (\d+)\. ([a-z ]+) \| ([^|]+) \|", text, flags=re.M):
        names = []
        for item in re.sub(r"\([^)]*\)", "", m.group(3)).replace("\\_", "_").split(","):
            item = item.strip().rstrip("/")
            if item == "../derivations":
                names.append("derivations")
            elif item == "__init__":
                names.append("symspline")
            elif item:
                names.append("symspline." + item.replace("/", "."))
        rows.append((m.group(2).strip(), names))
    return rows


def test_architecture_page_states_these_layers() -> None:
    rows = documented_layers((ROOT / "docs" / "architecture.md").read_text())
    assert [name for name, _ in rows] == [name for name, _ in LAYERS]
    for index, (name, modules) in enumerate(rows):
        assert set(LAYERS[index][1]) <= set(modules), name
        for module in modules:
            assert layer_of(module) == index, (module, name)
            assert module in module_files(ROOT, module.split(".")[0]) or \
                module == "symspline.evaluation", f"{module} does not exist"  # the lead's, on main


def test_value_objects_render_through_the_registry() -> None:
    import sympy as sp

    from symspline import Network, Spline, reprs
    from symspline.records import Claim
    from symspline.render import display

    net = Network([1, -2], [0, 1], [3, 1])
    spline = net.to_spline()
    assert repr(net) == display.params_repr(net) and net._repr_latex_() == display.network_latex(net)
    assert spline._repr_latex_() == display.spline_latex(spline)
    claim = Claim("c", "a statement", "general")
    assert claim._repr_latex_() == display.claim_latex(claim)

    class Unregistered(Spline):  # inherits the Spline renderers along the MRO
        pass

    assert reprs.render(Unregistered([sp.Integer(0)], [1], (1,)), "latex").startswith("$f(x) =")

    class Plain:
        pass

    assert reprs.render(Plain(), "latex") is None
    assert reprs.text(Plain()).startswith("<") and "Plain object" in reprs.text(Plain())


def test_the_loss_module_is_not_shadowed() -> None:
    import symspline

    assert callable(symspline.loss)
    assert "symspline.loss" not in module_files(ROOT, "symspline")


def test_checker_detects_a_cycle_in_a_synthetic_package(tmp_path: Path) -> None:
    pkg = tmp_path / "toy"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import f\n")
    (pkg / "a.py").write_text("from .sub.b import g\n\ndef f():\n    from . import c\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from typing import TYPE_CHECKING\nimport toy.c\n"
                                      "if TYPE_CHECKING:\n    from ..a import f\n")
    (pkg / "c.py").write_text("from toy.sub import b\n")
    (pkg / "d.py").write_text("import toy.gone\nfrom .sub.gone import x\nfrom .sub import b, y\n")
    edges = import_graph(tmp_path, ("toy",))
    assert {(e.source, e.target, e.where) for e in edges if e.source == "toy.d"} == {
        ("toy.d", "toy.gone", "missing"), ("toy.d", "toy.sub.gone", "missing"),
        ("toy.d", "toy.sub.b", "top"), ("toy.d", "toy.sub", "top")}
    (pkg / "d.py").unlink()
    edges = import_graph(tmp_path, ("toy",))
    assert {(e.source, e.target, e.where) for e in edges} == {
        ("toy", "toy.a", "top"), ("toy.a", "toy.sub.b", "top"), ("toy.a", "toy.c", "function"),
        ("toy.sub.b", "toy.c", "top"), ("toy.sub.b", "toy.a", "typing"),
        ("toy.c", "toy.sub.b", "top")}
    assert cycles(adjacency(edges)) == [["toy.c", "toy.sub.b"]]
    assert cycles(adjacency(edges, ("top", "typing"))) == [["toy.a", "toy.c", "toy.sub.b"]]
    # a's import of c inside a function would close c -> b -> a (b's TYPE_CHECKING import)
    assert [(e.source, e.target) for e in cycle_breakers(edges)] == [("toy.a", "toy.c")]
    # now c imports a at module level and b no longer imports c: no module-level cycle, but a's
    # import of c inside a function closes one (c -> a)
    (pkg / "c.py").write_text("import toy.a\n")
    (pkg / "sub" / "b.py").write_text("x = 1\n")
    edges = import_graph(tmp_path, ("toy",))
    assert cycles(adjacency(edges)) == []
    assert [(e.source, e.target) for e in cycle_breakers(edges)] == [("toy.a", "toy.c")]
    (pkg / "a.py").write_text("from .sub.b import x\n\ndef f():\n    import numpy\n")
    edges = import_graph(tmp_path, ("toy",))
    assert cycles(adjacency(edges, ("top", "typing", "function"))) == []
    assert cycle_breakers(edges) == []


def test_checker_detects_upward_imports() -> None:
    # the old design: params rendered itself by importing the display module inside __repr__
    bad = [Edge("symspline.params", "symspline.render.display", "function", 1),
           Edge("symspline.regions", "symspline.cli._common", "top", 2),
           Edge("symspline.critical", "derivations.hessian", "function", 3),
           Edge("symspline.flow.animate", "symspline.render.report", "top", 4)]
    problems = upward_imports([*EDGES, *bad])
    assert any(p.startswith("symspline.params:1 ") and "function" in p for p in problems)
    assert any(p.startswith("symspline.regions reaches symspline.cli._common") for p in problems)
    assert any(p.startswith("symspline.critical:3 imports derivations.hessian") for p in problems)
    assert "symspline.flow.animate:4 imports symspline.render.report at module level" in problems
    assert layer_of("symspline.kernels.sweep") < layer_of("symspline.flow.carry") \
        < layer_of("symspline.render.report") < layer_of("symspline.cli.derive")
    assert layer_of("symspline") == layer_of("derivations") > layer_of("symspline.render")


def test_checker_finds_cycles_and_self_loops() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"d"}, "e": {"a"}}
    assert cycles(graph) == [["a", "b", "c"], ["d"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


if __name__ == "__main__":
    print(_describe(EDGES))
