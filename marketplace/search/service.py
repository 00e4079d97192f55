"""The app side of search: which backend, what goes into the index, and
searching published listings with the results checked against the database.

The database is the source of truth; the index only holds published listings
(`listing_docs_for` turns anything else into a deletion) and can always be
rebuilt (`reindex`, `flask search reindex`).

Backend choice: ``SEARCH_BACKEND`` in the app config or the environment:
``"whoosh"`` (the default; one host, the index in ``SEARCH_INDEX_DIR``),
``"postgres"`` (PostgreSQL full-text search in the app's database, for several
app servers; documents change in the listing's own transaction) or
``"package.module:factory"`` called with the app. The backend is created on first use, once per process, and
only then is jieba's dictionary loaded (about a second), so start-up and tests
that never search do not pay for it.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text

from ..core.catalog import INDUSTRIES, ORG_KINDS, REGIONS
from ..core.errors import ValidationError
from ..core.money import MAX_FEN, MoneyError, parse_yuan
from ..core.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE, Page
from ..extensions import db
from . import ports
from .backend import FACET_KEYS, PRICE_FACET, SORTS, Hit, ListingDoc, SearchBackend, SearchQuery

_backend_lock = threading.Lock()

#: The longest free-text query accepted (characters).
MAX_QUERY_CHARS = 200


def _create_backend(app) -> SearchBackend:
    spec = app.config.get("SEARCH_BACKEND") or os.environ.get("SEARCH_BACKEND") or "whoosh"
    if spec == "whoosh":
        from .whoosh_backend import WhooshBackend

        return WhooshBackend(app.config["SEARCH_INDEX_DIR"])
    if spec == "postgres":
        from .pg_backend import PostgresBackend

        if db.engine.dialect.name != "postgresql":
            raise RuntimeError("SEARCH_BACKEND=postgres needs DATABASE_URL to point at PostgreSQL")
        return PostgresBackend(lambda: db.session, live_listings=True)
    module_name, _, attr = spec.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    return factory(app)


def get_backend() -> SearchBackend:
    """The app's search backend, created on first use."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.extensions.get("search_backend")
    if backend is None:
        with _backend_lock:
            backend = app.extensions.get("search_backend")
            if backend is None:
                backend = app.extensions["search_backend"] = _create_backend(app)
    return backend


def set_backend(backend: SearchBackend | None) -> None:
    """Replace the app's backend (tests; None forgets it so the next use creates one)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if backend is None:
        app.extensions.pop("search_backend", None)
    else:
        app.extensions["search_backend"] = backend


# -- what the index holds ------------------------------------------------------
# The documents come from the listings domain, through the ports it plugs
# (search imports no listing code; see search/ports.py).


def listing_docs_for(ids: Iterable[int]) -> list[ListingDoc]:
    """Documents of those listings that are published now (the others must leave the index)."""
    ids = list(ids)
    if not ids:
        return []
    return ports.published_docs(ids)


def iter_published_docs(batch: int = 1000) -> Iterator[ListingDoc]:
    """Every published listing's document, in id order, read in batches."""
    return ports.iter_published_docs(batch)


def published_count() -> int:
    return ports.published_count()


