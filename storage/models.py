"""SQLAlchemy models. The schema itself is created by Alembic migrations (storage/migrations).

Tables are plain and documented so the SQLite file stays useful to analysts' own tools:
lists are JSON text, raw HTML is zlib-compressed bytes (kept only for reprocessing).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Source(Base):
    """A site we crawl; synced from the registry file (crawlers/sources.toml)."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # news | listings
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CrawlRun(Base):
    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sources: Mapped[list] = mapped_column(JSON, default=list)  # source names
    trigger: Mapped[str] = mapped_column(String(20), default="cli")
    status: Mapped[str] = mapped_column(String(20), default="running")  # running|finished|failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    stats: Mapped[dict] = mapped_column(JSON, default=dict)


class RawPage(Base):
    """Every fetched page, kept compressed so ``daihuo reprocess`` can re-run the pipeline."""

    __tablename__ = "raw_pages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), nullable=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    charset: Mapped[str | None] = mapped_column(String(40), nullable=True)
    html_z: Mapped[bytes] = mapped_column(LargeBinary)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_stage: Mapped[str | None] = mapped_column(String(40), nullable=True)
    __table_args__ = (Index("ix_raw_pages_url", "url"),)


class Article(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), nullable=True)
    raw_page_id: Mapped[int | None] = mapped_column(ForeignKey("raw_pages.id"), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    canonical_url: Mapped[str] = mapped_column(String(2000), unique=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    authors: Mapped[list] = mapped_column(JSON, default=list)
    editor: Mapped[str | None] = mapped_column(Text, nullable=True)
    original_source: Mapped[str | None] = mapped_column(Text, nullable=True)
    lead: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[str] = mapped_column(Text)
    blocks: Mapped[list] = mapped_column(JSON, default=list)
    script: Mapped[str] = mapped_column(String(20))  # original script: simplified|traditional|mixed
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    flags: Mapped[dict] = mapped_column(JSON, default=dict)
    # Search tokens (jieba search-mode terms, space separated): indexed by FTS5 / tsvector.
    title_terms: Mapped[str] = mapped_column(Text, default="")
    body_terms: Mapped[str] = mapped_column(Text, default="")
    # Filter tokens (storage.facets: platform/topic/entity tags and source), a third column
    # of the full-text index so filters are intersected in the engine.
    facet_terms: Mapped[str | None] = mapped_column(Text, nullable=True)
    lexicon_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    cluster_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="new", server_default="new")
    fingerprint: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    publish_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    featured: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    edited_title: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tags: Mapped[list[Tag]] = relationship(back_populates="article", cascade="all, delete-orphan")
    __table_args__ = (Index("ix_articles_published_at", "published_at"),
                      Index("ix_articles_source", "source_id"))


class Cluster(Base):
    """Articles that tell one story (reposts): one canonical member, the others "also at"."""

    __tablename__ = "clusters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    size: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LshKey(Base):
    __tablename__ = "lsh_keys"
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    # (SQLite: a WITHOUT ROWID table with this key, migration 0014, and no foreign key: a
    # trigger deletes an article's keys, migration 0024; PostgreSQL: a heap with a covering
    # probe index. Both have a delete index on article_id.)
    __table_args__ = (Index("ix_lsh_keys_band_key_article", "band", "key", "article_id"),
                      Index("ix_lsh_keys_article", "article_id"))


class LshRecent(Base):
    """New LSH keys, moved into lsh_keys in one pass once there are RECENT_ROWS of them
    (storage.store, migration 0015): probes read both tables."""

    __tablename__ = "lsh_recent"
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    __table_args__ = (Index("ix_lsh_recent_article", "article_id"),)


class CurationEvent(Base):
    """Every editorial decision (by a person or an auto-publish rule) and why."""

    __tablename__ = "curation_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), nullable=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # platform | topic | keyword | entity
    value: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_pos: Mapped[int | None] = mapped_column(Integer, nullable=True)
    in_title: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[str | None] = mapped_column(String(50), nullable=True)  # entity: "person/confirmed"
    article: Mapped[Article] = relationship(back_populates="tags")
    __table_args__ = (
        Index("ix_tags_kind_value_article", "kind", "value", "article_id"),
        Index("ix_tags_article_kind_value", "article_id", "kind", "value"),
    )


class ListingState:
    """A listing's observable state (storage.records.LISTING_STATE): on the listing and on
    every snapshot of it."""

    followers: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    price_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    price_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    has_violation: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    live_enabled: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    verified: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    sell_enabled: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    blue_v: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class Listing(ListingState, Base):
    """An account offered for sale on a trading site. Never deduplicated away: each crawl
    that sees it updates last_seen, and a snapshot is appended when anything changed."""

    __tablename__ = "listings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), nullable=True)
    key: Mapped[str] = mapped_column(String(500))  # the site's listing id, else its URL
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), nullable=True)
    platform: Mapped[str | None] = mapped_column(String(50), nullable=True)
    category: Mapped[str | None] = mapped_column(String(100), nullable=True)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | removed
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    missed_runs: Mapped[int] = mapped_column(Integer, default=0)
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    __table_args__ = (
        Index("ux_listings_source_key", "source_id", "key", unique=True),
        Index("ix_listings_platform_category", "platform", "category"),
    )


class ListingSnapshot(ListingState, Base):
    """The listing's state when it changed (price, followers, flags, status)."""

    __tablename__ = "listing_snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20))
    __table_args__ = (Index("ix_listing_snapshots_listing", "listing_id", "seen_at"),)


class User(Base):
    """A console/API user. No default users exist: the first admin comes from the CLI."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Session(Base):
    """A login session; only the token's hash is stored, so a database leak logs no one in."""

    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Quarantine(Base):
    """A record the store refused for a lasting reason (e.g. a value longer than its column),
    kept with the error instead of blocking every later batch (storage/spool.py)."""

    __tablename__ = "quarantine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str | None] = mapped_column(String(100), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    record: Mapped[dict] = mapped_column(JSON)  # the spooled PageRecord, to fix and replay
    __table_args__ = (Index("ix_quarantine_run", "run_id"),)
