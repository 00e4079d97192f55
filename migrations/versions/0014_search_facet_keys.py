"""search documents carry their facet values as three grouped keys

Revision ID: 0014_search_facet_keys
Revises: 0013_coowner_consent
Create Date: 2026-12-02 10:00:00.000000

The PostgreSQL search backend counts facets in one pass over the matching
rows, grouping by these three keys (JSON arrays). Existing documents get their
keys from their facet columns here, so no reindex is needed after upgrading.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0014_search_facet_keys'
down_revision = '0013_coowner_consent'
branch_labels = None
depends_on = None

_KEYS = ('facet_item', 'facet_origin', 'facet_terms')


def upgrade():
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        for name in _KEYS:
            batch_op.add_column(sa.Column(name, sa.Text(), server_default=sa.text("'[]'"), nullable=False))
    if op.get_bind().dialect.name == 'postgresql':
        # Kept in the row: rows over 2 kB are toasted down to 128 bytes (0011),
        # which would otherwise move these small, always-read columns out of line.
        op.execute(
            'ALTER TABLE search_documents'
            ' ALTER COLUMN facet_item SET STORAGE PLAIN, ALTER COLUMN facet_origin SET STORAGE PLAIN,'
            ' ALTER COLUMN facet_terms SET STORAGE PLAIN, ALTER COLUMN deal_kinds SET STORAGE PLAIN,'
            ' ALTER COLUMN ip_kinds SET STORAGE PLAIN'
        )
        op.execute(
            "UPDATE search_documents SET"
            " facet_item = json_build_array(industry, maturity, price_bucket)::text,"
            " facet_origin = json_build_array(source_kind, region)::text,"
            " facet_terms = json_build_array(to_json(deal_kinds), to_json(ip_kinds))::text"
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            'ALTER TABLE search_documents'
            ' ALTER COLUMN deal_kinds SET STORAGE EXTENDED, ALTER COLUMN ip_kinds SET STORAGE EXTENDED'
        )
    with op.batch_alter_table('search_documents', schema=None) as batch_op:
        for name in reversed(_KEYS):
            batch_op.drop_column(name)