def reindex(progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the index from the database and swap it in atomically.

    A rebuild is its own boundary (``flask search reindex``, never a request):
    it commits what it did itself, under the locks it holds.

    Outbox rows that existed when the rebuild started are covered by it and
    removed; rows added meanwhile stay for the next drain.

    With a transactional backend (PostgreSQL) the whole rebuild is one
    transaction holding the rebuild lock; listing changes committed meanwhile
    leave outbox rows (see :func:`write_through`), which are applied right
    after the swap, under the backend's write lock, and removed.
    """
    from .outbox import SearchOutbox, index_lock

    backend = get_backend()
    if getattr(backend, "transactional", False):
        from .pg_backend import REBUILD_LOCK

        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": REBUILD_LOCK})

        def after_swap() -> None:
            rows = list(db.session.scalars(select(SearchOutbox)))
            ids = sorted({row.listing_id for row in rows})
            docs = listing_docs_for(ids)
            live = {doc.id for doc in docs}
            backend.upsert(docs)
            backend.delete([i for i in ids if i not in live])
            if rows:
                db.session.execute(
                    SearchOutbox.__table__.delete().where(SearchOutbox.id.in_([r.id for r in rows]))
                )

        try:
            count = backend.rebuild(iter_published_docs(), progress=progress, after_swap=after_swap)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        return count
    with index_lock():
        high = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
        count = backend.rebuild(iter_published_docs(), progress=progress)
        db.session.execute(SearchOutbox.__table__.delete().where(SearchOutbox.id <= high))
        db.session.commit()
    return count


def write_through(listing_id: int) -> bool:
    """With a transactional backend, bring a listing's document up to date in
    the current transaction; False (nothing done) with the others.

    While a reindex runs (it holds the rebuild lock), an outbox row is left
    too, which the reindex applies after its swap, so the change is not lost
    under the rebuilt documents. Otherwise the shared rebuild lock is held
    until the commit, so a reindex starting meanwhile waits and reads this
    change.
    """
    backend = get_backend()
    if not getattr(backend, "transactional", False):
        return False
    from .outbox import OP_UPSERT, SearchOutbox

    db.session.flush()
    if not backend.try_share_rebuild_lock():
        db.session.add(SearchOutbox(listing_id=listing_id, op=OP_UPSERT))
    docs = listing_docs_for([listing_id])
    if docs:
        backend.upsert(docs)
    else:
        backend.delete([listing_id])
    return True


# -- searching -----------------------------------------------------------------


def facet_choices() -> dict[str, tuple[str, ...]]:
    """The values each filter accepts."""
    listing_facts = ports.listing_facet_values()
    return {
        "industry": tuple(INDUSTRIES),
        "deal_kind": tuple(listing_facts.get("deal_kind", ())),
        "ip_kind": tuple(listing_facts.get("ip_kind", ())),
        "source_kind": tuple(k for k in ORG_KINDS if k not in ("agency", "regulator")),
        "region": tuple(REGIONS),
        "maturity": tuple(listing_facts.get("maturity", ())),
        "trl": tuple(str(n) for n in range(1, 10)),
    }


@dataclass
class SearchParams:
    """A search as asked for, already checked."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    min_price_fen: int | None = None
    max_price_fen: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def query(self) -> SearchQuery:
        return SearchQuery(
            q=self.q,
            filters={k: list(v) for k, v in self.filters.items()},
            min_price_fen=self.min_price_fen,
            max_price_fen=self.max_price_fen,
            sort=self.sort,
            page=self.page,
            per_page=self.per_page,
        )

    def is_filtered(self, key: str, value: str) -> bool:
        return value in self.filters.get(key, [])


def _values(args, name: str) -> list[str]:
    """A filter's values: repeated parameters and/or comma-separated lists."""
    getlist = getattr(args, "getlist", None)
    raw = getlist(name) if getlist else ([args[name]] if name in args else [])
    out: list[str] = []
    for item in raw:
        for part in str(item).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def _fen(args, name: str, problems: dict[str, list]) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        problems.setdefault(name, []).append(_l("Must be a whole number of fen."))
        return None
    if value < 0:
        problems.setdefault(name, []).append(_l("A price cannot be negative."))
        return None
    if value > MAX_FEN:
        problems.setdefault(name, []).append(_l("The amount is too large."))
        return None
    return value


def _yuan(args, name: str, problems: dict[str, list]) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return parse_yuan(raw)
    except MoneyError as exc:
        problems.setdefault(name, []).append(exc.message)
        return None


def parse_search_args(args) -> tuple[SearchParams, dict[str, list]]:
    """Read a search from query-string arguments.

    Returns the usable part and the problems found, by parameter. The API
    answers 422 when there are problems; the page drops the bad values and
    says which were ignored. The rules are the same for both.
    """
    problems: dict[str, list] = {}
    params = SearchParams()
    q = " ".join((args.get("q") or "").split())
    if len(q) > MAX_QUERY_CHARS:
        problems["q"] = [_l("The search text is too long: at most %(n)s characters.", n=MAX_QUERY_CHARS)]
        q = q[:MAX_QUERY_CHARS]
    params.q = q
    for key, allowed in facet_choices().items():
        values = _values(args, key)
        bad = [v for v in values if v not in allowed]
        if bad:
            problems[key] = [_l("Unknown value(s): %(values)s.", values=", ".join(v[:40] for v in bad[:5]))]
        good = [v for v in values if v in allowed]
        if good:
            params.filters[key] = good
    params.min_price_fen = _fen(args, "min_price_fen", problems)
    params.max_price_fen = _fen(args, "max_price_fen", problems)
    # The web page asks people for yuan ("min_price", "max_price"); the API takes fen.
    if params.min_price_fen is None:
        params.min_price_fen = _yuan(args, "min_price", problems)
    if params.max_price_fen is None:
        params.max_price_fen = _yuan(args, "max_price", problems)
    if (
        params.min_price_fen is not None
        and params.max_price_fen is not None
        and params.min_price_fen > params.max_price_fen
    ):
        problems.setdefault("max_price_fen", []).append(_l("The highest price is below the lowest."))
        params.max_price_fen = None
    sort = (args.get("sort") or "relevance").strip()
    if sort not in SORTS:
        problems["sort"] = [_l("Sort by one of: %(sorts)s.", sorts=", ".join(SORTS))]
        sort = "relevance"
    params.sort = sort
    for name, default, upper in (("page", 1, 10**6), ("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)):
        raw = (args.get(name) or "").strip()
        if not raw:
            setattr(params, name, default)
            continue
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if not 1 <= value <= upper:
            problems[name] = [_l("Must be a whole number between 1 and %(upper)s.", upper=upper)]
            value = default
        setattr(params, name, value)
    return params, problems


def check_search_args(args) -> SearchParams:
    """The API's strict reading: ValidationError (422) listing every problem."""
    params, problems = parse_search_args(args)
    if problems:
        raise ValidationError(fields=problems)
    return params


@dataclass
class ListingHit:
    listing: Any
    hit: Hit

    def highlight(self, name: str) -> str | None:
        return self.hit.highlights.get(name)


@dataclass
class ListingSearchPage(Page[ListingHit]):
    """A page of published listings (checked against the database) with facet counts."""

    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def search_listings(params: SearchParams, *, with_assets: bool = True) -> ListingSearchPage:
    """Search published listings. Hits whose listing is no longer published in the
    database (the index lags behind a commit until the outbox is drained) are dropped.
    Without `with_assets` the listings come without their assets and consents (a
    result card does not show them)."""
    result = get_backend().search(params.query())
    ids = [hit.id for hit in result.hits]
    rows = ports.published_listings(ids, with_assets=with_assets) if ids else {}
    items = [ListingHit(rows[hit.id], hit) for hit in result.hits if hit.id in rows]
    facets = {key: dict(result.facets.get(key, {})) for key in (*FACET_KEYS, PRICE_FACET)}
    return ListingSearchPage(
        items=items, total=result.total, page=params.page, per_page=params.per_page, facets=facets
    )
