"""A progress line for long exports, written to a terminal (or log) without flooding it."""

from __future__ import annotations

import time
from typing import IO

#: an export shorter than this prints no progress line
MIN_ROWS = 5000
EVERY_S = 1.0


class Progress:
    """Called with the running row count; prints ``exported n / total rows (p%, r rows/s)``
    at most once a second, on one line rewritten in place on a terminal."""

    def __init__(self, total: int, stream: IO[str], *, min_rows: int = MIN_ROWS,
                 every_s: float = EVERY_S) -> None:
        self.total, self.stream = total, stream
        self.enabled = total >= min_rows
        self.every_s = every_s
        self.start = self.last = time.monotonic()
        self.n = 0
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.printed = False

    def __call__(self, n: int) -> None:
        self.n = n
        if not self.enabled or n % 100:
            return
        now = time.monotonic()
        if now - self.last >= self.every_s:
            self.last = now
            self._line(now)

    def _line(self, now: float) -> None:
        rate = self.n / max(now - self.start, 1e-9)
        pct = 100.0 * self.n / self.total if self.total else 100.0
        line = f"exported {self.n:,} / {self.total:,} rows ({pct:.0f}%, {rate:,.0f} rows/s)"
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()
        self.printed = True

    def done(self) -> None:
        if self.enabled and self.printed:
            self._line(time.monotonic())
            if self.tty:
                self.stream.write("\n")
            self.stream.flush()
