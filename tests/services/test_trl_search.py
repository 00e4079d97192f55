"""TRL is a search facet, in the Whoosh and the PostgreSQL backends: an evaluated
listing is found by `trl`, counted under it, and carries it in the listings API."""

from __future__ import annotations

import pytest

from marketplace.services import evaluations
from tests import factories
from tests.services.factories import provider_user


@pytest.fixture(params=["whoosh", pytest.param("postgres", marks=pytest.mark.postgres)])
def search_index(request, app, db):
    from marketplace.search.service import get_backend, set_backend

    if request.param == "whoosh":
        backend = get_backend()
        backend.rebuild([])
        yield backend
        backend.rebuild([])
        return
    from marketplace.search.pg_backend import PostgresBackend

    previous = get_backend()
    backend = PostgresBackend(lambda: db.session, live_listings=True)
    backend.rebuild([])
    set_backend(backend)
    try:
        yield backend
    finally:
        backend.rebuild([])
        set_backend(previous)


def test_trl_is_a_facet_and_a_filter(db, api, search_index, in_request):
    from marketplace.search.service import reindex

    seller = factories.user_with_role("seller")
    staff, body = provider_user("evaluation")
    evaluated = factories.ListingFactory(seller=seller, published=True)
    other = factories.ListingFactory(seller=seller, published=True)
    e = evaluations.ask(evaluated.assets[0], body, actor=seller)
    evaluations.record_result(
        e, actor=staff, trl=6, novelty="domestic_leading", maturity="pilot", value_low_fen=1, value_high_fen=2
    )
    db.session.flush()
    assert reindex() == 2
    found = api().get("/api/v1/listings?trl=6").get_json()
    assert [i["id"] for i in found["items"]] == [evaluated.id] and found["items"][0]["trl"] == 6
    everything = api().get("/api/v1/listings").get_json()
    assert everything["facets"]["trl"] == {"6": 1} and everything["total"] == 2
    assert {i["id"] for i in everything["items"]} == {evaluated.id, other.id}
    assert api().get("/api/v1/listings?trl=10").status_code == 422
    page = api().get("/listings?trl=6&lang=en").get_data(as_text=True)
    assert "TRL 6" in page
