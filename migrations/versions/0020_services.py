"""policies, service providers, service requests, evaluations of achievements, incubated start-ups

Revision ID: 0020_services
Revises: 0019_network
Create Date: 2026-12-01 17:18:37.206100

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020_services"
down_revision = "0019_network"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "provider_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("qualifications", sa.Text(), nullable=True),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('patent_agency', 'law_firm', 'valuation', 'evaluation', 'testing', 'pilot_base', 'incubator', 'finance')",
            name=op.f("ck_provider_profiles_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_provider_profiles_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_profiles")),
        sa.UniqueConstraint("org_id", name=op.f("uq_provider_profiles_org_id")),
    )
    op.create_table(
        "incubated_startups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("founded_on", sa.Date(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_incubated_startups_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider_profiles.id"],
            name=op.f("fk_incubated_startups_provider_id_provider_profiles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incubated_startups")),
        sa.UniqueConstraint("uscc", name="uq_incubated_startups_uscc"),
    )
    with op.batch_alter_table("incubated_startups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incubated_startups_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("issuer_en", sa.String(length=300), nullable=True),
        sa.Column("doc_no", sa.String(length=100), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("in_force", sa.Boolean(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("title_zh", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=400), nullable=True),
        sa.Column("summary_zh", sa.Text(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=True),
        sa.Column("caveat_zh", sa.Text(), nullable=True),
        sa.Column("caveat_en", sa.Text(), nullable=True),
        sa.Column("full_text", sa.Text(), nullable=True),
        sa.Column("source_url", sa.String(length=500), nullable=True),
        sa.Column("deal_kinds", sa.JSON(), nullable=False),
        sa.Column("contract_categories", sa.JSON(), nullable=False),
        sa.Column("seller_kinds", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("needs_registration", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level IN ('national', 'provincial', 'city')", name=op.f("ck_policies_level")),
        sa.CheckConstraint(
            "expires_on IS NULL OR effective_on IS NULL OR expires_on >= effective_on",
            name=op.f("ck_policies_dates"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_policies_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policies")),
    )
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.create_index("ix_policies_issued_on", ["issued_on"], unique=False)

    op.create_table(
        "provider_services",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("price_low_fen", sa.BigInteger(), nullable=True),
        sa.Column("price_high_fen", sa.BigInteger(), nullable=True),
        sa.Column("turnaround_days", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "price_high_fen IS NULL OR price_low_fen IS NULL OR price_high_fen >= price_low_fen",
            name=op.f("ck_provider_services_range"),
        ),
        sa.CheckConstraint(
            "price_low_fen IS NULL OR price_low_fen >= 0", name=op.f("ck_provider_services_low_nonneg")
        ),
        sa.CheckConstraint(
            "turnaround_days IS NULL OR turnaround_days > 0", name=op.f("ck_provider_services_turnaround")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider_profiles.id"],
            name=op.f("fk_provider_services_provider_id_provider_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_services")),
    )
    with op.batch_alter_table("provider_services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provider_services_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("requester_org_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("trl", sa.Integer(), nullable=True),
        sa.Column("novelty", sa.String(length=32), nullable=True),
        sa.Column("maturity", sa.String(length=16), nullable=True),
        sa.Column("value_low_fen", sa.BigInteger(), nullable=True),
        sa.Column("value_high_fen", sa.BigInteger(), nullable=True),
        sa.Column("opinion", sa.Text(), nullable=True),
        sa.Column("evaluated_on", sa.Date(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "maturity IS NULL OR maturity IN ('lab', 'pilot', 'small_batch', 'mass_production')",
            name=op.f("ck_evaluations_maturity"),
        ),
        sa.CheckConstraint(
            "novelty IS NULL OR novelty IN ('international_leading', 'international_advanced', 'domestic_leading', 'domestic_advanced')",
            name=op.f("ck_evaluations_novelty"),
        ),
        sa.CheckConstraint(
            "status <> 'completed' OR (trl IS NOT NULL AND evaluated_on IS NOT NULL)",
            name=op.f("ck_evaluations_completed_result"),
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'completed', 'declined')", name=op.f("ck_evaluations_status")
        ),
        sa.CheckConstraint("trl IS NULL OR trl BETWEEN 1 AND 9", name=op.f("ck_evaluations_trl")),
        sa.CheckConstraint(
            "value_low_fen IS NULL OR (value_low_fen >= 0 AND value_high_fen >= value_low_fen)",
            name=op.f("ck_evaluations_value_range"),
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["ip_assets.id"], name=op.f("fk_evaluations_asset_id_ip_assets")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider_profiles.id"],
            name=op.f("fk_evaluations_provider_id_provider_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_evaluations_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["requester_org_id"],
            ["organizations.id"],
            name=op.f("fk_evaluations_requester_org_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_evaluations_asset_status", ["asset_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluations_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "policy_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_by_id", sa.Integer(), nullable=True),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edited_by_id"], ["users.id"], name=op.f("fk_policy_revisions_edited_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["policies.id"],
            name=op.f("fk_policy_revisions_policy_id_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_revisions")),
        sa.UniqueConstraint("policy_id", "seq", name="uq_policy_revisions_seq"),
    )
    op.create_table(
        "service_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("requester_org_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quote_fen", sa.BigInteger(), nullable=True),
        sa.Column("quote_days", sa.Integer(), nullable=True),
        sa.Column("quote_note", sa.Text(), nullable=True),
        sa.Column("quoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rating IS NULL OR (rating BETWEEN 1 AND 5 AND status = 'completed')",
            name=op.f("ck_service_requests_rating"),
        ),
        sa.CheckConstraint(
            "status IN ('requested', 'quoted', 'accepted', 'completed', 'declined', 'cancelled')",
            name=op.f("ck_service_requests_status"),
        ),
        sa.CheckConstraint(
            "quote_fen IS NULL OR quote_fen >= 0", name=op.f("ck_service_requests_quote_nonneg")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider_profiles.id"],
            name=op.f("fk_service_requests_provider_id_provider_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_service_requests_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["requester_org_id"],
            ["organizations.id"],
            name=op.f("fk_service_requests_requester_org_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["provider_services.id"],
            name=op.f("fk_service_requests_service_id_provider_services"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_requests")),
    )
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.create_index("ix_service_requests_provider_status", ["provider_id", "status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_service_requests_requester_org_id"), ["requester_org_id"], unique=False
        )

    op.create_table(
        "service_request_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "side IN ('requester', 'provider')", name=op.f("ck_service_request_messages_side")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_service_request_messages_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_requests.id"],
            name=op.f("fk_service_request_messages_request_id_service_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request_messages")),
    )
    with op.batch_alter_table("service_request_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_request_messages_request_id"), ["request_id"], unique=False
        )
    # The search index's TRL facet (the evaluations of the listings' assets); `flask search
    # reindex` fills it, and rebuilds a Whoosh index that has no such field yet.
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trl", sa.String(length=8), nullable=True))
        batch_op.create_index("ix_search_documents_trl", ["trl"], unique=False)


def downgrade():
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_search_documents_trl")
        batch_op.drop_column("trl")
    with op.batch_alter_table("service_request_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_request_messages_request_id"))

    op.drop_table("service_request_messages")
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_requests_requester_org_id"))
        batch_op.drop_index("ix_service_requests_provider_status")

    op.drop_table("service_requests")
    op.drop_table("policy_revisions")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_provider_id"))
        batch_op.drop_index("ix_evaluations_asset_status")

    op.drop_table("evaluations")
    with op.batch_alter_table("provider_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_services_provider_id"))

    op.drop_table("provider_services")
    with op.batch_alter_table("policies", schema=None) as batch_op:
        batch_op.drop_index("ix_policies_issued_on")

    op.drop_table("policies")
    with op.batch_alter_table("incubated_startups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incubated_startups_provider_id"))

    op.drop_table("incubated_startups")
    op.drop_table("provider_profiles")
