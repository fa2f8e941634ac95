"""scrapy-redis' dupefilter with fingerprints that expire.

scrapy-redis keeps every fingerprint in one set forever: a page can never be fetched again and
the set only grows. Here fingerprints go into time-bucketed sets ("generations") that Redis
expires whole: a fingerprint is remembered for ``ttl`` to ``ttl + ttl/generations`` seconds,
memory is bounded by the URLs seen in that window, and expiry costs nothing per member.
Fingerprints are stored as 20 raw bytes, not 40 hex characters.
"""

from __future__ import annotations

import logging
import math
import time

from scrapy import Request, Spider
from scrapy_redis.dupefilter import RFPDupeFilter

from crawlers.distributed.connection import connect, redis_prefix
from crawlers.distributed.keys import SourceKeys

log = logging.getLogger(__name__)

# KEYS: generation sets, newest first  ARGV: fingerprint, expire seconds of the newest
_SEEN = """
for i = 1, #KEYS do
  if redis.call('SISMEMBER', KEYS[i], ARGV[1]) == 1 then return 1 end
end
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


class ExpiringDupeFilter(RFPDupeFilter):
    def __init__(self, server, keys: SourceKeys, ttl: float = 86400.0, generations: int = 4,  # noqa: ANN001
                 debug: bool = False, clock=time.time) -> None:  # noqa: ANN001
        super().__init__(server, key=keys.fingerprints(0), debug=debug)
        self.keys = keys
        self.ttl = float(ttl)
        self.generations = max(1, int(generations))
        self.span = self.ttl / self.generations  # seconds per generation set
        self.clock = clock
        self._seen = server.register_script(_SEEN)

    @classmethod
    def from_spider(cls, spider: Spider) -> ExpiringDupeFilter:
        s = spider.settings
        source = getattr(getattr(spider, "source", None), "name", spider.name)
        url = s.get("DAIHUO_REDIS_URL")
        return cls(connect(url), SourceKeys(source, s.get("DAIHUO_REDIS_PREFIX") or redis_prefix()),
                   ttl=s.getfloat("DAIHUO_FINGERPRINT_TTL", 86400.0),
                   generations=s.getint("DAIHUO_FINGERPRINT_GENERATIONS", 4),
                   debug=s.getbool("DUPEFILTER_DEBUG"))

    def generation_keys(self) -> tuple[list[str], int]:
        """The live generation sets, newest first, and the newest one's lifetime."""
        g = math.floor(self.clock() / self.span)
        keys = [self.keys.fingerprints(g - i) for i in range(self.generations + 1)]
        # The newest set must outlive the window it answers for: ttl plus its own span.
        return keys, math.ceil(self.ttl + self.span) + 1

    def fingerprint(self, request: Request) -> bytes:
        return bytes.fromhex(self.request_fingerprint(request))

    def request_seen(self, request: Request) -> bool:
        keys, expire = self.generation_keys()
        return bool(self._seen(keys=keys, args=[self.fingerprint(request), expire]))

    def close(self, reason: str = "") -> None:
        pass  # shared by every worker: one worker closing must not forget the others' pages

    def clear(self) -> None:
        """Forget every fingerprint of this source (a full re-crawl)."""
        pattern = self.keys.fingerprints(0)[:-1] + "*"
        for key in self.server.scan_iter(match=pattern, count=500):
            self.server.delete(key)
