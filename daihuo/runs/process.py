"""The body of a launched run's process: ``python -m daihuo.runs.process exec RUN_ID``."""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass

from daihuo.runs.crawling import run_crawl
from daihuo.runs.lifecycle import COMPLETED, finish_run, get_run, load_source, record_process
from daihuo.system import System

log = logging.getLogger(__name__)


def exec_run(run_id: int, *, db_url: str | None = None, overrides: dict | None = None) -> int:
    """Body of a launched run's process: crawl its source into the run; exit status 0 when
    it finished (with or without errors), 1 when it failed, 2 when it could not start."""
    system = System.from_env(database_url=db_url)
    try:
        engine = system.engine
        run = get_run(engine, run_id)
    except Exception as exc:  # noqa: BLE001 - the store is unreachable: nothing to record in
        log.error("run #%s cannot start: %s", run_id, exc)
        return 2
    if run is None or run["status"] != "running":
        log.error("run #%s is not waiting to run", run_id)
        return 2
    record_process(engine, run_id, os.getpid())
    settings = dict(overrides or {})
    try:
        src = load_source(engine, run["source"])
        if run.get("resumed_from"):
            old = get_run(engine, run["resumed_from"])
            if old and old["started_at"]:
                settings["DAIHUO_RESUME_SINCE"] = old["started_at"].isoformat()
    except Exception as exc:  # noqa: BLE001 - any reason the run cannot start is recorded
        finish_run(engine, run_id, "failed", error=f"could not start: {exc}")
        system.close()
        return 2
    summary = run_crawl(system, [src], run_id=run_id, log_level="INFO", **settings)
    system.close()
    return 0 if summary.status in COMPLETED else 1


@dataclass
class _Args:
    run_id: int
    settings: dict


def _parse_args(argv: list[str]) -> _Args:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m daihuo.runs.process")
    sub = parser.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("exec", help="run one launched crawl run (the scheduler starts this)")
    ex.add_argument("run_id", type=int)
    ex.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                    help="a Scrapy setting for this run, its value as JSON")
    ns = parser.parse_args(argv)
    settings = {}
    for item in ns.set:
        key, _, value = item.partition("=")
        try:
            settings[key] = json.loads(value)
        except json.JSONDecodeError:
            settings[key] = value
    return _Args(ns.run_id, settings)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    return exec_run(args.run_id, overrides=args.settings)


if __name__ == "__main__":
    sys.exit(main())
