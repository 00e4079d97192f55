"""Tests of the search backends on a small fixed corpus: every test that is
not about one engine's own machinery runs against Whoosh and, on PostgreSQL,
against the PostgreSQL full-text backend (the ``backend``/``fresh``/``empty``
fixtures of ``conftest.py`` are parametrized over both)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from marketplace.search.backend import (
    FACET_KEYS,
    PRICE_BUCKETS,
    PRICE_FACET,
    ListingDoc,
    SearchBackend,
    SearchQuery,
    SearchResult,
    price_bucket,
)
from marketplace.search.whoosh_backend import IndexBusyError, WhooshBackend

from .corpus import CORPUS, NEWEST_ORDER, _doc


def ids(result: SearchResult) -> list[int]:
    return [hit.id for hit in result.hits]


def search(b: WhooshBackend, q: str = "", **kw) -> SearchResult:
    return b.search(SearchQuery(q=q, **kw))


# -- interface ---------------------------------------------------------------


def test_implements_protocol(backend):
    assert isinstance(backend, SearchBackend)
    assert backend.count() == len(CORPUS)


def test_price_bucket_boundaries():
    assert price_bucket(None) == "negotiable"
    assert price_bucket(0) == "lt_100k"
    assert price_bucket(9_999_999) == "lt_100k"
    assert price_bucket(10_000_000) == "100k_1m"
    assert price_bucket(99_999_999) == "100k_1m"
    assert price_bucket(100_000_000) == "1m_10m"
    assert price_bucket(999_999_999) == "1m_10m"
    assert price_bucket(1_000_000_000) == "gte_10m"


def test_empty_index(empty):
    b = empty
    assert b.count() == 0
    for query in (SearchQuery(), SearchQuery(q="大豆", filters={"region": ["230100"]})):
        result = b.search(query)
        assert result.hits == [] and result.total == 0
        assert set(result.facets) == {*FACET_KEYS, PRICE_FACET}
        assert result.facets[PRICE_FACET] == dict.fromkeys(PRICE_BUCKETS, 0)


# -- text ----------------------------------------------------------------------


def test_chinese_word_finds_compounds(backend):
    result = search(backend, "大豆")
    assert set(ids(result)) == {1, 2}
    assert result.total == 2


def test_chinese_compound_query(backend):
    result = search(backend, "大豆蛋白")
    assert ids(result)[0] == 1  # the whole word beats the listing with only 大豆


def test_english_query_with_stemming(backend):
    result = search(backend, "graphene anode")
    assert ids(result)[0] == 3  # both words
    assert set(ids(result)) == {3, 4, 5}  # 4: graphene only, 5: anode only
    assert set(ids(search(backend, "Anodes"))) == {3, 5}
    assert ids(search(backend, "GRAPHENE ANODE"))[0] == 3


def test_mixed_chinese_english_query(backend):
    result = search(backend, "石墨烯 anode")
    assert ids(result)[0] == 5  # the only listing with both words
    assert set(ids(result)) == {3, 4, 5}


def test_all_words_rank_first_but_some_words_still_match(backend):
    result = search(backend, "大豆 播种机")
    assert ids(result) == [2, 1]
    assert result.hits[0].score > result.hits[1].score
    result = search(backend, "水稻 snowmaking")
    assert set(ids(result)) == {7, 9}


def test_full_width_and_case_are_normalised(backend):
    assert ids(search(backend, "ＧＲＡＰＨＥＮＥ ａｎｏｄｅ"))[0] == 3


def test_no_match(backend):
    result = search(backend, "量子计算 blockchain")
    assert result.total == 0 and result.hits == []
    assert result.facets["industry"] == {}


@pytest.mark.parametrize(
    "q",
    [
        '"',
        "'",
        '"unbalanced phrase',
        "(",
        ")",
        "[",
        "]",
        "{}",
        "[a TO",
        "AND OR NOT",
        "AND",
        "NOT 大豆",
        "*",
        "?",
        ":",
        "title_zh:大豆",
        "大豆 AND",
        "graphene~2",
        "gra*",
        "^3",
        "\\",
        "<script>alert(1)</script>",
        "%",
        "\x00",
        "\u3000",
        "🙂",
        "a" * 2000,
        "大豆" * 1000,
        "graphene " * 300,
        " ".join(["石墨烯", "anode"] * 500),
        "的",
        "-",
        "+大豆 -石墨烯",
        "/regex/",
    ],
)
def test_hostile_queries_never_raise(backend, q):
    result = backend.search(SearchQuery(q=q, filters={"region": ["230100", "x"]}, per_page=5))
    assert isinstance(result, SearchResult)
    assert result.total >= len(result.hits)
    assert set(result.facets) == {*FACET_KEYS, PRICE_FACET}


def test_syntax_characters_are_plain_text(backend):
    assert {1, 2} <= set(ids(search(backend, "title_zh:大豆")))
    assert {1, 2} <= set(ids(search(backend, '"大豆" AND (')))
    assert search(backend, "AND OR NOT * :").total == 0


def test_hostile_paging_and_unknown_values(backend):
    result = backend.search(SearchQuery(page=-3, per_page=0, sort="bogus", filters={"nope": ["x"]}))
    assert result.page == 1 and result.per_page == 1
    assert ids(result) == [7]
    assert backend.search(SearchQuery(per_page=10_000)).per_page == 100
    assert backend.search(SearchQuery(filters={"industry": ["no_such_industry"]})).total == 0


def test_sloppy_query_values_from_the_app(backend):
    result = backend.search(
        SearchQuery(
            q=None,  # type: ignore[arg-type]
            filters={"region": "230100", "industry": [None, 3], "maturity": 5},  # type: ignore[dict-item]
            min_price_fen="abc",  # type: ignore[arg-type]
            max_price_fen="100000000",  # type: ignore[arg-type]
            page="x",  # type: ignore[arg-type]
            per_page=None,  # type: ignore[arg-type]
        )
    )
    assert (result.page, result.per_page) == (1, 20)
    assert ids(result) == [6, 8, 3, 1]  # region 230100, price <= 1,000,000 yuan, newest first


# -- facets --------------------------------------------------------------------


ALL_FACETS = {
    "industry": {
        "agri_processing": 2,
        "agri_machinery": 1,
        "new_materials": 3,
        "high_end_equipment": 1,
        "ice_snow": 1,
        "biology": 1,
    },
    "deal_kind": {"license": 5, "transfer": 4, "equity": 2},
    "ip_kind": {
        "invention_patent": 4,
        "utility_model": 1,
        "technical_secret": 1,
        "software_copyright": 1,
        "design_patent": 1,
        "achievement": 1,
        "plant_variety": 1,
    },
    "source_kind": {"university": 2, "enterprise": 4, "research_institute": 3},
    "region": {"230100": 4, "231200": 1, "230600": 1, "230200": 1, "231000": 1, "232700": 1},
    "maturity": {"pilot": 3, "mass_production": 2, "lab": 2, "small_batch": 2},
    "trl": {},  # none of the corpus is evaluated
    PRICE_FACET: {"negotiable": 2, "lt_100k": 2, "100k_1m": 2, "1m_10m": 2, "gte_10m": 1},
}


def test_facets_without_filters(backend):
    result = search(backend)
    assert result.total == 9
    assert result.facets == ALL_FACETS


def test_multi_select_facets(backend):
    result = search(backend, filters={"industry": ["new_materials", "agri_processing"], "region": ["230100"]})
    assert sorted(ids(result)) == [1, 3, 8]
    assert result.total == 3
    # own filter not applied: industry counts within region 230100 (1, 3, 6, 8)
    assert result.facets["industry"] == {"agri_processing": 2, "new_materials": 1, "high_end_equipment": 1}
    # region counts within the two industries (1, 3, 4, 5, 8)
    assert result.facets["region"] == {"230100": 3, "230600": 1, "230200": 1}
    # other facets see both filters (1, 3, 8)
    assert result.facets["deal_kind"] == {"license": 2, "transfer": 2}
    assert result.facets["source_kind"] == {"university": 1, "research_institute": 2}
    assert result.facets[PRICE_FACET] == {
        "negotiable": 0,
        "lt_100k": 1,
        "100k_1m": 1,
        "1m_10m": 1,
        "gte_10m": 0,
    }


def test_multi_valued_facet_filter(backend):
    result = search(backend, filters={"ip_kind": ["technical_secret", "utility_model"]})
    assert sorted(ids(result)) == [2, 4]
    assert result.facets["ip_kind"] == ALL_FACETS["ip_kind"]
    assert result.facets["industry"] == {"agri_machinery": 1, "new_materials": 1}
    result = search(backend, filters={"deal_kind": ["equity"], "ip_kind": ["invention_patent"]})
    assert sorted(ids(result)) == [4, 5]
    assert result.facets["deal_kind"] == {"license": 3, "transfer": 1, "equity": 2}  # 1, 3, 5 / 1 / 4, 5
    assert result.facets["ip_kind"] == {"invention_patent": 2, "technical_secret": 1}


def test_facets_follow_the_text_query(backend):
    result = search(backend, "石墨烯")
    assert sorted(ids(result)) == [4, 5]
    assert result.facets["industry"] == {"new_materials": 2}
    assert result.facets["region"] == {"230600": 1, "230200": 1}
    result = search(backend, "石墨烯", filters={"region": ["230600"]})
    assert ids(result) == [4]
    assert result.facets["region"] == {"230600": 1, "230200": 1}
    assert result.facets["industry"] == {"new_materials": 1}
    assert result.facets[PRICE_FACET] == {
        "negotiable": 0,
        "lt_100k": 0,
        "100k_1m": 0,
        "1m_10m": 1,
        "gte_10m": 0,
    }


def _oracle(query: SearchQuery, skip: str | None) -> list[ListingDoc]:
    out = []
    for doc in CORPUS:
        values = doc.facet_values()
        if all(
            set(values[key]) & set(wanted)
            for key, wanted in query.filters.items()
            if wanted and key != skip and key in FACET_KEYS
        ):
            out.append(doc)
    return out


@pytest.mark.parametrize(
    "filters",
    [
        {"industry": ["new_materials"]},
        {"deal_kind": ["license", "equity"], "maturity": ["pilot", "lab"]},
        {"source_kind": ["enterprise"], "region": ["230100", "231000"], "ip_kind": ["design_patent"]},
        {"region": ["232700"], "deal_kind": ["transfer"]},
        {"industry": ["agri_processing", "biology"], "deal_kind": ["license"], "maturity": ["pilot"]},
    ],
)
def test_facets_match_a_brute_force_oracle(backend, filters):
    query = SearchQuery(filters=filters)
    result = backend.search(query)
    assert sorted(ids(result)) == sorted(d.id for d in _oracle(query, None))
    for key in FACET_KEYS:
        expected: dict[str, int] = {}
        for doc in _oracle(query, key):
            for value in doc.facet_values()[key]:
                expected[value] = expected.get(value, 0) + 1
        assert result.facets[key] == expected, key
    expected_prices = dict.fromkeys(PRICE_BUCKETS, 0)
    for doc in _oracle(query, None):
        expected_prices[price_bucket(doc.price_fen)] += 1
    assert result.facets[PRICE_FACET] == expected_prices


# -- price ---------------------------------------------------------------------


def test_price_filters_are_inclusive_and_exclude_negotiable(backend):
    result = search(backend, min_price_fen=10_000_000, max_price_fen=200_000_000)
    assert sorted(ids(result)) == [3, 4, 6, 8]
    # the price facet ignores the price filter, the others apply it
    assert result.facets[PRICE_FACET] == ALL_FACETS[PRICE_FACET]
    assert result.facets["industry"] == {"new_materials": 2, "high_end_equipment": 1, "agri_processing": 1}
    assert ids(search(backend, min_price_fen=1_000_000_000)) == [5]
    assert sorted(ids(search(backend, max_price_fen=9_999_999))) == [1, 7]
    assert search(backend, min_price_fen=300, max_price_fen=200).total == 0


def test_price_filter_with_text_and_facets(backend):
    result = search(backend, "石墨烯 anode", max_price_fen=200_000_000, filters={"deal_kind": ["license"]})
    assert ids(result) == [3]
    assert result.facets["deal_kind"] == {"license": 1, "equity": 1}  # 3 / 4
    assert result.facets[PRICE_FACET] == {
        "negotiable": 0,
        "lt_100k": 0,
        "100k_1m": 1,
        "1m_10m": 0,
        "gte_10m": 1,
    }


# -- sorting and paging ----------------------------------------------------------


def test_default_sorts(backend):
    assert ids(search(backend)) == NEWEST_ORDER  # no text: newest
    assert ids(search(backend, sort="relevance")) == NEWEST_ORDER
    assert ids(search(backend, "graphene anode"))[0] == 3  # text: relevance


def test_price_sorts_put_negotiable_last(backend):
    assert ids(search(backend, sort="price_asc")) == [1, 7, 6, 3, 8, 4, 5, 2, 9]
    assert ids(search(backend, sort="price_desc")) == [5, 4, 8, 3, 6, 7, 1, 2, 9]
    assert ids(search(backend, "石墨烯 anode", sort="price_asc")) == [3, 4, 5]
    assert ids(search(backend, "大豆", sort="price_desc")) == [1, 2]


def test_sort_newest_with_text(backend):
    assert ids(search(backend, "石墨烯 anode", sort="newest")) == [4, 3, 5]


def test_pagination(backend):
    pages = [ids(search(backend, per_page=4, page=p)) for p in (1, 2, 3)]
    assert pages == [NEWEST_ORDER[:4], NEWEST_ORDER[4:8], NEWEST_ORDER[8:]]
    beyond = search(backend, per_page=4, page=4)
    assert beyond.hits == [] and beyond.total == 9 and beyond.page == 4
    assert beyond.facets == ALL_FACETS
    far = search(backend, "graphene", page=99)
    assert far.hits == [] and far.total == 2


def test_relevance_pagination_is_consistent(backend):
    whole = ids(search(backend, "石墨烯 anode 大豆 水稻", per_page=50))
    paged = [
        i for p in range(1, 5) for i in ids(search(backend, "石墨烯 anode 大豆 水稻", per_page=2, page=p))
    ]
    assert paged == whole
    assert sorted(whole) == [1, 2, 3, 4, 5, 9]


# -- highlights ------------------------------------------------------------------


def test_highlights_mark_terms(backend):
    hit = search(backend, "大豆").hits[0]
    assert "<mark>大豆</mark>" in hit.highlights["title_zh"]
    hit = search(backend, "graphene anodes").hits[0]
    assert hit.highlights["title_en"] == (
        "<mark>Graphene</mark> <mark>anode</mark> material for lithium-ion batteries"
    )
    assert "title_zh" not in hit.highlights
    assert search(backend).hits[0].highlights == {}


def test_highlights_escape_html(backend):
    hit = search(backend, "玉米").hits[0]
    assert hit.id == 8
    title = hit.highlights["title_zh"]
    assert "<script>" not in title and "<b>" not in hit.highlights["abstract_zh"]
    assert title == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>玉米</mark>深加工 &amp; 淀粉"
    assert hit.highlights["abstract_zh"] == "<mark>玉米</mark> &lt;b&gt;淀粉&lt;/b&gt; 收率 &gt; 70%"
    # a query for the markup itself matches words, never injects it
    hit = search(backend, "<script>alert").hits[0]
    assert "<script>" not in hit.highlights.get("title_zh", "")


def test_long_abstract_is_cut_around_the_match(fresh):
    text = "前言" * 150 + "大豆蛋白" + "结论" * 150
    fresh.upsert([_doc(50, title_zh="长文", abstract_zh=text)])
    hit = next(h for h in search(fresh, "大豆蛋白").hits if h.id == 50)
    snippet = hit.highlights["abstract_zh"]
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>大豆蛋白</mark>" in snippet
    assert len(snippet) < 200


# -- writing ---------------------------------------------------------------------


def test_upsert_replaces_and_adds(fresh):
    assert fresh.upsert([replace(CORPUS[0], title_zh="马铃薯全粉加工", abstract_zh="", keywords=[])]) == 1
    assert fresh.count() == 9
    assert ids(search(fresh, "大豆")) == [2]
    assert ids(search(fresh, "马铃薯")) == [1]
    fresh.upsert([_doc(10, title_zh="大豆异黄酮", industry="biology", price_fen=1)])
    assert fresh.count() == 10
    assert set(ids(search(fresh, "大豆"))) == {2, 10}
    result = search(fresh, filters={"industry": ["biology"]})
    assert sorted(ids(result)) == [9, 10]
    assert result.facets[PRICE_FACET]["lt_100k"] == 1
    assert fresh.upsert([]) == 0


def test_upsert_moves_facet_counts(fresh):
    fresh.upsert([replace(CORPUS[2], industry="energy", region="230600")])
    facets = search(fresh).facets
    assert facets["industry"]["new_materials"] == 2
    assert facets["industry"]["energy"] == 1
    assert facets["region"]["230100"] == 3 and facets["region"]["230600"] == 2


def test_delete(fresh):
    assert fresh.delete([1, 3, 999]) == 2
    assert fresh.count() == 7
    assert ids(search(fresh, "大豆")) == [2]
    assert set(ids(search(fresh, "graphene anode"))) == {4, 5}
    facets = search(fresh).facets
    assert facets["industry"]["new_materials"] == 2
    assert facets["industry"]["agri_processing"] == 1
    assert fresh.delete([1]) == 0
    assert fresh.delete([]) == 0


def test_changes_are_seen_by_other_instances(whoosh_fresh):
    fresh = whoosh_fresh
    other = WhooshBackend(fresh.index_dir)
    assert other.count() == 9
    fresh.delete([9])
    assert other.count() == 8
    other.upsert([_doc(11, title_zh="寒地水稻")])
    assert ids(search(fresh, "水稻")) == [11]
    other.close()


def _filler(n: int, start: int = 1000) -> list[ListingDoc]:
    return [
        _doc(start + i, title_zh=f"新材料样品{i}", title_en="filler listing", industry="new_materials")
        for i in range(n)
    ]


@pytest.mark.parametrize("procs", [1, 2])
def test_rebuild_swaps_atomically(tmp_path, procs):
    index_dir = str(tmp_path / "index")
    writer = WhooshBackend(index_dir, procs=procs, lock_timeout=0.2)
    writer.rebuild(CORPUS)
    reader = WhooshBackend(index_dir)
    assert reader.count() == 9
    seen: list[tuple[int, int, int]] = []
    busy: list[bool] = []

    def progress(done: int) -> None:
        # mid-build, a reader that was open and a newly opened one both see the old index
        late = WhooshBackend(index_dir, lock_timeout=0.1)
        seen.append((done, reader.count(), late.search(SearchQuery(q="大豆")).total))
        if done < 2500:  # the last call comes after the commit
            try:
                late.upsert([_doc(77, title_zh="并发写入")])
            except IndexBusyError:
                busy.append(True)
        late.close()

    new_docs = _filler(2500)
    assert writer.rebuild(new_docs, progress=progress) == 2500
    assert seen[:2] == [(1000, 9, 2), (2000, 9, 2)]
    assert seen[-1][0] == 2500
    assert busy == [True, True]  # the rebuild holds the write lock
    assert reader.count() == 2500
    assert search(reader, "大豆").total == 0
    assert search(reader, "filler").total == 2500
    assert search(reader, filters={"industry": ["new_materials"]}).facets["industry"] == {
        "new_materials": 2500
    }
    reader.close()
    writer.close()


def test_rebuild_keeps_first_of_duplicate_ids(empty):
    b = empty
    assert b.rebuild([CORPUS[0], replace(CORPUS[0], title_zh="重复")]) == 1
    assert ids(search(b, "大豆")) == [1]


def test_rebuild_failure_keeps_old_index(fresh):
    def broken():
        yield from _filler(10)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        fresh.rebuild(broken())
    assert fresh.count() == 9
    assert fresh.upsert([_doc(12, title_zh="锁已释放")]) == 1  # the lock was released


@pytest.mark.parametrize("filters", [{"deal_kind": ["license"]}, {"region": ["230100"]}, {}])
def test_filters_with_a_price_range_count_like_an_oracle(backend, filters):
    low, high = 10_000_000, 1_000_000_000
    result = search(backend, filters=filters, min_price_fen=low, max_price_fen=high)

    def priced(doc):
        return doc.price_fen is not None and low <= doc.price_fen <= high

    query = SearchQuery(filters=filters)
    assert sorted(ids(result)) == sorted(d.id for d in _oracle(query, None) if priced(d))
    for key in FACET_KEYS:
        expected: dict[str, int] = {}
        for doc in _oracle(query, key):
            if priced(doc):
                for value in doc.facet_values()[key]:
                    expected[value] = expected.get(value, 0) + 1
        assert result.facets[key] == expected, key
    expected_prices = dict.fromkeys(PRICE_BUCKETS, 0)
    for doc in _oracle(query, None):
        expected_prices[price_bucket(doc.price_fen)] += 1
    assert result.facets[PRICE_FACET] == expected_prices
