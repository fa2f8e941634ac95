"""bench/store_write.py end to end on a small corpus: both stores written batch by batch, their
rows compared, and each writer's rate and CPU per 1,000 articles printed."""

from __future__ import annotations

import re
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
