"""What only the PostgreSQL backend has: the tsvector literal, the kept facet
counts, and writing documents in the listing's own transaction."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from marketplace.search.backend import FACET_KEYS, PRICE_BUCKETS, PRICE_FACET, SearchQuery

from .corpus import CORPUS, _doc

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg(request, pg_connection):
    from .conftest import _pg_backend

    savepoint = pg_connection.begin_nested()
    backend, session = _pg_backend(pg_connection)
    backend.rebuild(CORPUS)
    yield backend
    session.close()
    savepoint.rollback()


def counted(backend) -> dict:
    """Facet counts computed from the rows (a filter every row passes forces counting)."""
    everything = {"source_kind": ["university", "enterprise", "research_institute", "other"]}
    result = backend.search(SearchQuery(filters=everything))
    facets = dict(result.facets)
    facets.pop("source_kind")
    return facets


def kept(backend) -> dict:
    facets = dict(backend.search(SearchQuery()).facets)
    facets.pop("source_kind")
    return facets


def test_kept_counts_follow_every_write(pg):
    assert kept(pg) == counted(pg)
    pg.upsert([replace(CORPUS[2], industry="energy", deal_kinds=["equity", "transfer"], price_fen=None)])
    pg.upsert([_doc(40, title_zh="新增", industry="biology", region="231000", price_fen=1)])
    pg.delete([1, 9, 999])
    assert kept(pg) == counted(pg)
    facets = kept(pg)
    assert facets["industry"]["energy"] == 1 and facets["industry"]["biology"] == 1
    assert pg.search(SearchQuery()).total == pg.count() == 8
    assert set(facets[PRICE_FACET]) == set(PRICE_BUCKETS)
    pg.rebuild([])
    empty = pg.search(SearchQuery())
    assert empty.total == 0 and all(empty.facets[k] == {} for k in FACET_KEYS)


def test_terms_with_quotes_and_backslashes_are_literal(pg):
    pg.upsert([_doc(41, title_en="O'Brien's back\\slash reactor", keywords=["it's", "a\\b"])])
    assert [h.id for h in pg.search(SearchQuery(q="O'Brien")).hits] == [41]
    assert [h.id for h in pg.search(SearchQuery(q="back\\slash")).hits] == [41]
    assert pg.search(SearchQuery(q="'")).total == 0


def test_rebuild_with_two_processes_gives_the_same_index(pg):
    before = pg.search(SearchQuery(q="石墨烯 anode 大豆", per_page=50))
    pg.procs = 2
    assert pg.rebuild(CORPUS + [replace(CORPUS[0], title_zh="重复")]) == len(CORPUS)
    after = pg.search(SearchQuery(q="石墨烯 anode 大豆", per_page=50))
    assert [(h.id, h.highlights) for h in after.hits] == [(h.id, h.highlights) for h in before.hits]
    assert after.facets == before.facets


def test_odd_facet_values_survive_the_copy(pg):
    pg.rebuild([_doc(44, title_zh="怪值", title_en="O'Brien back\\slash", deal_kinds=['a"b', "c\\d", "e,f"])])
    assert pg.search(SearchQuery(q="怪值")).facets["deal_kind"] == {'a"b': 1, "c\\d": 1, "e,f": 1}
    assert [h.id for h in pg.search(SearchQuery(q="back\\slash O'Brien")).hits] == [44]


def test_ranking_weights_title_over_abstract(pg):
    pg.upsert(
        [
            _doc(42, title_zh="马铃薯淀粉", published_at=CORPUS[0].published_at),
            _doc(43, title_zh="其他", abstract_zh="马铃薯淀粉", published_at=CORPUS[6].published_at),
        ]
    )
    assert [h.id for h in pg.search(SearchQuery(q="马铃薯")).hits] == [42, 43]


# -- through the app ------------------------------------------------------------------


@pytest.fixture
def pg_app_backend(app, db):
    from marketplace.search.pg_backend import PostgresBackend
    from marketplace.search.service import get_backend, set_backend

    previous = get_backend()
    backend = PostgresBackend(lambda: db.session, live_listings=True)
    backend.rebuild([])
    set_backend(backend)
    yield backend
    set_backend(previous)


def _published_listing(db):
    from marketplace.listings import services
    from tests import factories
    from tests.listings.conftest import make_listing

    seller = factories.user_with_role("seller")
    admin = factories.user_with_role("admin")
    listing = make_listing(seller, title_zh="寒地大豆蛋白提取", title_en="Soy protein extraction")
    services.submit_listing(listing, actor=seller)
    services.publish_listing(listing, actor=admin)
    return listing, admin


def test_publish_writes_the_document_in_the_same_transaction(db, pg_app_backend):
    from marketplace.listings import services
    from marketplace.search.outbox import SearchOutbox

    savepoint = db.session.begin_nested()
    listing, admin = _published_listing(db)
    assert [h.id for h in pg_app_backend.search(SearchQuery(q="大豆")).hits] == [listing.id]
    assert [h.id for h in pg_app_backend.search(SearchQuery(q="proteins")).hits] == [listing.id]
    assert db.session.query(SearchOutbox).count() == 0  # nothing to drain
    services.withdraw_listing(listing, actor=admin)
    assert pg_app_backend.search(SearchQuery(q="大豆")).total == 0
    savepoint.rollback()
    assert pg_app_backend.count() == 0


def test_changes_during_a_reindex_leave_an_outbox_row_that_the_reindex_applies(app, db, pg_app_backend):
    from marketplace.search.outbox import SearchOutbox
    from marketplace.search.pg_backend import REBUILD_LOCK
    from marketplace.search.service import reindex

    other = db.engine.connect()
    try:
        with other.begin():
            other.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": REBUILD_LOCK})
            listing, _ = _published_listing(db)  # a reindex "runs" in the other connection
            rows = db.session.query(SearchOutbox).all()
            assert [(r.listing_id, r.op) for r in rows] == [(listing.id, "upsert")]
            assert pg_app_backend.search(SearchQuery(q="大豆")).total == 1
    finally:
        other.close()
    assert reindex() == 1
    assert db.session.query(SearchOutbox).count() == 0
    assert [h.id for h in pg_app_backend.search(SearchQuery(q="Soy")).hits] == [listing.id]
