"""PostgreSQL full-text implementation of :class:`SearchBackend`.

Every app server reads and writes the same table, ``search_documents``, in the
database's own transactions, so a listing published through one server is
found through every other one as soon as the publishing transaction commits.

* **Analysis** is the Whoosh backend's, done in Python: jieba in search mode for
  the Chinese-capable fields, lower-casing, stop words and Porter stemming of
  Latin words (:func:`~.whoosh_backend.chinese_analyzer`,
  :func:`~.whoosh_backend.english_analyzer`). The terms go into a ``tsvector``
  built as a literal (no PostgreSQL parser or dictionary is involved), each
  position weighted: titles ``A``, keywords ``B``, abstracts and the problem
  solved ``C``. A GIN index serves ``@@``.
* **Queries** are cut and analysed by the same code as Whoosh's
  (:func:`~.whoosh_backend._parse_text`), so the same limits hold and syntax
  characters are plain text; the ``tsquery`` is built as a literal from the
  resulting terms, every term quoted. A listing matching any word matches;
  listings containing every word come first, then ``ts_rank_cd`` with the
  weights, ties newest first. Ranking is bounded: a query with at most
  :data:`RANK_WINDOW` hits is ranked exactly; a broader one ranks the
  ``RANK_WINDOW`` newest listings with every word together with the
  ``RANK_WINDOW`` newest with any word, and lists its other hits after them,
  newest first (one ``ts_rank_cd`` per hit made a broad word cost a second).
  Totals and facets always cover every hit.
* **Facets** are counted exactly, in SQL (:mod:`.pg_facets`): one pass over
  the GIN matches that fail at most one filter, grouped by three facet keys
  kept in the row. Browsing without text or filters reads counts kept in
  ``search_facet_counts``, updated in the same transaction as the documents.
* **Highlights** are made in Python from the stored titles and abstracts by
  the Whoosh backend's highlighter (HTML-escaped, ``<mark>``).
* **Transactions.** The backend never commits: it works in the session it is
  given (the app's ``db.session``), so a document changes in the same
  transaction as its listing. Writers take a shared transaction-level advisory
  lock and :meth:`rebuild` takes it exclusively just for the swap at its end;
  transaction-level locks suit PgBouncer's transaction pooling.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from .backend import (
    PRICE_FACET,
    SORT_PRICE_ASC,
    SORT_PRICE_DESC,
    SORT_RELEVANCE,
    Hit,
    ListingDoc,
    SearchQuery,
    SearchResult,
    price_bucket,
)
from .pg_facets import _ARRAY, _SCALAR, count_facets, facet_keys, kept_facets
from .whoosh_backend import (
    _as_int,
    _clean_filters,
    _empty_facets,
    _Highlighter,
    _parse_text,
    chinese_analyzer,
    english_analyzer,
    init_jieba,
)

__all__ = ["PostgresBackend", "REBUILD_LOCK", "WRITE_LOCK"]

#: Advisory lock keys (transaction level). Writers hold WRITE_LOCK shared; the
#: swap at the end of a rebuild holds it exclusively.
WRITE_LOCK = 0x5EA2C4_0001
#: Held exclusively by a whole app-level reindex (see service.reindex); writers
#: that cannot share it also leave an outbox row for the reindex to re-apply.
REBUILD_LOCK = 0x5EA2C4_0002

#: ts_rank_cd weights {D, C, B, A}: abstracts/problem 1/3 of a title, keywords 2/3.
RANK_WEIGHTS = "{0.1, 0.33, 0.67, 1.0}"
#: Relevance ranks at most this many newest listings with every word, plus as
#: many with any word (see ``PostgresBackend._ranked_page``).
RANK_WINDOW = 500
#: Above this many hits, the newest matches are found by walking the date index.
_DENSE_HITS = 20 * RANK_WINDOW
#: Newest first, the tie-breaker of every sort.
_NEWEST = "published_at DESC, listing_id DESC"
#: The columns a hit is shown (highlighted) from.
_SHOWN = "title_zh, title_en, abstract_zh, abstract_en"
#: PostgreSQL limits: positions 1..16383, 256 positions per lexeme, 2 kB lexemes.
_MAX_POS = 16383
_MAX_POS_PER_LEXEME = 255
_MAX_LEXEME_CHARS = 200

_FIELDS_WEIGHTS: tuple[tuple[str, str, str], ...] = (
    # (attribute, analyzer, weight)
    ("title_zh", "zh", "A"),
    ("title_en", "en", "A"),
    ("keywords", "zh", "B"),
    ("abstract_zh", "zh", "C"),
    ("abstract_en", "en", "C"),
    ("problem", "zh", "C"),
)

_ZH = chinese_analyzer()
_EN = english_analyzer()


def _quote(term: str) -> str:
    """A lexeme as a tsvector/tsquery literal: quoted, quotes and backslashes doubled."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(doc: ListingDoc) -> str:
    """The weighted tsvector of a listing, as a literal PostgreSQL accepts verbatim."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for attr, analyzer_name, weight in _FIELDS_WEIGHTS:
        value = getattr(doc, attr)
        if attr == "keywords":
            value = " ; ".join(value or ())
        if not value:
            continue
        analyzer = _ZH if analyzer_name == "zh" else _EN
        for token in analyzer(value):
            term = token.text
            if not term or len(term) > _MAX_LEXEME_CHARS:
                continue
            pos = min(pos + 1, _MAX_POS)
            slots = positions.setdefault(term, [])
            if len(slots) < _MAX_POS_PER_LEXEME:
                slots.append(f"{pos}{weight}")
    return " ".join(f"{_quote(term)}:{','.join(slots)}" for term, slots in positions.items())


def _row(doc: ListingDoc) -> dict[str, Any]:
    published = doc.published_at
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    values = doc.facet_values()
    return {
        "listing_id": int(doc.id),
        "document": tsvector_literal(doc),
        "title_zh": doc.title_zh or "",
        "title_en": doc.title_en or "",
        "abstract_zh": doc.abstract_zh or "",
        "abstract_en": doc.abstract_en or "",
        "industry": doc.industry or None,
        "source_kind": doc.source_kind or None,
        "region": doc.region or None,
        "maturity": doc.maturity or None,
        "trl": doc.trl or None,
        "deal_kinds": sorted(set(values["deal_kind"])),
        "ip_kinds": sorted(set(values["ip_kind"])),
        "price_fen": None if doc.price_fen is None else max(int(doc.price_fen), 0),
        "price_bucket": price_bucket(doc.price_fen),
        "published_at": published,
        **facet_keys(doc),
    }


_COLUMNS = (
    "listing_id, document, title_zh, title_en, abstract_zh, abstract_en, industry, source_kind, "
    "region, maturity, deal_kinds, ip_kinds, price_fen, price_bucket, published_at, facet_item, facet_origin,"
    " facet_terms, trl"
)
_VALUES = (
    ":listing_id, CAST(:document AS tsvector), :title_zh, :title_en, :abstract_zh, :abstract_en, "
    ":industry, :source_kind, :region, :maturity, :deal_kinds, :ip_kinds, :price_fen, :price_bucket, "
    ":published_at, :facet_item, :facet_origin, :facet_terms, :trl"
)
_UPDATE = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS.split(", ")[1:])

# Kept facet counts: one row per (facet, value), plus ('_total', '') for the count.
_COUNT_DELTAS = """
SELECT facet, value, sum(n)::bigint AS n FROM (
  SELECT '_total' AS facet, '' AS value, {sign} AS n FROM {src}
  UNION ALL SELECT 'industry', industry, {sign} FROM {src} WHERE industry IS NOT NULL
  UNION ALL SELECT 'source_kind', source_kind, {sign} FROM {src} WHERE source_kind IS NOT NULL
  UNION ALL SELECT 'region', region, {sign} FROM {src} WHERE region IS NOT NULL
  UNION ALL SELECT 'maturity', maturity, {sign} FROM {src} WHERE maturity IS NOT NULL
  UNION ALL SELECT 'trl', trl, {sign} FROM {src} WHERE trl IS NOT NULL
  UNION ALL SELECT 'price_range', price_bucket, {sign} FROM {src}
  UNION ALL SELECT 'deal_kind', v, {sign} FROM {src}, unnest(deal_kinds) AS v
  UNION ALL SELECT 'ip_kind', v, {sign} FROM {src}, unnest(ip_kinds) AS v
) AS d GROUP BY facet, value
"""


def _array_literal(values: list[str]) -> str:
    """A text[] in COPY's text form: every element quoted, quotes and backslashes escaped."""
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


