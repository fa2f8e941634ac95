"""Scheduler: schedules, run bookkeeping, quality checks, webhooks, the scheduler lease.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id", ondelete="CASCADE"), nullable=False),
        sa.Column("cron", sa.String(200), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="Asia/Shanghai"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("next_run_at", TS, nullable=True),
        sa.Column("last_fired_at", TS, nullable=True),
        sa.Column("last_run_id", sa.Integer, nullable=True),
        sa.Column("last_skip", sa.Text, nullable=True),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_schedules_next", "schedules", ["enabled", "next_run_at"])
    op.create_table(
        "run_meta",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("crawl_runs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("source", sa.String(100), nullable=True),
        sa.Column("schedule_id", sa.Integer, nullable=True),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("proc_start", sa.String(40), nullable=True),
        sa.Column("host", sa.String(200), nullable=True),
        sa.Column("log_path", sa.Text, nullable=True),
        sa.Column("heartbeat_at", TS, nullable=True),
        sa.Column("live_stats", sa.JSON, nullable=True),
        sa.Column("cancel_requested_at", TS, nullable=True),
        sa.Column("resumed_from", sa.Integer, nullable=True),
        sa.Column("rerun_of", sa.Integer, nullable=True),
        sa.Column("exit_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("quality", sa.String(20), nullable=True),
        sa.Column("quality_report", sa.JSON, nullable=True),
    )
    op.create_index("ix_run_meta_source", "run_meta", ["source"])
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(200), nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("last_status", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "scheduler_lease",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("heartbeat_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduler_lease")
    op.drop_table("webhooks")
    op.drop_index("ix_run_meta_source", "run_meta")
    op.drop_table("run_meta")
    op.drop_index("ix_schedules_next", "schedules")
    op.drop_table("schedules")
