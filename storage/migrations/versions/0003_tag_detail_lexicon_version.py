"""Tag detail (an entity's kind, confirmed or candidate) and each article's lexicon version,
so `daihuo reprocess` can tell which articles were tagged with an older lexicon.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tags") as batch:
        batch.add_column(sa.Column("detail", sa.String(50)))
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("lexicon_version", sa.String(40)))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("lexicon_version")
    with op.batch_alter_table("tags") as batch:
        batch.drop_column("detail")
