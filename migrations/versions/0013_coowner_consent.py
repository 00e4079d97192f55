"""co-owner consent to listings that dispose of a shared asset

Revision ID: 0013_coowner_consent
Revises: 0012_ledger_merkle
Create Date: 2026-12-01 12:55:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0013_coowner_consent'
down_revision = '0012_ledger_merkle'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('listing_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('given_by_id', sa.Integer(), nullable=True),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['given_by_id'], ['users.id'], name=op.f('fk_listing_consents_given_by_id_users')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_listing_consents_listing_id_listings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_listing_consents_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_consents')),
    sa.UniqueConstraint('listing_id', 'org_id', name=op.f('uq_listing_consents_listing_id_org_id'))
    )
    with op.batch_alter_table('listing_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_listing_consents_org_id'), ['org_id'], unique=False)


def downgrade():
    with op.batch_alter_table('listing_consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_listing_consents_org_id'))
    op.drop_table('listing_consents')
