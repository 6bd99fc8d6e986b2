"""The package's shape: imports only point down (no module of medlib imports, at any depth or
inside a function, a module that imports it back)."""
import ast
from pathlib import Path

import medlib

ROOT = Path(medlib.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = p.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = p
    return out


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rsplit(".", 1)[0]
            target = (base + ("." + node.module if node.module else "")) if node.level else (node.module or "")
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in modules else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in modules and m != name}


def test_no_import_cycle_inside_medlib():
    modules = _modules()
    graph = {m: _imports(m, p, modules) for m, p in modules.items()}
    cycles = []

    def visit(node, stack, done):
        for dep in graph[node]:
            if dep in stack:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in done:
                done.add(dep)
                visit(dep, stack + [dep], done)

    for m in graph:
        visit(m, [m], set())
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles[:5])


MUTATORS = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"}


def _module_constants(path: Path) -> set[str]:
    """Upper-case names a module assigns at its top level (its registries and constants)."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name) and t.id.isupper()}
    return names


def _written(node) -> str | None:
    """The registry name a statement writes into (``X[k] = v``, ``del X[k]``, ``X.update(...)``)."""
    target = None
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
        target = node.value
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
          and node.func.attr in MUTATORS):
        target = node.func.value
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return None


def test_no_module_writes_into_another_modules_registry():
    modules = _modules()
    owned = {name: _module_constants(path) for name, path in modules.items()}
    foreign = set().union(*owned.values())
    writes = []
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            written = _written(node)
            if written in foreign and written not in owned[name]:
                writes.append(f"{name}:{node.lineno} writes {written}")
    assert not writes, "; ".join(writes)


def test_registries_are_read_only():
    from types import MappingProxyType

    from medlib import tables
    from medlib.data import DATASETS
    from medlib.experiments.tasks import TASKS
    from medlib.profiles import PROFILES

    for registry in (DATASETS, PROFILES, TASKS, tables.TABLES):
        assert isinstance(registry, MappingProxyType)


# The package's layers, lowest first: a module imports only from its own unit or a lower layer, so
# rules (stats, diagnose) never reach up into the code that reports them (report, manifest).
LAYERS = (
    {"config", "progress", "metrics", "stats", "claims", "departures", "strategies"},
    {"meta", "diagnose", "tables", "data", "models", "explain", "paper"},
    {"features", "profiles"},
    {"readings", "claim_rows"},
    {"experiments"},
    {"evidence", "viz"},
    {"robustness"},
    {"arms", "cross_claims", "kim_claims", "second_readings"},
    {"report"},
    {"manifest"},
    {"reproduce"},
    {"__main__", "medlib"},
)


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_imports_point_down_the_layers():
    modules = _modules()
    layer = {u: i for i, units in enumerate(LAYERS) for u in units}
    units = {_unit(m) for m in modules}
    assert units <= set(layer), f"units with no layer: {sorted(units - set(layer))}"
    upward = []
    for name, path in modules.items():
        for dep in _imports(name, path, modules):
            a, b = _unit(name), _unit(dep)
            if a != b and layer[b] >= layer[a]:
                upward.append(f"{name} -> {dep}")
    assert not upward, "imports that point up (or sideways) a layer: " + "; ".join(upward)
