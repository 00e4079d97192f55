"""public trading: bidding deposits paid online through Stripe, and their refunds

Revision ID: 0023_trading_stripe_deposits
Revises: 0022_node_news
Create Date: 2026-12-01 21:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023_trading_stripe_deposits"
down_revision = "0022_node_news"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("bidding_deposits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("stripe_payment_intent_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("stripe_status", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("refund_idempotency_key", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("stripe_refund_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("refund_status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_bidding_deposits_idempotency_key"), ["idempotency_key"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_bidding_deposits_stripe_payment_intent_id"), ["stripe_payment_intent_id"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_bidding_deposits_refund_idempotency_key"), ["refund_idempotency_key"]
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_bidding_deposits_method"), "method IN ('bank_transfer', 'stripe')"
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_bidding_deposits_stripe_key"), "method <> 'stripe' OR idempotency_key IS NOT NULL"
        )


def downgrade():
    with op.batch_alter_table("bidding_deposits", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_bidding_deposits_stripe_key"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_bidding_deposits_method"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_bidding_deposits_refund_idempotency_key"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_bidding_deposits_stripe_payment_intent_id"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_bidding_deposits_idempotency_key"), type_="unique")
        batch_op.drop_column("refunded_at")
        batch_op.drop_column("refund_status")
        batch_op.drop_column("stripe_refund_id")
        batch_op.drop_column("refund_idempotency_key")
        batch_op.drop_column("stripe_status")
        batch_op.drop_column("stripe_payment_intent_id")
        batch_op.drop_column("idempotency_key")
