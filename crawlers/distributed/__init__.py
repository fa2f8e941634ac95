"""Distributed crawling on scrapy-redis: many workers, one shared queue per source.

scrapy-redis supplies the Redis scheduler, queue and dupefilter; this package closes the gaps
it ships with (see ``settings.distributed_settings`` for how a crawl is switched over):

* ``queue``: a request is *leased* when popped (moved to a lease set with a deadline) and
  acknowledged only once its response is processed and its items are stored; a reaper returns
  expired leases with an attempt counter, and a dead-letter list takes them after N attempts.
* ``politeness``: one token bucket per domain in Redis, shared by every worker, from the
  source's delay and robots.txt Crawl-delay; it backs off on 429/503 and honours Retry-After.
* ``dupefilter``: fingerprints expire (time-bucketed sets), so re-crawls can revisit pages.
* ``serializer``: requests travel as JSON with callbacks by name, never pickle.
* ``scheduler``: Redis outages pause the worker; writes wait in an ordered outbox.
"""
