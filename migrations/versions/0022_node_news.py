"""the docking network: news a node publishes on its page

Revision ID: 0022_node_news
Revises: 0021_finance
Create Date: 2026-12-01 18:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022_node_news"
down_revision = "0021_finance"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "network_news",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_network_news_author_id_users")),
        sa.ForeignKeyConstraint(
            ["node_id"], ["network_nodes.id"], name=op.f("fk_network_news_node_id_network_nodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_news")),
    )
    with op.batch_alter_table("network_news", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_news_node_id"), ["node_id"], unique=False)


def downgrade():
    with op.batch_alter_table("network_news", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_news_node_id"))
    op.drop_table("network_news")
