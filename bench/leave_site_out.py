"""Leave-site-out evaluation shared by the quality benches (bylines, entities, platforms).

Every labelled item records its site. The sites (not the items) are split into two halves by a
stable hash, so the split never depends on the order of the file and never puts one site's
pages on both sides. A component's tunable setting is chosen on one half (the value with the
best F1 there) and scored on the other, then the other way round; the two held-out scores are
pooled. That pooled figure is the one that predicts a site we have never seen.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

SHARED_README = "../shared is not part of a clone: this bench needs the evaluation data there"


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.p, self.r
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        return f"P {self.p:.3f}  R {self.r:.3f}  F1 {self.f1:.3f}  (tp {self.tp}, fp {self.fp}, fn {self.fn})"


def half_of(site: str) -> int:
    """0 or 1: which half a site falls in (stable across runs and machines)."""
    return hashlib.sha1(site.encode("utf-8")).digest()[0] & 1


def split_sites(items: Sequence, site: Callable[[object], str]) -> tuple[list, list]:
    a = [it for it in items if half_of(site(it)) == 0]
    b = [it for it in items if half_of(site(it)) == 1]
    return a, b


def leave_site_out(
    items: Sequence,
    site: Callable[[object], str],
    score: Callable[[Iterable, object], PRF],
    settings: Sequence[object],
) -> tuple[PRF, list[str]]:
    """Pick the best setting on one half of the sites, score it on the other, both ways.

    ``score(items, setting)`` returns the counts of ``items`` under ``setting``. Returns the
    pooled held-out counts and a line per direction saying what was picked.
    """
    halves = split_sites(items, site)
    pooled = PRF()
    notes = []
    for k in (0, 1):
        tune, test = halves[k], halves[1 - k]
        best = max(settings, key=lambda s: (score(tune, s).f1, -settings.index(s)))
        held = score(test, best)
        pooled = pooled + held
        n_sites = len({site(it) for it in test})
        notes.append(f"  tune on half {k} ({len(tune)} items) -> setting {best!r}; "
                     f"held-out half {1 - k} ({len(test)} items, {n_sites} sites): {held.line()}")
    return pooled, notes


def quality_args(shared: Path, errors_help: str = "list every item with a mistake") -> argparse.Namespace:
    """The quality benches' command line (``--errors``); exits saying why when the evaluation
    data under ``shared`` is missing (a clone has no ../shared)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--errors", action="store_true", help=errors_help)
    args = ap.parse_args()
    if not (shared / "bench" / "extraction").exists():
        sys.exit(f"no evaluation data at {shared} (../shared is not part of a clone): nothing to score")
    return args
