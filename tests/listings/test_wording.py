"""The state of an open demand reads as "collecting", not as "view"."""

from __future__ import annotations

import re

import pytest

from tests import factories


@pytest.mark.parametrize(("lang", "word"), [("zh_Hans", "征集中"), ("en", "Open")])
def test_an_open_demand_reads_as_collecting(client, db, lang, word):
    demand = factories.DemandFactory()
    db.session.flush()
    with client.session_transaction() as sess:
        sess["lang"] = lang
    html = client.get(f"/demands/{demand.id}").get_data(as_text=True)
    badge = re.search(r'<p><span class="tag">([^<]*)</span>', html)
    assert badge and badge.group(1) == word
    assert ">查看<" not in html
