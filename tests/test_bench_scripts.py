"""Every bench/ script imports against the current code (a refactor that moves a function the
benchmarks use must move them too). Peer baselines in the `bench` extra may be missing."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.stem for p in (ROOT / "bench").glob("*.py"))
BENCH_EXTRA = {"trafilatura", "readability", "whoosh", "schemathesis", "justext",
               "lxml_html_clean", "gne"}


@pytest.mark.parametrize("name", SCRIPTS)
def test_bench_script_imports(name, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    try:
        importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in BENCH_EXTRA:
            pytest.skip(f"bench extra not installed: {exc.name} (pip install -e '.[bench]')")
        raise
    finally:
        for mod in [m for m in sys.modules if m == "bench" or m.startswith("bench.")]:
            sys.modules.pop(mod, None)


def test_there_are_bench_scripts():
    assert {"search", "extraction", "bylines", "platforms"} <= set(SCRIPTS)
