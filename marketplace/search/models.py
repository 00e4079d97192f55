"""Tables of the PostgreSQL search backend (``SEARCH_BACKEND=postgres``).

They exist on every database, so that the models and the migrations stay the
same everywhere, but only the PostgreSQL backend uses them: on SQLite the
``tsvector`` and array columns are plain text and JSON and stay empty.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, JSON, BigInteger, Index, String, Text, event, text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from ..core.types import UTCDateTime
from ..extensions import db

_TSVECTOR = TSVECTOR().with_variant(Text(), "sqlite")
_TEXT_ARRAY = ARRAY(Text()).with_variant(JSON(), "sqlite")


class SearchDocument(db.Model):
    """One published listing as the PostgreSQL backend searches it."""

    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_document", "document", postgresql_using="gin"),
        Index("ix_search_documents_published", "published_at", "listing_id"),
        Index("ix_search_documents_price", "price_fen", "published_at"),
        Index("ix_search_documents_industry", "industry"),
        Index("ix_search_documents_region", "region"),
        Index("ix_search_documents_maturity", "maturity"),
        Index("ix_search_documents_trl", "trl"),
        Index("ix_search_documents_source_kind", "source_kind"),
        Index("ix_search_documents_deal_kinds", "deal_kinds", postgresql_using="gin"),
        Index("ix_search_documents_ip_kinds", "ip_kinds", postgresql_using="gin"),
    )

    listing_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    document: Mapped[str] = mapped_column(_TSVECTOR, nullable=False)
    title_zh: Mapped[str] = mapped_column(Text, nullable=False, default="")
    title_en: Mapped[str] = mapped_column(Text, nullable=False, default="")
    abstract_zh: Mapped[str] = mapped_column(Text, nullable=False, default="")
    abstract_en: Mapped[str] = mapped_column(Text, nullable=False, default="")
    industry: Mapped[str | None] = mapped_column(String(64))
    source_kind: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(16))
    maturity: Mapped[str | None] = mapped_column(String(64))
    deal_kinds: Mapped[list[str]] = mapped_column(_TEXT_ARRAY, nullable=False)
    ip_kinds: Mapped[list[str]] = mapped_column(_TEXT_ARRAY, nullable=False)
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    price_bucket: Mapped[str] = mapped_column(String(16), nullable=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # Facet values grouped into three JSON keys, so that one pass over the
    # matching rows counts every facet with three small hash tables (GROUPING
    # SETS) instead of one scan per facet and an unnest per array:
    # [industry, maturity, price bucket], [source kind, region], [deal kinds, IP kinds].
    facet_item: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'[]'"))
    facet_origin: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'[]'"))
    facet_terms: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'[]'"))
    #: The technology readiness level "1".."9" (evaluations of the listing's assets), or None.
    trl: Mapped[str | None] = mapped_column(String(8))


# Rows over 128 bytes move their tsvector and texts out of line (TOAST), so that
# the scans for facet counts and sorting read a narrow heap (also in 0011_shared_state).
TOAST_TARGET = DDL("ALTER TABLE search_documents SET (toast_tuple_target = 128)")
event.listen(SearchDocument.__table__, "after_create", TOAST_TARGET.execute_if(dialect="postgresql"))

#: Rows over 2 kB are toasted down to 128 bytes, which would move the small
#: columns read by every facet count and filter out of line too (one TOAST
#: fetch per row and column). They stay in the row (also in 0014_search_facet_keys).
PLAIN_STORAGE = DDL(
    "ALTER TABLE search_documents"
    " ALTER COLUMN facet_item SET STORAGE PLAIN, ALTER COLUMN facet_origin SET STORAGE PLAIN,"
    " ALTER COLUMN facet_terms SET STORAGE PLAIN, ALTER COLUMN deal_kinds SET STORAGE PLAIN,"
    " ALTER COLUMN ip_kinds SET STORAGE PLAIN"
)
event.listen(SearchDocument.__table__, "after_create", PLAIN_STORAGE.execute_if(dialect="postgresql"))


class SearchFacetCount(db.Model):
    """Facet counts over all search documents, kept by the backend's writes, so
    that browsing without text or filters does not count a million rows."""

    __tablename__ = "search_facet_counts"

    facet: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
