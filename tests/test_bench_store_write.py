"""bench/store_write.py end to end on a small corpus: both stores written batch by batch, their
rows compared, and each writer's rate and CPU per 1,000 articles printed."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_store_write_compares_two_trees_and_reports_cpu(tmp_path: Path) -> None:
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout: the bench exports another revision with git archive")
    out = subprocess.run([sys.executable, "bench/store_write.py", "--sizes", "1500", "--before", "HEAD",
                          "--dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = re.findall(r"1,500 articles, (.+?): Store.write ([\d,]+) docs/s .*; CPU ([\d.]+) s per 1,000", out.stdout)
    assert [label.split(" (")[0] for label, _, _ in lines] == ["HEAD", "this checkout"], out.stdout
    assert all(float(cpu) > 0 and int(rate.replace(",", "")) > 0 for _, rate, cpu in lines)
    assert re.search(r"1,500 articles: [\d.]+x, CPU per article [\d.]+x; stored rows identical: yes", out.stdout), out.stdout


def test_store_write_grows_copies_of_a_kept_store(tmp_path: Path) -> None:
    """--keep a store of the first two batches, then --grow-from it: both trees write the third
    batch onto copies of it (the kept store itself is left as it was)."""
    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode != 0:
        pytest.skip("not a git checkout: the bench exports another revision with git archive")
    base = [sys.executable, "bench/store_write.py", "--sizes", "2500", "--dir", str(tmp_path)]
    kept = subprocess.run([*base, "--before", "", "--stop-after", "2", "--keep"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert kept.returncode == 0, kept.stderr
    assert "2,000 articles, this checkout" in kept.stdout and "kept: " in kept.stdout
    store = tmp_path / "store-2500-0.sqlite"
    grown = subprocess.run([*base, "--before", "HEAD", "--grow-from", str(store)], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert grown.returncode == 0, grown.stderr
    assert grown.stdout.count("500 articles onto a store of 2,000, ") == 2, grown.stdout
    assert "500 articles onto a store of 2,000: " in grown.stdout and "identical: yes" in grown.stdout
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 2000
    again = subprocess.run([*base, "--before", "", "--grow-from", str(tmp_path / "nothing.sqlite")], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode != 0 and "write one with --keep first" in again.stderr
