"""The layout's promises: our packages are the ones imported, and nlp/ and storage/ never
import Scrapy (so every stage is testable without a crawl)."""

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["crawlers", "pipelines", "nlp", "storage", "daihuo"])
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
