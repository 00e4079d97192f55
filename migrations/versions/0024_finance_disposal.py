"""finance: the sale of a defaulted loan's pledged assets in public trading, the
loan's link to an evaluation, investors' interest in incubated start-ups

Revision ID: 0024_finance_disposal
Revises: 0023_trading_stripe_deposits
Create Date: 2026-12-01 21:01:20.593646
"""

import sqlalchemy as sa
from alembic import op

LOAN_STATUSES_OLD = (
    "'applied', 'documents_requested', 'approved', 'declined', 'signed', 'repaid', 'defaulted', 'withdrawn'"
)
LOAN_STATUSES_NEW = (
    "'applied', 'documents_requested', 'approved', 'declined', 'signed', 'repaid', 'defaulted', 'disposed', "
    "'withdrawn'"
)


def _loan_checks(batch_op, *, statuses: str, lent: str, defaulted: str) -> None:
    for name in ("status", "signed_facts", "defaulted_on"):
        batch_op.drop_constraint(op.f(f"ck_finance_pledge_loans_{name}"), type_="check")
    batch_op.create_check_constraint(op.f("ck_finance_pledge_loans_status"), f"status IN ({statuses})")
    batch_op.create_check_constraint(
        op.f("ck_finance_pledge_loans_signed_facts"),
        f"status NOT IN ({lent}) OR (pledge_registration_no IS NOT NULL AND signed_on IS NOT NULL)",
    )
    batch_op.create_check_constraint(
        op.f("ck_finance_pledge_loans_defaulted_on"),
        f"status NOT IN ({defaulted}) OR defaulted_on IS NOT NULL",
    )


# revision identifiers, used by Alembic.
revision = "0024_finance_disposal"
down_revision = "0023_trading_stripe_deposits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "finance_disposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("increment_fen", sa.BigInteger(), nullable=True),
        sa.Column("deposit_fen", sa.BigInteger(), nullable=True),
        sa.Column("duration_hours", sa.Integer(), nullable=True),
        sa.Column("notice_days", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("listing_id", sa.Integer(), nullable=True),
        sa.Column("bidding_session_id", sa.Integer(), nullable=True),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sale_price_fen", sa.BigInteger(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("proceeds_id", sa.Integer(), nullable=True),
        sa.Column("refuse_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "mode <> 'bidding' OR (increment_fen > 0 AND deposit_fen >= 0 AND duration_hours >= 24)",
            name=op.f("ck_finance_disposals_bidding_terms"),
        ),
        sa.CheckConstraint(
            "mode <> 'notice' OR notice_days >= 1", name=op.f("ck_finance_disposals_notice_terms")
        ),
        sa.CheckConstraint("mode IN ('bidding', 'notice')", name=op.f("ck_finance_disposals_mode")),
        sa.CheckConstraint(
            "status <> 'refused' OR refuse_reason IS NOT NULL",
            name=op.f("ck_finance_disposals_refuse_reason"),
        ),
        sa.CheckConstraint(
            "status <> 'sold' OR sale_price_fen > 0", name=op.f("ck_finance_disposals_sale_price")
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'on_sale', 'sold', 'unsold', 'refused', 'cancelled')",
            name=op.f("ck_finance_disposals_status"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('on_sale', 'sold', 'unsold') OR listing_id IS NOT NULL",
            name=op.f("ck_finance_disposals_listing"),
        ),
        sa.CheckConstraint("price_fen > 0", name=op.f("ck_finance_disposals_price_fen")),
        sa.ForeignKeyConstraint(
            ["bidding_session_id"],
            ["bidding_sessions.id"],
            name=op.f("fk_finance_disposals_bidding_session_id_bidding_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_finance_disposals_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_finance_disposals_listing_id_listings")
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["finance_pledge_loans.id"],
            name=op.f("fk_finance_disposals_loan_id_finance_pledge_loans"),
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["trading_notices.id"], name=op.f("fk_finance_disposals_notice_id_trading_notices")
        ),
        sa.ForeignKeyConstraint(
            ["proceeds_id"],
            ["finance_default_proceeds.id"],
            name=op.f("fk_finance_disposals_proceeds_id_finance_default_proceeds"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_finance_disposals_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["users.id"], name=op.f("fk_finance_disposals_started_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finance_disposals")),
    )
    with op.batch_alter_table("finance_disposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finance_disposals_bidding_session_id"), ["bidding_session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_finance_disposals_listing_id"), ["listing_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_disposals_loan_id"), ["loan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_finance_disposals_notice_id"), ["notice_id"], unique=False)

    with op.batch_alter_table("finance_interests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("startup_id", sa.Integer(), nullable=True))
        batch_op.alter_column("listing_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_finance_interests_startup_id"), ["startup_id"], unique=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_finance_interests_startup_id_investor_org_id"), ["startup_id", "investor_org_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_finance_interests_startup_id_incubated_startups"),
            "incubated_startups",
            ["startup_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_finance_interests_one_subject"), "(listing_id IS NULL) <> (startup_id IS NULL)"
        )

    with op.batch_alter_table("finance_pledge_loans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evaluation_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_finance_pledge_loans_evaluation_id"), ["evaluation_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_finance_pledge_loans_evaluation_id_evaluations"),
            "evaluations",
            ["evaluation_id"],
            ["id"],
        )
        _loan_checks(
            batch_op,
            statuses=LOAN_STATUSES_NEW,
            lent="'signed', 'repaid', 'defaulted', 'disposed'",
            defaulted="'defaulted', 'disposed'",
        )

    with op.batch_alter_table("ip_encumbrances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disposal_ref", sa.String(length=64), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_ip_encumbrances_disposal_ref_pledge"), "disposal_ref IS NULL OR kind = 'pledge'"
        )


def downgrade():
    with op.batch_alter_table("ip_encumbrances", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ip_encumbrances_disposal_ref_pledge"), type_="check")
        batch_op.drop_column("disposal_ref")

    with op.batch_alter_table("finance_pledge_loans", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_finance_pledge_loans_evaluation_id_evaluations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_finance_pledge_loans_evaluation_id"))
        batch_op.drop_column("evaluation_id")
        _loan_checks(
            batch_op,
            statuses=LOAN_STATUSES_OLD,
            lent="'signed', 'repaid', 'defaulted'",
            defaulted="'defaulted'",
        )

    with op.batch_alter_table("finance_interests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_finance_interests_one_subject"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_finance_interests_startup_id_incubated_startups"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("uq_finance_interests_startup_id_investor_org_id"), type_="unique"
        )
        batch_op.drop_index(batch_op.f("ix_finance_interests_startup_id"))
        batch_op.alter_column("listing_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("startup_id")

    with op.batch_alter_table("finance_disposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finance_disposals_notice_id"))
        batch_op.drop_index(batch_op.f("ix_finance_disposals_loan_id"))
        batch_op.drop_index(batch_op.f("ix_finance_disposals_listing_id"))
        batch_op.drop_index(batch_op.f("ix_finance_disposals_bidding_session_id"))

    op.drop_table("finance_disposals")
