"""The composition root: one :class:`System` per process builds what every entry point uses.

The CLI, a launched run's process, the web app, the scheduler, a distributed worker and a
plain ``scrapy crawl`` all start from ``System.from_env()``: one configuration read from the
environment, one database engine (its schema checked once, never migrated behind the
operator's back), the editors' lexicon folder applied, the corpus IDF loaded once, and the
store with near-duplicate clustering at insert. Scrapy components receive it through the
``DAIHUO_SYSTEM`` setting (``scrapy crawl`` gets one from :class:`SystemAddon`), never from
globals.
"""

from __future__ import annotations

import threading
from typing import Any

from scrapy.settings import Settings
from sqlalchemy import Engine

from nlp.neardup import THRESHOLD
from nlp.tagging import IdfTable, lexicon
from pipelines.convert import fingerprint_similarity
from storage.config import Config, ensure_private_dir
from storage.db import ensure_schema, make_engine
from storage.spool import Spool
from storage.store import Store


class System:
    """Configuration plus the services built from it, each built once and on first use."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._engine: Engine | None = None
        self._idf: IdfTable | None | bool = False  # False: not looked for yet
        self._lock = threading.Lock()
        ensure_private_dir(config.home)
        lexicon.set_user_dir(config.lexicon_dir)  # editors' confirmed entities apply everywhere

    @classmethod
    def from_env(cls, **overrides: Any) -> System:
        """A System from DAIHUO_* environment variables; keyword overrides win (None: ignored)."""
        return cls(Config.from_env(**overrides))

    # -- services --------------------------------------------------------------------------
    @property
    def engine(self) -> Engine:
        """The process's one engine; the schema is checked when it is first asked for."""
        with self._lock:
            if self._engine is None:
                engine = make_engine(self.config.database_url)
                try:
                    ensure_schema(engine)
                except BaseException:
                    engine.dispose()
                    raise
                self._engine = engine
                self._attach_search_index(engine)
            return self._engine

    def _attach_search_index(self, engine: Engine) -> None:
        """Searches of a file SQLite store go through its derived tantivy index (built on the
        first search when small; `daihuo search-index rebuild` otherwise); PostgreSQL and
        in-memory stores keep the SQL engine unless DAIHUO_SEARCH_INDEX names a directory."""
        from pathlib import Path

        from storage import search
        from storage.search_index import SearchIndex, default_path

        setting = self.config.search_index
        if setting == "off":
            return
        path = Path(setting) if setting else default_path(self.config.database_url)
        if path is not None:
            search.attach_index(engine, SearchIndex(engine, path))

    def search_index(self):  # noqa: ANN201
        """The derived search index of this store, if it has one."""
        from storage import search

        return search.attached_index(self.engine)

    def store(self) -> Store:
        """The store over the process's engine, clustering reposts at insert."""
        return Store(self.engine, similar=fingerprint_similarity, threshold=THRESHOLD)

    def spool(self) -> Spool:
        return Spool(self.config.spool_dir)

    def replay_spool(self) -> int:
        """Write page batches an outage left on disk (bad records are quarantined)."""
        return len(self.spool().replay(self.store()))

    def idf(self) -> IdfTable | None:
        """The corpus IDF `daihuo reprocess` built, if any (keywords fall back to jieba's)."""
        if self._idf is False:
            path = self.config.idf_path
            self._idf = IdfTable.load(path) if path.exists() else None
        return self._idf  # type: ignore[return-value]

    def reload_idf(self) -> None:
        self._idf = False

    def scrapy_settings(self, **overrides: Any) -> Settings:
        """The project's Scrapy settings with this System in them, plus ``overrides``."""
        settings = Settings()
        settings.setmodule("crawlers.settings", priority="project")
        settings.set("DAIHUO_SYSTEM", self, priority="cmdline")
        settings.set("DAIHUO_DATABASE_URL", self.config.database_url, priority="cmdline")
        for key, value in overrides.items():
            settings.set(key, value, priority="cmdline")
        return settings

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    # Scrapy copies settings (deepcopy) for every crawler: they must share this one object.
    def __copy__(self) -> System:
        return self

    def __deepcopy__(self, memo: dict) -> System:
        return self

    def __repr__(self) -> str:
        from storage.config import redact

        return f"System({redact(self.config.database_url)})"


class SystemAddon:
    """Scrapy add-on (``ADDONS`` in crawlers/settings.py): a ``scrapy crawl`` started outside
    daihuo gets the same System as every other entry point."""

    def update_settings(self, settings: Settings) -> None:
        if settings.get("DAIHUO_SYSTEM") is None:
            system = System.from_env(database_url=settings.get("DAIHUO_DATABASE_URL") or None)
            settings.set("DAIHUO_SYSTEM", system, priority="cmdline")
