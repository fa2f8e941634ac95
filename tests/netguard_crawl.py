"""Run one crawl in this (child) process for the network-guard tests and print its stats as
JSON. ``python tests/netguard_crawl.py DB_URL SOURCE_JSON`` crawls the source exactly as
given (no validation: a legacy row or a hand-edited registry); ``--stored NAME`` crawls the
stored source NAME as the scheduler would."""

from __future__ import annotations

import json
import sys


def main() -> None:
    from daihuo.runs.crawling import run_crawl
    from editorial.source_config import SourceConfig
    from editorial.sources import source_config
    from storage.db import make_engine

    db_url, arg = sys.argv[1], sys.argv[2]
    if arg == "--stored":
        src, sync = source_config(make_engine(db_url), sys.argv[3]), False
    else:
        src, sync = SourceConfig(**json.loads(arg)), True
    summary = run_crawl([src], db_url=db_url, trigger="test", sync=sync, log_level="WARNING")
    print(json.dumps({k: v for k, v in summary.stats.items() if isinstance(v, (int, float, str))}))


if __name__ == "__main__":
    main()
