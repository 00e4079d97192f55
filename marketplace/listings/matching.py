"""Supply-demand matching: demands against published listings, both ways.

Score of a (demand, listing) pair, 0-100 (`score_pair`):

    score = 30 x [same industry]
          + 70 x coverage

where *coverage* is the weighted share of the demand's words found in the
listing's text (titles, abstracts, keywords, problem). The demand's words are
cut by jieba (the same dictionary as the search index): words of the title
weigh 2, words of the description weigh 1 (its first 30 distinct words);
stop words, punctuation and single Latin letters are ignored; a word counts as
found when it occurs in the listing's text (case-insensitive), so "大豆" is
found in "大豆蛋白" and "anode" in "anodes".

Demand -> listings (`matches_for_demand`): the search backend retrieves the
candidates (every published listing containing any of the demand's words,
best BM25 first, at most `CANDIDATES`), each is scored as above, and the list
is ranked by score, then by the backend's order. Listing -> demands
(`matches_for_listing`): every open demand is scored against the listing
(demands are few compared with listings and are not in the index).

A pair scoring at least `NOTIFY_THRESHOLD` is notified (in the app) when the
later of the two appears: when a demand is posted, its buyer and the sellers
of matching listings; when a listing is published, its seller and the buyers
of matching demands. Each pair is therefore notified once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..notifications.services import N_, notify
from .models import Demand, Listing

INDUSTRY_WEIGHT = 30
TEXT_WEIGHT = 70
NOTIFY_THRESHOLD = 45
CANDIDATES = 100
MAX_DEMANDS_SCANNED = 2000
_DESCRIPTION_WORDS = 30

_STOP = frozenset(
    "a an and are as at be by can for from have if in is it may not of on or that the this to "
    "we will with our you your need needs seek seeking looking supplier technology "
    "的 了 和 与 及 等 在 是 为 对 用 求 寻求 求购 需要 希望 我们 公司 技术 一种 进行 相关".split()
)
_WORD = re.compile(r"\w", re.UNICODE)
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _cut(text: str) -> list[str]:
    from ..search.whoosh_backend import init_jieba

    init_jieba()
    import jieba

    return list(jieba.cut(text))


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for token in _cut(text or ""):
        word = token.strip().lower()
        if not word or word in _STOP or not _WORD.search(word):
            continue
        if len(word) == 1 and not _HAN.search(word):
            continue
        if len(word) == 1 and word in _STOP:
            continue
        if word not in out:
            out.append(word)
    return tuple(out)


def demand_terms(demand: Demand) -> dict[str, int]:
    """The demand's words with their weights (title 2, description 1)."""
    weights: dict[str, int] = {}
    for word in _words(demand.title or ""):
        weights[word] = 2
    for word in _words(demand.description or "")[:_DESCRIPTION_WORDS]:
        weights.setdefault(word, 1)
    return weights


def listing_text(listing: Listing) -> str:
    parts = [
        listing.title_zh,
        listing.title_en,
        listing.abstract_zh,
        listing.abstract_en,
        " ".join(listing.keywords or []),
        listing.problem,
    ]
    return " ".join(p for p in parts if p).lower()


def score_pair(terms: dict[str, int], industry: str | None, listing: Listing, text: str | None = None) -> int:
    """The 0-100 score of a demand (its words and industry) against a listing."""
    text = listing_text(listing) if text is None else text
    total = sum(terms.values())
    coverage = sum(w for word, w in terms.items() if word in text) / total if total else 0.0
    same_industry = 1 if industry and industry == listing.industry else 0
    return round(INDUSTRY_WEIGHT * same_industry + TEXT_WEIGHT * coverage)


@dataclass
class Match:
    score: int
    listing: Listing | None = None
    demand: Demand | None = None


def matches_for_demand(demand: Demand, *, limit: int = 20, min_score: int = 1) -> list[Match]:
    """Published listings matching a demand, best first."""
    from ..search.backend import SearchQuery
    from ..search.service import get_backend

    terms = demand_terms(demand)
    if not terms:
        return []
    query = SearchQuery(q=" ".join(terms)[:200], sort="relevance", page=1, per_page=CANDIDATES)
    result = get_backend().search(query)
    order = [hit.id for hit in result.hits]
    if not order:
        return []
    rows = {
        listing.id: listing
        for listing in db.session.scalars(
            select(Listing).where(Listing.id.in_(order), Listing.status == "published")
        )
    }
    scored = []
    for rank, listing_id in enumerate(order):
        listing = rows.get(listing_id)
        if listing is None:
            continue
        score = score_pair(terms, demand.industry, listing)
        if score >= min_score:
            scored.append((score, -rank, listing))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [Match(score=s, listing=listing) for s, _r, listing in scored[:limit]]


def matches_for_listing(listing: Listing, *, limit: int = 20, min_score: int = 1) -> list[Match]:
    """Open demands matching a published listing, best first."""
    text = listing_text(listing)
    demands = db.session.scalars(
        select(Demand)
        .where(Demand.status == "open")
        .order_by(Demand.created_at.desc())
        .limit(MAX_DEMANDS_SCANNED)
    )
    scored = []
    for demand in demands:
        score = score_pair(demand_terms(demand), demand.industry, listing, text)
        if score >= min_score:
            scored.append(Match(score=score, demand=demand))
    scored.sort(key=lambda m: (m.score, m.demand.created_at), reverse=True)
    return scored[:limit]


def _link(endpoint: str, **values: Any) -> str:
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _sellers_of(listing: Listing):
    from ..accounts.models import User

    if listing.created_by is not None and listing.created_by.is_active:
        return [listing.created_by]
    return list(
        db.session.scalars(
            select(User).where(
                User.organization_id == listing.org_id, User.role == "seller", User.status == "active"
            )
        )
    )


def notify_matches_for_demand(demand: Demand) -> list[Match]:
    """A demand was posted: tell its buyer and the sellers of good matches."""
    matches = matches_for_demand(demand, min_score=NOTIFY_THRESHOLD)
    if not matches:
        return matches
    if demand.created_by is not None:
        notify(
            demand.created_by,
            "demand.matches",
            N_("%(n)s listings match your demand %(title)s"),
            params={"n": len(matches), "title": demand.title},
            link=_link("listings.demand_detail", demand_id=demand.id),
        )
    for match in matches:
        for seller in _sellers_of(match.listing):
            notify(
                seller,
                "listing.demand_match",
                N_("A new demand matches your listing %(listing)s: %(demand)s"),
                params={"listing": match.listing.title, "demand": demand.title},
                link=_link("listings.demand_detail", demand_id=demand.id),
            )
    return matches


def notify_matches_for_listing(listing: Listing) -> list[Match]:
    """A listing was published: tell its seller and the buyers of matching demands."""
    matches = matches_for_listing(listing, min_score=NOTIFY_THRESHOLD)
    if not matches:
        return matches
    for seller in _sellers_of(listing):
        notify(
            seller,
            "listing.matches",
            N_("%(n)s open demands match your listing %(title)s"),
            params={"n": len(matches), "title": listing.title},
            link=_link("listings.detail", listing_id=listing.id),
        )
    for match in matches:
        buyer = match.demand.created_by
        if buyer is not None and buyer.is_active:
            notify(
                buyer,
                "demand.listing_match",
                N_("A newly published listing matches your demand %(demand)s: %(listing)s"),
                params={"demand": match.demand.title, "listing": listing.title},
                link=_link("listings.detail", listing_id=listing.id),
            )
    return matches
