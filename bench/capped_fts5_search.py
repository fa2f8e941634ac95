"""BENCHMARK BASELINE ONLY: storage/search.py as it was before issue 19 ("SQLite FTS5 as
today": newest-1,000 candidate cap, 5,000 scan cap, title-only scoring of common words), so
bench/search.py can print the same figures for it beside the exact engine. Never imported by
the application.

The baseline is the file itself at the commit before the exact engine replaced it, read from
the repository's history (a copy in the tree would drift or be mistaken for live code); the
one import that moved since (db_param/from_db, now in storage.timestamps) is pointed at its
new home.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
BEFORE_EXACT = "8b505dd^"  # "Exact search: rank, collapse, count and facet every match"
MOVED = ("from storage.store import db_param, from_db", "from storage.timestamps import db_param, from_db")


def load() -> ModuleType:
    """The pre-issue-19 engine as a module (``search``, ``SearchRequest``, ``CANDIDATE_CAP``…)."""
    try:
        source = subprocess.run(["git", "show", f"{BEFORE_EXACT}:storage/search.py"], cwd=ROOT,
                                check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"the capped baseline is read from git history ({BEFORE_EXACT}); run from a "
                         f"full clone or pass --no-capped ({exc})") from None
    if MOVED[0] not in source:
        raise SystemExit(f"the baseline at {BEFORE_EXACT} no longer has the expected import")
    module = ModuleType("capped_fts5_search")
    module.__file__ = f"{BEFORE_EXACT}:storage/search.py"
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source.replace(*MOVED), module.__file__, "exec"), module.__dict__)  # noqa: S102
    return module
