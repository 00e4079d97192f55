"""organization kinds and roles for service providers and financial institutions

Revision ID: 0017_org_kinds_roles
Revises: 0016_contract_categories
Create Date: 2026-12-01 17:20:00.000000

Service providers (patent agencies, valuation firms, evaluation bodies, testing
labs, pilot-scale bases, incubators) join as organizations of the kind
service_provider; banks, guarantee companies, insurers and investment funds as
their own kinds. Their staff sign up with the roles provider and financier.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_org_kinds_roles"
down_revision = "0016_contract_categories"
branch_labels = None
depends_on = None

_OLD_KINDS = ("university", "research_institute", "enterprise", "agency", "regulator", "individual", "other")
_NEW_KINDS = _OLD_KINDS + ("service_provider", "bank", "guarantee_company", "insurer", "investment_fund")
_OLD_ROLES = ("seller", "buyer", "agency", "regulator", "admin")
_NEW_ROLES = ("seller", "buyer", "agency", "regulator", "provider", "financier", "admin")


def _in(codes):
    return ",".join(f"'{c}'" for c in codes)


def _set(kinds, roles):
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organizations_kind"), type_="check")
        batch_op.create_check_constraint("kind", f"kind IN ({_in(kinds)})")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint("role", f"role IN ({_in(roles)})")


def upgrade():
    _set(_NEW_KINDS, _NEW_ROLES)


def downgrade():
    _set(_OLD_KINDS, _OLD_ROLES)
