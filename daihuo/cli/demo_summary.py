"""What ``daihuo demo`` (and ``daihuo crawl``) print after a crawl: stage times in pipeline
order, drops named for what they are, and for the demo the next steps to take."""

from __future__ import annotations

from functools import lru_cache

#: what a drop reason means on the first crawl of its sources: a page fetched twice in one run
#: (two demo sources reach the same article) is not "unchanged since last time"
FIRST_RUN_REASONS = {"unchanged": "already stored this run by another source"}

NEXT_STEPS = """next steps:
  daihuo search 直播带货 --platform 快手    search what was stored
  daihuo user add NAME --role editor       create a console user (password prompted)
  daihuo serve                             the public site at http://127.0.0.1:8000/ and
                                           the editors' console at /console/"""


@lru_cache(maxsize=1)
def stage_order() -> tuple[str, ...]:
    """The pipeline's stages in the order items pass them (ITEM_PIPELINES priorities)."""
    from scrapy.utils.misc import load_object

    from daihuo.runs.crawling import project_settings

    order = []
    pipelines = project_settings().getdict("ITEM_PIPELINES")
    for path, _priority in sorted(pipelines.items(), key=lambda kv: kv[1]):
        try:
            stage = getattr(load_object(path), "stage", "")
        except (ImportError, AttributeError, NameError, ValueError):
            continue
        if stage:
            order.append(stage)
    return tuple(order)


def ordered_timings(timings: dict[str, float]) -> list[tuple[str, float]]:
    """Stage timings in pipeline order; stages the pipeline does not list come last."""
    order = {name: i for i, name in enumerate(stage_order())}
    return sorted(timings.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


def drop_reasons(dropped: dict[str, float], first_run: bool) -> list[str]:
    """``reason: n`` parts of the dropped line; on a first run, reasons named as what they are."""
    names = FIRST_RUN_REASONS if first_run else {}
    return [f"{names.get(k, k)}: {v:g}" for k, v in dropped.items()]
