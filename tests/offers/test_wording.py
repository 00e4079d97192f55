"""Words people read on offer pages: the state "Open" and the page title."""

from __future__ import annotations

import re

import pytest

from .conftest import LICENCE


@pytest.mark.parametrize(("lang", "word", "wrong"), [("zh_Hans", "待答复", "查看"), ("en", "Open", None)])
def test_an_open_offer_reads_as_awaiting_an_answer(client, login_as, world, offer_on, lang, word, wrong):
    offer = offer_on(world.listing, world.buyer, LICENCE)
    login_as(world.buyer)
    with client.session_transaction() as sess:
        sess["lang"] = lang
    index = client.get("/offers").get_data(as_text=True)
    tab = re.search(r'<a href="/offers\?status=open"[^>]*>([^<]*)</a>', index)
    assert tab and tab.group(1) == word  # the filter tab
    detail = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    badge = re.search(r'<span class="tag offer-status offer-open">([^<]*)</span>', detail)
    assert badge and badge.group(1) == word  # the status badge
    if wrong:
        assert f">{wrong}<" not in index.split('class="filter-tabs"')[1].split("</nav>")[0]


@pytest.mark.parametrize(("lang", "prefix"), [("zh_Hans", "报价："), ("en", "Offer: ")])
def test_the_offer_page_is_titled_by_its_listing(client, login_as, world, offer_on, lang, prefix):
    offer = offer_on(world.listing, world.buyer, LICENCE)
    login_as(world.buyer)
    with client.session_transaction() as sess:
        sess["lang"] = lang
    html = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    title = re.search(r"<title>([^<]*)</title>", html).group(1)
    assert title.startswith(prefix + world.listing.title + " · ")  # not "报价 10"
    assert not title.startswith(("报价 ", "Offer 1", "Offer 2", "Offer 3"))
