"""Tables of the scheduler: cron schedules per source, each run's process and quality, the
webhooks told about failed checks, and the lease that keeps one scheduler active at a time.

Created by migration 0009. ``run_meta`` sits beside the lead's ``crawl_runs`` (one row per
run) instead of widening it, so the run table stays as every other part reads it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base

DEFAULT_TZ = "Asia/Shanghai"


class Schedule(Base):
    """A cron expression for one source, in a time zone; ``next_run_at`` (UTC) survives restarts."""

    __tablename__ = "schedules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    cron: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TZ)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_fired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_skip: Mapped[str | None] = mapped_column(Text, nullable=True)  # why the last fire launched nothing
    created_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (Index("ix_schedules_next", "enabled", "next_run_at"),)


class RunMeta(Base):
    """Where a run's process lives (pid, host, log), how it was started, and its quality."""

    __tablename__ = "run_meta"
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str | None] = mapped_column(String(100), nullable=True)
    schedule_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    proc_start: Mapped[str | None] = mapped_column(String(40), nullable=True)  # guards against pid reuse
    host: Mapped[str | None] = mapped_column(String(200), nullable=True)
    log_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    live_stats: Mapped[dict] = mapped_column(JSON, default=dict)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resumed_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rerun_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    quality: Mapped[str | None] = mapped_column(String(20), nullable=True)  # passed | failed
    quality_report: Mapped[dict] = mapped_column(JSON, default=dict)
    __table_args__ = (Index("ix_run_meta_source", "source"),)


class Webhook(Base):
    """Where failed quality checks (and failed runs) are reported."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # json | wecom | dingtalk | feishu
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(String(200), nullable=True)  # DingTalk/Feishu signing
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_status: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SchedulerLease(Base):
    """One row: which scheduler process is active, refreshed every tick."""

    __tablename__ = "scheduler_lease"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
