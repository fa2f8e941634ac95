"""BENCHMARK BASELINE ONLY: storage/search.py as it was before issue 19 ("SQLite FTS5 as
today": newest-1,000 candidate cap, 5,000 scan cap, title-only scoring of common words), so
bench/search.py can print the same figures for it beside the exact engine. Never imported by
the application.

The baseline is the file itself at the commit before the exact engine replaced it, read from
the repository's history (a copy in the tree would drift or be mistaken for live code); the
one import that moved since (db_param/from_db, now in storage.timestamps) is pointed at its
new home. It ranked very common words by the titles' own full-text index, which the store no
longer keeps (migration 0026): ``title_index`` builds it for the baseline's queries and drops
it after.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from sqlalchemy import Engine

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


@contextmanager
def title_index(engine: Engine) -> Iterator[float]:
    """The titles' own FTS5 index the baseline reads (as migration 0013 made it), built from
    the articles for the duration of the block and dropped after, so the store's size and
    the app's engine never see it; yields the seconds the build took. No triggers: the
    store does not change while the baseline is queried."""
    t0 = time.perf_counter()
    with engine.begin() as conn:
        # (IF NOT EXISTS: an interrupted run may have left it; 'rebuild' refills it anyway)
        conn.exec_driver_sql("CREATE VIRTUAL TABLE IF NOT EXISTS articles_title_fts USING fts5(title_terms, content='articles',"
                             " content_rowid='id', tokenize='unicode61 remove_diacritics 0')")
        conn.exec_driver_sql("INSERT INTO articles_title_fts(articles_title_fts) VALUES ('rebuild')")
    try:
        yield time.perf_counter() - t0
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE articles_title_fts")
