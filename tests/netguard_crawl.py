"""Run one crawl in this (child) process for the network-guard tests and print its stats as
JSON. ``python tests/netguard_crawl.py DB_URL SOURCE_JSON`` stores the source exactly as
given (no validation: a legacy row or a hand-edited registry) and crawls it; ``--stored
NAME`` crawls the stored source NAME as the scheduler would."""

from __future__ import annotations

import json
import sys


def main() -> None:
    from daihuo.runs.crawling import run_crawl
    from daihuo.system import System
    from editorial.source_config import SourceConfig
    from editorial.sources import source_config

    db_url, arg = sys.argv[1], sys.argv[2]
    system = System.from_env(database_url=db_url)
    if arg == "--stored":
        src = source_config(system.engine, sys.argv[3])
    else:
        src = SourceConfig(**json.loads(arg))
        system.store().sync_sources([{"name": src.name, "kind": src.kind, "config": src.to_dict()}])
    summary = run_crawl(system, [src], trigger="test", log_level="WARNING")
    print(json.dumps({k: v for k, v in summary.stats.items() if isinstance(v, (int, float, str))}))


if __name__ == "__main__":
    main()
