"""Exact facet counts of the PostgreSQL search backend, in SQL.

Each search document carries its facet values in three grouped keys, JSON
arrays kept in the row (see ``SearchDocument``): ``facet_item`` = [industry,
maturity, price bucket], ``facet_origin`` = [source kind, region, TRL],
``facet_terms`` = [deal kinds, IP kinds]. :func:`count_facets` counts every
facet, the price buckets and the total in one pass over the matching rows,
with three small hash tables (``GROUPING SETS``) instead of one scan per facet
and an ``unnest`` per array row; the text match comes from the GIN index, so
no row's tsvector is read.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from .backend import FACET_KEYS, PRICE_BUCKETS, PRICE_FACET, ListingDoc, price_bucket
from .whoosh_backend import _empty_facets

#: Scalar facet key -> column.
_SCALAR = {
    "industry": "industry",
    "source_kind": "source_kind",
    "region": "region",
    "maturity": "maturity",
    "trl": "trl",
}
#: Multi-valued facet key -> array column.
_ARRAY = {"deal_kind": "deal_kinds", "ip_kind": "ip_kinds"}


def facet_keys(doc: ListingDoc) -> dict[str, str]:
    """The three grouped facet keys of a listing (JSON arrays; see ``SearchDocument``)."""
    values = doc.facet_values()
    return {
        "facet_item": json.dumps(
            [doc.industry or None, doc.maturity or None, price_bucket(doc.price_fen)], ensure_ascii=False
        ),
        "facet_origin": json.dumps(
            [doc.source_kind or None, doc.region or None, doc.trl or None], ensure_ascii=False
        ),
        "facet_terms": json.dumps(
            [sorted(set(values["deal_kind"])), sorted(set(values["ip_kind"]))], ensure_ascii=False
        ),
    }


def kept_facets(s: Session) -> tuple[dict[str, dict[str, int]], int]:
    facets = _empty_facets()
    total = 0
    for facet, value, n in s.execute(text("SELECT facet, value, n FROM search_facet_counts WHERE n > 0")):
        if facet == "_total":
            total = int(n)
        elif facet in facets:
            facets[facet][value] = int(n)
    return facets, total


def own_counts(s: Session, key: str, price_flag: str, params: dict[str, Any]) -> dict[str, int]:
    if key in _SCALAR:
        col = _SCALAR[key]
        sql = f"SELECT {col}, count(*) FROM search_documents WHERE {price_flag} AND {col} IS NOT NULL GROUP BY {col}"
    else:
        sql = f"SELECT v, count(*) FROM search_documents, unnest({_ARRAY[key]}) AS v WHERE {price_flag} GROUP BY v"
    return {value: int(n) for value, n in s.execute(text(sql), params) if n}


def count_facets(
    s: Session,
    where: list[str],
    flags: dict[str, str],
    price_flag: str | None,
    params: dict[str, Any],
) -> tuple[dict[str, dict[str, int]], int]:
    """Facet counts and the total in one pass over the rows failing at most one filter.

    Each admitted row gets ``g``: 0 when it passes every filter, ``i`` when
    it fails only the ``i``-th one. The rows are grouped by ``g`` and each
    of the three facet keys (GROUPING SETS: one scan, three small hash
    tables); a group counts towards a facet when ``g`` is 0 or that
    facet's own filter.
    """
    own: str | None = None
    kept_own: dict[str, int] = {}
    sql_where = list(where)
    names = list(flags)
    if len(names) == 1 and not where:
        # No text, one facet filtered: that facet's own counts are the kept
        # ones; every other count needs only the rows that pass the filter.
        own = names[0]
        kept_own = kept_facets(s)[0][own]
        sql_where.append(flags[own])
        names = []
    conds = [(key, flags[key]) for key in names]
    if price_flag is not None:
        conds.append((PRICE_FACET, price_flag))
    if len(conds) > 1:
        # rows failing at most one filter: OR over each filter left out
        sql_where.append(
            "("
            + " OR ".join("(" + " AND ".join(c for k, c in conds if k != skip) + ")" for skip, _ in conds)
            + ")"
        )
    if conds:
        cases = " ".join(f"WHEN NOT COALESCE({c}, FALSE) THEN {i}" for i, (_, c) in enumerate(conds, start=1))
        group = f"CASE {cases} ELSE 0 END"
    else:
        group = "0"
    sql = (
        "SELECT g, facet_item, facet_origin, facet_terms, count(*) AS n FROM ("
        f"SELECT {group} AS g, facet_item, facet_origin, facet_terms FROM search_documents"
        + ((" WHERE " + " AND ".join(sql_where)) if sql_where else "")
        + ") AS m GROUP BY GROUPING SETS ((g, facet_item), (g, facet_origin), (g, facet_terms))"
    )
    own_group = {key: i for i, (key, _) in enumerate(conds, start=1)}
    facets = _empty_facets()
    total = 0

    def add(facet: str, value: str | None, g: int, n: int) -> None:
        if value is not None and facet != own and (g == 0 or own_group.get(facet) == g):
            facets[facet][value] = facets[facet].get(value, 0) + n

    for g, item, origin, terms, n in s.execute(text(sql), params):
        g, n = int(g), int(n)
        if item is not None:
            industry, maturity, bucket = json.loads(item)
            if g == 0:
                total += n
            add("industry", industry, g, n)
            add("maturity", maturity, g, n)
            add(PRICE_FACET, bucket, g, n)
        elif origin is not None:
            source_kind, region, *rest = json.loads(origin)  # [source kind, region, TRL]
            add("source_kind", source_kind, g, n)
            add("region", region, g, n)
            add("trl", rest[0] if rest else None, g, n)
        elif terms is not None:
            deal_kinds, ip_kinds = json.loads(terms)
            for value in deal_kinds:
                add("deal_kind", value, g, n)
            for value in ip_kinds:
                add("ip_kind", value, g, n)
    if own is not None:
        if price_flag is None:
            facets[own] = dict(kept_own)
        else:  # the own facet with the price filter applied: count it over the priced rows
            facets[own] = own_counts(s, own, price_flag, params)
    for bucket in PRICE_BUCKETS:
        facets[PRICE_FACET].setdefault(bucket, 0)
    for key in FACET_KEYS:
        facets.setdefault(key, {})
    return facets, total
