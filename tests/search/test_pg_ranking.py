"""The PostgreSQL backend's bounded relevance window and grouped facet counts
on more hits than the window holds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.search import pg_backend
from marketplace.search.backend import SearchQuery

from .corpus import CORPUS, _doc

pytestmark = pytest.mark.postgres

BASE = CORPUS[0].published_at


@pytest.fixture
def pg(pg_connection):
    from .conftest import _pg_backend

    savepoint = pg_connection.begin_nested()
    backend, session = _pg_backend(pg_connection)
    docs = [
        # 1..6: "轴承" in the abstract only, newest first by id
        *(
            _doc(i, title_zh=f"样品{i}", abstract_zh="轴承", published_at=BASE + timedelta(days=i))
            for i in range(1, 7)
        ),
        # 7: "轴承" in the title but the oldest listing
        _doc(7, title_zh="轴承", published_at=BASE - timedelta(days=30)),
        # 8: both words, old
        _doc(8, title_zh="轴承 润滑", published_at=BASE - timedelta(days=20)),
    ]
    backend.rebuild(docs)
    yield backend
    session.close()
    savepoint.rollback()


def ids(result) -> list[int]:
    return [h.id for h in result.hits]


def test_few_hits_are_ranked_exactly(pg):
    assert ids(pg.search(SearchQuery(q="轴承 润滑")))[:2] == [8, 7]


def test_window_ranks_the_newest_and_every_word_first_then_the_rest_newest_first(pg, monkeypatch):
    monkeypatch.setattr(pg_backend, "RANK_WINDOW", 3)
    monkeypatch.setattr(pg_backend, "_DENSE_HITS", 0)
    whole = pg.search(SearchQuery(q="轴承 润滑", per_page=50))
    # the window: 8 (newest with both words) and the 3 newest with any word (6, 5, 4);
    # then the rest newest first: 3, 2, 1, 7 (the title match is outside the window)
    assert ids(whole) == [8, 6, 5, 4, 3, 2, 1, 7]
    assert whole.total == 8
    assert whole.hits[0].score > 1 > whole.hits[1].score >= whole.hits[3].score > 0
    assert all(h.score == 0.0 for h in whole.hits[4:])
    paged = [i for p in range(1, 6) for i in ids(pg.search(SearchQuery(q="轴承 润滑", per_page=2, page=p)))]
    assert paged == ids(whole)
    # a page that straddles the end of the window
    assert ids(pg.search(SearchQuery(q="轴承 润滑", per_page=3, page=2))) == [4, 3, 2]


def test_window_does_not_change_totals_or_facets(pg, monkeypatch):
    query = SearchQuery(q="轴承", filters={"region": ["230100"]}, min_price_fen=None)
    exact = pg.search(query)
    monkeypatch.setattr(pg_backend, "RANK_WINDOW", 2)
    windowed = pg.search(query)
    assert (windowed.total, windowed.facets) == (exact.total, exact.facets) == (8, exact.facets)
    assert sorted(ids(windowed)) == sorted(ids(exact))


def test_facet_keys_stay_in_the_row(pg, pg_connection):
    from sqlalchemy import text

    storage = dict(
        pg_connection.execute(
            text(
                "SELECT attname, attstorage FROM pg_attribute"
                " WHERE attrelid = 'search_documents'::regclass AND attname IN"
                " ('facet_item', 'facet_origin', 'facet_terms', 'deal_kinds', 'ip_kinds')"
            )
        ).all()
    )
    assert storage == dict.fromkeys(
        ["facet_item", "facet_origin", "facet_terms", "deal_kinds", "ip_kinds"], "p"
    )
