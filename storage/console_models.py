"""ORM models of the editors' console: source tiers, auto-publish rules, settings, audit.

The tables are created by migration 0008_console; the registry-shaped part of a source stays
in ``sources`` (storage.models), what only the console knows about it lives here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base

TIERS = ("A", "B", "C")  # A: trusted outlets, B: default, C: needs a close look


class SourceMeta(Base):
    """Editorial facts about a source that the registry file does not carry."""

    __tablename__ = "source_meta"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(1), default="B")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PublishRule(Base):
    """An auto-publish rule: a condition (editorial.rules syntax) and what to do on a match.
    Rules are tried in ``position`` order; the first enabled rule that matches decides."""

    __tablename__ = "publish_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    condition: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(20))  # approve | reject | feature
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ConsoleSetting(Base):
    """Admin settings (key -> JSON value), e.g. the private networks sources may point at."""

    __tablename__ = "console_settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)
    updated_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEvent(Base):
    """Changes to sources, rules, settings and users (article decisions are curation_events)."""

    __tablename__ = "console_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))  # source_add, rule_remove, setting_set, ...
    target: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    __table_args__ = (Index("ix_console_audit_at", "at"),)