class _Copier:
    """Writes rows into ``search_documents_build`` with COPY (psycopg 3), the
    fastest way in; an INSERT per batch with other drivers."""

    _COPY = f"COPY search_documents_build ({_COLUMNS}) FROM STDIN"

    def __init__(self, s: Session) -> None:
        self.s = s
        raw = s.connection().connection.dbapi_connection
        self.cursor = raw.cursor() if hasattr(raw, "pgconn") else None  # psycopg 3

    def write(self, rows: list[dict[str, Any]]) -> None:
        if self.cursor is None:
            self.s.execute(text(f"INSERT INTO search_documents_build ({_COLUMNS}) VALUES ({_VALUES})"), rows)
            return
        names = _COLUMNS.split(", ")
        with self.cursor.copy(self._COPY) as copy:
            for row in rows:
                copy.write_row(
                    [_array_literal(row[n]) if n in ("deal_kinds", "ip_kinds") else row[n] for n in names]
                )


class PostgresBackend:
    """:class:`~marketplace.search.backend.SearchBackend` on PostgreSQL full-text search.

    :param session: returns the SQLAlchemy session to work in (the app passes
        ``lambda: db.session``); the backend never commits it.
    :param live_listings: when true, :meth:`rebuild` keeps only documents whose
        listing is published in ``listings`` at the moment of the swap (the app
        sets it; the backend's own tests have no listings table).
    :param procs: processes that analyse the text during :meth:`rebuild`
        (jieba is the bulk of the work); 1 = in-process.
    """

    #: Writes join the caller's transaction (no outbox needed).
    transactional = True

    def __init__(
        self, session: Callable[[], Session], *, live_listings: bool = False, procs: int = 1
    ) -> None:
        init_jieba()
        self._session = session
        self.live_listings = live_listings
        self.procs = max(1, int(procs))

    # -- writing ---------------------------------------------------------

    def _write_lock(self, s: Session) -> None:
        s.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": WRITE_LOCK})

    def try_share_rebuild_lock(self) -> bool:
        """Share the rebuild lock until the end of the transaction; False while a reindex runs."""
        s = self._session()
        return bool(s.scalar(text("SELECT pg_try_advisory_xact_lock_shared(:k)"), {"k": REBUILD_LOCK}))

    def _rebuild_counts(self, s: Session) -> None:
        s.execute(text("DELETE FROM search_facet_counts"))
        s.execute(
            text(
                "INSERT INTO search_facet_counts (facet, value, n) "
                + _COUNT_DELTAS.format(src="search_documents", sign="1")
            )
        )

    @staticmethod
    def _add_counts(deltas: dict[tuple[str, str], int], row: Any, sign: int) -> None:
        def add(facet: str, value: str | None) -> None:
            if value is not None:
                deltas[(facet, value)] = deltas.get((facet, value), 0) + sign

        add("_total", "")
        for key, column in _SCALAR.items():
            add(key, row[column])
        add(PRICE_FACET, row["price_bucket"])
        for key, column in _ARRAY.items():
            for value in row[column] or ():
                add(key, value)

    @staticmethod
    def _store_counts(s: Session, deltas: dict[tuple[str, str], int]) -> None:
        rows = [{"f": f, "v": v, "n": n} for (f, v), n in sorted(deltas.items()) if n]
        if rows:  # sorted: concurrent writers lock the counter rows in one order
            s.execute(
                text(
                    "INSERT INTO search_facet_counts (facet, value, n) VALUES (:f, :v, :n) "
                    "ON CONFLICT (facet, value) DO UPDATE SET n = search_facet_counts.n + EXCLUDED.n"
                ),
                rows,
            )

    def upsert(self, docs: Iterable[ListingDoc]) -> int:
        """Add or replace listings by id, in the session's transaction."""
        rows = {}
        for doc in docs:
            rows[int(doc.id)] = _row(doc)
        if not rows:
            return 0
        s = self._session()
        self._write_lock(s)
        ids = sorted(rows)
        deltas: dict[tuple[str, str], int] = {}
        self._remove(s, ids, deltas)
        s.execute(
            text(f"INSERT INTO search_documents ({_COLUMNS}) VALUES ({_VALUES})"), [rows[i] for i in ids]
        )
        for i in ids:
            self._add_counts(deltas, rows[i], 1)
        self._store_counts(s, deltas)
        return len(rows)

    def _remove(self, s: Session, ids: list[int], deltas: dict[tuple[str, str], int]) -> int:
        gone = (
            s.execute(
                text(
                    "DELETE FROM search_documents WHERE listing_id = ANY(CAST(:ids AS bigint[]))"
                    " RETURNING industry, source_kind, region, maturity, price_bucket, deal_kinds, ip_kinds, trl"
                ),
                {"ids": ids},
            )
            .mappings()
            .all()
        )
        for row in gone:
            self._add_counts(deltas, row, -1)
        return len(gone)

    def delete(self, ids: Iterable[int]) -> int:
        """Remove listings by id; return how many were there."""
        keys = sorted({int(i) for i in ids})
        if not keys:
            return 0
        s = self._session()
        self._write_lock(s)
        deltas: dict[tuple[str, str], int] = {}
        removed = self._remove(s, keys, deltas)
        self._store_counts(s, deltas)
        return removed

    def rebuild(
        self,
        docs: Iterable[ListingDoc],
        progress: Callable[[int], None] | None = None,
        *,
        after_swap: Callable[[], None] | None = None,
        batch: int = 1000,
    ) -> int:
        """Replace every document by ``docs``, in the session's transaction.

        The documents are analysed into a temporary table first (readers and
        writers are not held up meanwhile); then, under the exclusive write
        lock, the table's rows are replaced in one statement each and the
        facet counts recomputed, and ``after_swap`` runs (the app re-applies
        changes made during the build there). A failure rolls back to where
        the rebuild started: the old documents stay. Nothing is committed.
        """
        s = self._session()
        count = 0
        with s.begin_nested():
            s.execute(text("DROP TABLE IF EXISTS search_documents_build"))
            s.execute(
                text(
                    "CREATE TEMP TABLE search_documents_build "
                    "(LIKE search_documents INCLUDING DEFAULTS) ON COMMIT DROP"
                )
            )
            copy = _Copier(s)
            seen: set[int] = set()

            def unique() -> Iterator[ListingDoc]:
                for doc in docs:
                    if doc.id not in seen:  # keep the first occurrence of an id
                        seen.add(doc.id)
                        yield doc

            pool = None
            if self.procs > 1:
                import multiprocessing

                pool = multiprocessing.get_context("fork").Pool(self.procs)
                rows: Iterable[dict[str, Any]] = pool.imap(_row, unique(), chunksize=64)
            else:
                rows = map(_row, unique())
            try:
                pending: list[dict[str, Any]] = []
                for row in rows:
                    pending.append(row)
                    count += 1
                    if len(pending) >= batch:
                        copy.write(pending)
                        pending = []
                    if progress is not None and count % 1000 == 0:
                        progress(count)
                if pending:
                    copy.write(pending)
            finally:
                if pool is not None:
                    pool.terminate()
                    pool.join()
            seen.clear()
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK})
            s.execute(text("DELETE FROM search_documents"))
            live = (
                " WHERE EXISTS (SELECT 1 FROM listings l WHERE l.id = b.listing_id AND l.status = 'published')"
                if self.live_listings
                else ""
            )
            s.execute(
                text(
                    f"INSERT INTO search_documents ({_COLUMNS}) SELECT {_COLUMNS} FROM search_documents_build b{live}"
                )
            )
            s.execute(text("DROP TABLE search_documents_build"))
            self._rebuild_counts(s)
            if after_swap is not None:
                after_swap()
            if self.live_listings:
                count = int(s.scalar(text("SELECT count(*) FROM search_documents")) or 0)
        if progress is not None:
            progress(count)
        return count

    # -- reading ---------------------------------------------------------

    def count(self) -> int:
        return int(self._session().scalar(text("SELECT count(*) FROM search_documents")) or 0)

    def warm(self) -> None:
        """Nothing to load (jieba is initialised by the constructor)."""

    def close(self) -> None:
        """Nothing to close: the session belongs to the caller."""

    def search(self, query: SearchQuery) -> SearchResult:
        """Run a facetted search. User input never raises."""
        page, per_page = query.clamped_page()
        q = query.q if isinstance(query.q, str) else ""
        has_text = bool(q.strip())
        parsed = _parse_text(q) if has_text else None
        if parsed is not None and parsed.empty:
            return SearchResult([], 0, _empty_facets(), page, per_page)

        params: dict[str, Any] = {}
        where: list[str] = []
        if parsed is not None:
            any_words, all_words = [], []
            for word in parsed.words:
                terms = sorted({t.text for t in word})
                full = sorted({t.text for t in word if t.full}) or terms
                any_words.append("(" + " | ".join(_quote(t) for t in terms) + ")")
                all_words.append("(" + " | ".join(_quote(t) for t in full) + ")")
            params["q_any"], params["q_all"] = " | ".join(any_words), " & ".join(all_words)
            where.append("document @@ CAST(:q_any AS tsquery)")

        # One boolean expression per filtered facet, and the price filter.
        flags: dict[str, str] = {}
        for key, values in _clean_filters(query.filters).items():
            name = f"f_{key}"
            params[name] = sorted(set(values))
            if key in _SCALAR:
                flags[key] = f"({_SCALAR[key]} = ANY(CAST(:{name} AS text[])))"
            else:
                flags[key] = f"({_ARRAY[key]} && CAST(:{name} AS text[]))"
        low, high = _as_int(query.min_price_fen), _as_int(query.max_price_fen)
        price_flag = None
        if low is not None or high is not None:
            parts = ["price_fen IS NOT NULL"]
            if low is not None:
                params["low"] = low
                parts.append("price_fen >= :low")
            if high is not None:
                params["high"] = high
                parts.append("price_fen <= :high")
            price_flag = "(" + " AND ".join(parts) + ")"

        s = self._session()
        # No JIT (compiling costs more than these statements take), and no
        # sequential scans, which the planner picks for broad words without
        # counting that every row's tsvector must then be read and tested,
        # while the GIN index answers ``@@`` exactly.
        with _planner_settings(s, jit="off", enable_seqscan="off"):
            if not where and not flags and price_flag is None:
                facets, total = kept_facets(s)
            else:
                facets, total = count_facets(s, where, flags, price_flag, params)
            start = (page - 1) * per_page
            if start >= total:
                return SearchResult([], total, facets, page, per_page)
            sort = query.effective_sort(parsed is not None)
            conditions = where + list(flags.values()) + ([price_flag] if price_flag else [])
            params["limit"], params["offset"] = per_page, start
            if sort == SORT_RELEVANCE and parsed is not None:
                rows = self._ranked_page(s, conditions, params, total)
            else:
                if sort == SORT_PRICE_ASC:
                    order = f"price_fen IS NULL, price_fen ASC, {_NEWEST}"
                elif sort == SORT_PRICE_DESC:
                    order = f"price_fen IS NULL, price_fen DESC, {_NEWEST}"
                else:  # SORT_NEWEST
                    order = _NEWEST
                sql_where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
                rows = s.execute(
                    text(
                        f"SELECT listing_id, 0.0 AS score, {_SHOWN} FROM search_documents{sql_where}"
                        f" ORDER BY {order} LIMIT :limit OFFSET :offset"
                    ),
                    params,
                ).all()
        highlighter = _Highlighter(parsed.field_terms) if parsed is not None else None
        hits = []
        for row in rows:
            highlights: dict[str, str] = {}
            if highlighter is not None:
                for name in ("title_zh", "title_en", "abstract_zh", "abstract_en"):
                    snippet = highlighter(name, getattr(row, name) or "")
                    if snippet is not None:
                        highlights[name] = snippet
            score_value = float(row.score or 0.0)
            hits.append(
                Hit(
                    id=int(row.listing_id),
                    score=score_value if math.isfinite(score_value) else 0.0,
                    highlights=highlights,
                )
            )
        return SearchResult(hits, total, facets, page, per_page)

    def _ranked_page(
        self, s: Session, conditions: list[str], params: dict[str, Any], total: int
    ) -> list[Any]:
        """One page in relevance order, ranking only a bounded window of candidates.

        The candidates are the :data:`RANK_WINDOW` newest listings containing
        every word and the :data:`RANK_WINDOW` newest containing any word; they
        come first, ordered by (every word, ``ts_rank_cd``, newest). Matches
        outside the window (only queries with more hits than the window have
        any) follow, newest first. A query with at most ``RANK_WINDOW`` hits is
        therefore ranked exactly, and a broad one costs a bounded number of
        ``ts_rank_cd`` calls instead of one per hit.
        """
        score = (
            "(CASE WHEN document @@ CAST(:q_all AS tsquery) THEN 1.0 ELSE 0.0 END"
            f" + ts_rank_cd(CAST('{RANK_WEIGHTS}' AS real[]), document, CAST(:q_any AS tsquery), 32))"
        )
        if total <= RANK_WINDOW:  # few hits: rank them all
            return list(
                s.execute(
                    text(
                        f"SELECT listing_id, {score} AS score, {_SHOWN} FROM search_documents"
                        f" WHERE {' AND '.join(conditions)} ORDER BY score DESC, {_NEWEST}"
                        " LIMIT :limit OFFSET :offset"
                    ),
                    params,
                ).all()
            )
        if total <= _DENSE_HITS:
            # The newest matches of a middling query: read them all from the
            # GIN bitmap and keep the newest, rather than walk the date index
            # testing each row's tsvector (the planner's pick for a LIMIT).
            with _planner_settings(s, enable_indexscan="off"):
                return self._windowed_page(s, conditions, params, score)
        return self._windowed_page(s, conditions, params, score)

    def _windowed_page(
        self, s: Session, conditions: list[str], params: dict[str, Any], score: str
    ) -> list[Any]:
        filters = "".join(f" AND {c}" for c in conditions[1:])
        params["window"] = RANK_WINDOW
        candidates = (
            "WITH cand AS MATERIALIZED ("
            "SELECT listing_id FROM (SELECT listing_id FROM search_documents"
            f" WHERE document @@ CAST(:q_all AS tsquery){filters} ORDER BY {_NEWEST} LIMIT :window) a"
            " UNION SELECT listing_id FROM (SELECT listing_id FROM search_documents"
            f" WHERE {conditions[0]}{filters} ORDER BY {_NEWEST} LIMIT :window) b) "
        )
        rows = s.execute(
            text(
                candidates
                + f"SELECT listing_id, {score} AS score, {_SHOWN}, (SELECT count(*) FROM cand) AS ranked"
                " FROM search_documents WHERE listing_id IN (SELECT listing_id FROM cand)"
                f" ORDER BY score DESC, {_NEWEST} LIMIT :limit OFFSET :offset"
            ),
            params,
        ).all()
        if len(rows) == params["limit"]:
            return list(rows)
        ranked = (
            int(rows[0].ranked)
            if rows
            else int(s.scalar(text(candidates + "SELECT count(*) FROM cand"), params) or 0)
        )
        rest = dict(params, limit=params["limit"] - len(rows), offset=max(params["offset"] - ranked, 0))
        more = s.execute(
            text(
                candidates + f"SELECT listing_id, 0.0 AS score, {_SHOWN}, 0 AS ranked FROM search_documents"
                f" WHERE {' AND '.join(conditions)} AND listing_id NOT IN (SELECT listing_id FROM cand)"
                f" ORDER BY {_NEWEST} LIMIT :limit OFFSET :offset"
            ),
            rest,
        ).all()
        return list(rows) + list(more)


@contextmanager
def _planner_settings(s: Session, **settings: str) -> Iterator[None]:
    """Set planner settings for the statements inside (transaction-local, put
    back afterwards, so PgBouncer's transaction pooling is safe)."""
    names = sorted(settings)
    reads = ", ".join(f"current_setting(:n{i})" for i in range(len(names)))
    sets = ", ".join(f"set_config(:n{i}, :v{i}, true)" for i in range(len(names)))
    params = {f"n{i}": n for i, n in enumerate(names)} | {f"v{i}": settings[n] for i, n in enumerate(names)}
    previous = s.execute(text(f"SELECT {reads}, {sets}"), params).one()
    try:
        yield
    finally:
        restore = {f"n{i}": n for i, n in enumerate(names)} | {
            f"v{i}": previous[i] for i in range(len(names))
        }
        s.execute(text(f"SELECT {sets}"), restore)
