"""Failed-login limits with exponential back-off, keyed by the normalised name and the
client address (in memory, per process; bounded).

Three counters: a name from one address (5 free failures, then a pause doubling from 1 s to
15 min), an address over all names (30 free, same pauses), and a name from every address
(10 free, pauses up to 60 s). The last one is what a distributed guesser meets. Neither the
address nor the name-wide counter applies to a name from an address it has logged in from
before, so nobody can keep a person out of their account by failing logins under their name
elsewhere (or, behind a shared address, under other names). A pause answers 429 without
looking at the password, so guesses during it are worth nothing.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

MAX_KEYS = 50_000  # entries per counter; the oldest are forgotten first
FORGET_AFTER = 24 * 3600.0  # a key with no failure for this long starts afresh


class Backoff:
    def __init__(self, free: int, base: float, cap: float) -> None:
        self.free, self.base, self.cap = free, base, cap
        self.entries: OrderedDict[object, tuple[int, float]] = OrderedDict()

    def wait(self, key: object, now: float) -> float:
        """Seconds before ``key`` may try again (0: now)."""
        count, last = self.entries.get(key, (0, 0.0))
        if count < self.free or now - last > FORGET_AFTER:
            return 0.0
        pause = min(self.base * 2 ** (count - self.free), self.cap)
        return max(0.0, last + pause - now)

    def fail(self, key: object, now: float) -> None:
        count, last = self.entries.pop(key, (0, 0.0))
        if now - last > FORGET_AFTER:
            count = 0
        self.entries[key] = (count + 1, now)
        while len(self.entries) > MAX_KEYS:
            self.entries.popitem(last=False)

    def clear(self, key: object) -> None:
        self.entries.pop(key, None)


class LoginLimiter:
    def __init__(self) -> None:
        self.pair = Backoff(free=5, base=1.0, cap=900.0)
        self.addr = Backoff(free=30, base=1.0, cap=900.0)
        self.name = Backoff(free=10, base=1.0, cap=60.0)
        self.known: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.lock = threading.Lock()

    def retry_after(self, name: str, addr: str, now: float | None = None) -> float:
        """Seconds to wait before this name may be tried from this address (0: go ahead)."""
        now = time.monotonic() if now is None else now
        with self.lock:
            waits = [self.pair.wait((name, addr), now)]
            if (name, addr) not in self.known:  # a known pair meets only its own counter
                waits += [self.addr.wait(addr, now), self.name.wait(name, now)]
        return max(waits)

    def failed(self, name: str, addr: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self.lock:
            self.pair.fail((name, addr), now)
            self.addr.fail(addr, now)
            self.name.fail(name, now)

    def succeeded(self, name: str, addr: str) -> None:
        with self.lock:
            self.pair.clear((name, addr))
            self.name.clear(name)
            self.known[(name, addr)] = None
            self.known.move_to_end((name, addr))
            while len(self.known) > MAX_KEYS:
                self.known.popitem(last=False)
