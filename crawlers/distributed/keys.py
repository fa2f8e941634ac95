"""Names of every Redis key, in one place: ``{prefix}:{source}:…`` per source, and
``{prefix}:domain:{host}:…`` for what all sources share about a site (its politeness)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREFIX = "daihuo"


@dataclass(frozen=True)
class SourceKeys:
    source: str
    prefix: str = DEFAULT_PREFIX

    def _k(self, name: str) -> str:
        return f"{self.prefix}:{self.source}:{name}"

    @property
    def queue(self) -> str:  # zset: request id -> -priority (ties FIFO by id)
        return self._k("queue")

    @property
    def payloads(self) -> str:  # hash: request id -> JSON request
        return self._k("payloads")

    @property
    def leases(self) -> str:  # zset: request id -> lease deadline (Redis clock, seconds)
        return self._k("leases")

    @property
    def owners(self) -> str:  # hash: request id -> worker holding its lease
        return self._k("owners")

    @property
    def attempts(self) -> str:  # hash: request id -> leases that expired so far
        return self._k("attempts")

    @property
    def dead(self) -> str:  # list: JSON {request, reason, attempts}
        return self._k("dead")

    @property
    def seq(self) -> str:  # counter for request ids
        return self._k("seq")

    @property
    def run(self) -> str:  # hash: run_id, seeded_at
        return self._k("run")

    @property
    def workers(self) -> str:  # zset: worker id -> last heartbeat
        return self._k("workers")

    def stats(self, worker: str) -> str:  # string: JSON stats of one worker for the run
        return self._k(f"stats:{worker}")

    def fingerprints(self, generation: int) -> str:  # set of 20-byte fingerprints
        return self._k(f"fp:{generation}")


def domain_key(prefix: str, host: str, name: str) -> str:
    return f"{prefix}:domain:{host}:{name}"
