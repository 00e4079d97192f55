"""contract categories: licences of software copyright, IC layout design and new plant variety

Revision ID: 0016_contract_categories
Revises: 0015_accounts_onboarding
Create Date: 2026-12-01 15:30:00.000000

The transfer list already named these rights (transfer_other); a licence of one
of them had no category but "technical secret". The contracts' and the ledger
entries' CHECK constraints on the category now accept the three licence codes.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0016_contract_categories"
down_revision = "0015_accounts_onboarding"
branch_labels = None
depends_on = None

_OLD = (
    "development_commissioned",
    "development_cooperative",
    "transfer_patent",
    "transfer_patent_application",
    "transfer_technical_secret",
    "transfer_other",
    "license_patent",
    "license_technical_secret",
    "consulting",
    "service",
    "service_training",
    "service_intermediary",
)
_NEW = _OLD[:8] + ("license_software_copyright", "license_ic_layout", "license_plant_variety") + _OLD[8:]


def _in(codes):
    return ", ".join(f"'{c}'" for c in codes)


def _set(codes):
    with op.batch_alter_table("contracts", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_contracts_category"), type_="check")
        batch_op.create_check_constraint("category", f"category IS NULL OR category IN ({_in(codes)})")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_ledger_entries_category"), type_="check")
        batch_op.create_check_constraint("category", f"category IN ({_in(codes)})")


def upgrade():
    _set(_NEW)


def downgrade():
    _set(_OLD)
