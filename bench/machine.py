"""How fast this machine runs Python today, printed beside benchmark figures: the machines
these benchmarks run on differ in speed (and one machine from hour to hour), so absolute
rates from two runs compare only with this beside them. Ratios measured in one run (A/B
benches) need no such correction."""

from __future__ import annotations

import time

STEPS = 10_000_000


def loop_seconds(repeat: int = 3) -> float:
    """The best of ``repeat`` timings of a pure-Python loop of STEPS additions (one core)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        s = 0
        for i in range(STEPS):
            s += i
        best = min(best, time.perf_counter() - t0)
    return best


def machine_speed() -> str:
    return f"a {STEPS // 1_000_000}M-step Python loop takes {loop_seconds():.2f} s here"
