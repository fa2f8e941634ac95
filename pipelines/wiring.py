"""How Scrapy components reach the process's System (daihuo.system): through the crawler's
settings, where the composition root (or its Scrapy add-on) put it."""

from __future__ import annotations

from typing import Any

from scrapy.utils.misc import load_object


class NoSystem(RuntimeError):
    """A crawler was built without daihuo's settings (crawlers/settings.py adds the System)."""


def system_of(crawler: Any) -> Any:
    settings = crawler.settings
    system = settings.get("DAIHUO_SYSTEM")
    if system is None and not settings.frozen:
        # A spider is built before Scrapy applies add-ons (`scrapy crawl news -a source=NAME`
        # reads its source in from_crawler): apply the System add-on now; later it is a no-op.
        for path in settings.getdict("ADDONS"):
            if str(path).endswith("SystemAddon"):
                load_object(path)().update_settings(settings)
        system = settings.get("DAIHUO_SYSTEM")
    if system is None:
        raise NoSystem("this crawler has no DAIHUO_SYSTEM setting: build its settings with "
                       "daihuo.system.System.scrapy_settings() or keep crawlers/settings.py's ADDONS")
    return system
