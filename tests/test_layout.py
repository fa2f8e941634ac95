"""The layout's promises: our packages are the ones imported, and nlp/ and storage/ never
import Scrapy (so every stage is testable without a crawl)."""

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["crawlers", "pipelines", "editorial", "nlp", "storage", "daihuo"])
def test_packages_come_from_this_repo(name):
    # nlp, storage and pipelines are also unrelated PyPI distributions: catch shadowing.
    module = importlib.import_module(name)
    assert Path(module.__file__).resolve().parent == REPO / name


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["nlp", "storage"])
def test_pure_layers_never_import_scrapy(package):
    files = list((REPO / package).rglob("*.py"))
    assert files
    offenders = {str(f.relative_to(REPO)) for f in files
                 if _imports(f) & {"scrapy", "twisted", "crawlers", "pipelines", "daihuo"}}
    assert not offenders, f"{package}/ must not import Scrapy or upper layers: {offenders}"


def test_storage_does_not_import_nlp():
    offenders = [f for f in (REPO / "storage").rglob("*.py") if "nlp" in _imports(f)]
    assert not offenders


def test_one_opencc_distribution():
    # upstream `opencc` and `opencc-python-reimplemented` both install the module `opencc`
    from importlib.metadata import PackageNotFoundError, distribution

    present = []
    for dist in ("opencc", "opencc-python-reimplemented"):
        try:
            distribution(dist)
            present.append(dist)
        except PackageNotFoundError:
            pass
    assert present == ["opencc"]


def test_scrapy_settings_are_polite_and_closed():
    from crawlers import settings

    assert settings.ROBOTSTXT_OBEY is True
    assert settings.AUTOTHROTTLE_ENABLED is True
    assert settings.CONCURRENT_REQUESTS_PER_DOMAIN == 1 and settings.DOWNLOAD_DELAY >= 1
    assert settings.TELNETCONSOLE_ENABLED is False and settings.REMOTE_CONTROL_ENABLED is False
    assert settings.EXTENSIONS["scrapy.extensions.telnet.TelnetConsole"] is None
    assert settings.EXTENSIONS["scrapy.extensions.remote_control.RemoteControl"] is None
    assert "daihuo" in settings.USER_AGENT and "+http" in settings.USER_AGENT


# -- dependencies point one way, with no cycles ----------------------------------------------
# Every import counts, those inside functions too (they hid a cycle once).
LAYERS = {  # package -> the packages it may import (daihuo's role packages are listed apart)
    "nlp": set(),
    "storage": set(),
    "editorial": {"storage", "nlp"},
    "pipelines": {"nlp", "storage", "editorial"},
    "crawlers": {"nlp", "storage", "editorial", "pipelines"},
}


def _all_imports(path: Path) -> set[str]:
    """Dotted names of every absolute import in ``path``, at module level or not."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph(unit) -> dict[str, set[str]]:  # noqa: ANN001
    """unit(module name) -> the node a module belongs to; edges between distinct nodes."""
    modules = {}
    for package in ("nlp", "storage", "editorial", "pipelines", "crawlers", "daihuo"):
        for path in (REPO / package).rglob("*.py"):
            if "migrations" not in path.parts:
                modules[_module_name(path)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        src = unit(name)
        graph.setdefault(src, set())
        for imported in _all_imports(path):
            target = imported
            while target and target not in modules:  # from pkg import name: the module is pkg
                target = target.rpartition(".")[0]
            # a package's __init__ re-exporting its own modules is not a cycle
            if target and unit(target) != src and not name.startswith(target + "."):
                graph[src].add(unit(target))
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _package_of(module: str) -> str:
    parts = module.split(".")
    # daihuo's role packages (cli, runs, web, demo, analysis) are nodes of their own
    return ".".join(parts[:2]) if parts[0] == "daihuo" and len(parts) > 1 else parts[0]


def test_no_import_cycles_between_packages():
    cycle = _cycle(_graph(_package_of))
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle)


def test_no_import_cycles_between_modules():
    cycle = _cycle(_graph(lambda m: m))
    assert cycle is None, "import cycle between modules: " + " -> ".join(cycle)


def test_lower_layers_never_import_upward():
    graph = _graph(lambda m: m.split(".")[0])
    for package, allowed in LAYERS.items():
        extra = graph.get(package, set()) - allowed
        assert not extra, f"{package}/ imports {sorted(extra)}; it may import only {sorted(allowed)}"


def test_the_cycle_finder_finds_cycles():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_module_names_are_unique_across_packages():
    seen: dict[str, str] = {}
    dupes = []
    for package in ("nlp", "storage", "editorial", "pipelines", "crawlers", "daihuo"):
        for path in (REPO / package).rglob("*.py"):
            if path.name == "__init__.py" or path.name == "__main__.py" or "migrations" in path.parts:
                continue
            rel = str(path.relative_to(REPO))
            if path.stem in seen:
                dupes.append((seen[path.stem], rel))
            seen.setdefault(path.stem, rel)
    assert not dupes, f"module names used twice: {dupes}"
