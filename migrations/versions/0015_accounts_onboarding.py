"""onboarding: consents at sign-up, suspension reasons, organizations' bank accounts

Revision ID: 0015_accounts_onboarding
Revises: 0014_search_facet_keys
Create Date: 2026-12-03 10:00:00.000000

Users keep when they accepted the user agreement and the privacy policy;
suspended users and organizations keep the reason they are told; organizations
record the bank accounts that payers transfer to.
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0015_accounts_onboarding"
down_revision = "0014_search_facet_keys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("terms_accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("privacy_accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("suspension_reason", sa.String(length=500), nullable=True))
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspension_reason", sa.String(length=500), nullable=True))
    op.create_table(
        "bank_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("account_name", sa.String(length=200), nullable=False),
        sa.Column("bank_name", sa.String(length=200), nullable=False),
        sa.Column("account_number", sa.String(length=30), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_bank_accounts_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_accounts")),
    )
    with op.batch_alter_table("bank_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bank_accounts_organization_id"), ["organization_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("bank_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_accounts_organization_id"))
    op.drop_table("bank_accounts")
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("suspension_reason")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("suspension_reason")
        batch_op.drop_column("privacy_accepted_at")
        batch_op.drop_column("terms_accepted_at")
