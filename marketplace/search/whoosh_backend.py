"""Whoosh (whoosh-reloaded) + jieba implementation of :class:`SearchBackend`.

Design, in short:

* **Analysis.** Chinese-capable fields (``title_zh``, ``abstract_zh``,
  ``keywords``, ``problem``) use :func:`chinese_analyzer`: jieba in search
  mode (overlapping words, so ``大豆`` finds ``大豆蛋白``), lower-casing, stop
  words and Porter stemming of Latin words. It is the same chain as
  ``jieba.analyse.ChineseAnalyzer``, re-declared here because importing
  ``jieba.analyse`` leaks an open file (a ``ResourceWarning`` that pytest's
  ``filterwarnings = error`` turns into a failure). English fields
  (``title_en``, ``abstract_en``) use Whoosh's ``StemmingAnalyzer``.
* **Queries.** User text is never parsed as Whoosh syntax: it is normalised
  (NFKC, capped at :data:`MAX_QUERY_CHARS` and :data:`MAX_QUERY_WORDS`), cut
  into words with jieba, and every word is run through each field's analyzer
  to get the indexed terms it maps to. Quotes, brackets, ``AND``/``OR``/
  ``NOT``, ``*`` and ``:`` are just characters (dropped by the tokenizers or
  stop words). Text made only of such characters matches nothing.
* **Matching, filters and facets** use bitmaps (Python ``int``; bit d =
  document d), not Whoosh's query matchers or ``groupedby``. For every
  segment we cache, once, a bitmap per facet value (from the postings of the
  facet fields), the price/publication/id columns and sort orders; term
  bitmaps are cached per segment on first use (segments are immutable, so
  caches survive index refreshes and a small upsert only costs its new
  segment). A query is a handful of ``&``/``|`` operations, and a facet
  count is ``(bitmap & value).bit_count()``: microseconds each.
* **Relevance** (see :func:`_rank`): a document matching any word matches;
  documents containing every word rank first; then the sum over words and
  field groups (title 3, keywords 2, abstract/problem 1) of ``idf(word) *
  boost``, a jieba sub-word match counting 0.4; ties newest first. It ignores
  term frequency and length (Whoosh's BM25F collector scores documents one
  by one in Python: 42 ms for a broad query at 10,000 listings already).
* **Sorting** by newest or price uses the cached per-segment orders;
  negotiable listings come after priced ones in both price orders.
* **Writing.** Only one writer may exist at a time, across processes: every
  write takes Whoosh's own index lock (``fcntl.flock`` on ``<name>_WRITELOCK``
  in the index directory), waiting up to ``lock_timeout`` seconds and then
  raising :class:`IndexBusyError`; within one process a ``threading.Lock``
  serialises writers first. ``rebuild`` holds the lock for the whole build, so
  concurrent upserts wait (or fail with ``IndexBusyError`` and should be
  retried) and land *after* the rebuild: nothing is lost.
* **Atomic rebuild.** ``rebuild`` writes brand-new segments (optionally with
  Whoosh's multiprocessing writer) and commits them with ``mergetype=CLEAR``:
  the new table of contents replaces every old segment in one atomic file
  rename. Readers keep the old generation until their next search, which
  notices the new generation and reopens the index.
* **Threads.** A backend instance may be shared by threads; searches are
  serialised by a lock (the work is CPU-bound under the GIL anyway).
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import Any

with warnings.catch_warnings():
    # jieba 0.42.1 and whoosh contain invalid escape sequences in plain
    # strings; Python reports them (DeprecationWarning/SyntaxWarning) only when
    # it compiles the modules without a cached .pyc. Silence exactly those.
    warnings.filterwarnings("ignore", category=DeprecationWarning, message="invalid escape sequence")
    warnings.filterwarnings("ignore", category=SyntaxWarning, message="invalid escape sequence")
    from whoosh import index as windex
    from whoosh.index import LockError
    from whoosh.writing import CLEAR, IndexWriter, SegmentWriter

from .backend import (
    FACET_KEYS,
    PRICE_BUCKETS,
    PRICE_FACET,
    SORT_RELEVANCE,
    Hit,
    ListingDoc,
    SearchQuery,
    SearchResult,
)
from .whoosh_analysis import (
    HIGHLIGHT_FIELDS,
    INDEX_NAME,
    _doc_fields,
    _Highlighter,
    _parse_text,
    _ParsedText,
    chinese_analyzer,
    english_analyzer,
    init_jieba,
    make_schema,
)
from .whoosh_bitmaps import (
    _SegmentCache,
    _View,
)
from .whoosh_ranking import (
    _rank,
    _WordBitmaps,
)

__all__ = [
    "IndexBusyError",
    "WhooshBackend",
    "chinese_analyzer",
    "english_analyzer",
    "init_jieba",
]

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------
# The backend


class IndexBusyError(RuntimeError):
    """Another writer held the index lock for longer than ``lock_timeout``."""


class WhooshBackend:
    """:class:`~marketplace.search.backend.SearchBackend` on a Whoosh index.

    :param index_dir: directory of the index (created if missing).
    :param cache_dir: writable directory for jieba's dictionary cache
        (default: the parent of ``index_dir``, else ``index_dir``).
    :param lock_timeout: seconds a write waits for the index lock.
    :param procs: processes used by :meth:`rebuild` (Whoosh's multiprocessing
        writer, one segment per process); 1 = in-process.
    """

    def __init__(
        self,
        index_dir: str,
        cache_dir: str | None = None,
        lock_timeout: float = 10.0,
        procs: int = 1,
    ) -> None:
        self.index_dir = os.path.abspath(index_dir)
        os.makedirs(self.index_dir, exist_ok=True)
        if cache_dir is None:
            parent = os.path.dirname(self.index_dir)
            cache_dir = parent if os.access(parent, os.W_OK) else self.index_dir
        init_jieba(cache_dir)
        self.lock_timeout = lock_timeout
        self.procs = max(1, int(procs))
        self._write_lock = threading.Lock()
        self._read_lock = threading.RLock()
        self._view: _View | None = None
        self._caches: dict[tuple[str, int], _SegmentCache] = {}
        if windex.exists_in(self.index_dir, indexname=INDEX_NAME):
            self._ix = windex.open_dir(self.index_dir, indexname=INDEX_NAME)
            self._add_missing_fields()
        else:
            self._ix = windex.create_in(self.index_dir, make_schema(), indexname=INDEX_NAME)

    def _add_missing_fields(self) -> None:
        """An index built before a field was added (e.g. the TRL facet) gets the field,
        empty for the documents already in it until they are written again (reindex)."""
        schema = make_schema()
        missing = [name for name in schema.names() if name not in self._ix.schema.names()]
        if not missing:
            return
        writer = self._writer()
        for name in missing:
            writer.add_field(name, schema[name])
        writer.commit()
        self._ix = windex.open_dir(self.index_dir, indexname=INDEX_NAME)

    # -- writing ---------------------------------------------------------

    def _writer(self, procs: int = 1, **kwargs: Any) -> IndexWriter:
        try:
            if procs > 1:
                from whoosh.multiproc import MpWriter

                return MpWriter(
                    self._ix,
                    procs=procs,
                    multisegment=True,
                    batchsize=256,
                    timeout=self.lock_timeout,
                    delay=0.1,
                    **kwargs,
                )
            return SegmentWriter(self._ix, timeout=self.lock_timeout, delay=0.1, **kwargs)
        except LockError as exc:
            raise IndexBusyError(f"search index {self.index_dir} is locked by another writer") from exc

    def upsert(self, docs: Iterable[ListingDoc]) -> int:
        """Add or replace listings by id. Returns the number written."""
        batch = [_doc_fields(doc) for doc in docs]
        if not batch:
            return 0
        with self._write_lock:
            writer = self._writer()
            try:
                for fields in batch:
                    writer.update_document(**fields)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        return len(batch)

    def delete(self, ids: Iterable[int]) -> int:
        """Remove listings by id. Returns how many were in the index."""
        keys = sorted({str(int(i)) for i in ids})
        if not keys:
            return 0
        with self._write_lock:
            writer = self._writer()
            removed = 0
            try:
                for key in keys:
                    removed += writer.delete_by_term("id", key)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        return removed

    def rebuild(
        self,
        docs: Iterable[ListingDoc],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Index ``docs`` from scratch and replace the whole index atomically.

        The write lock is held throughout; other writers wait. Readers see the
        old documents until the final commit. ``progress(n)`` is called every
        1,000 documents (counted when handed to the writer) and at the end.
        """
        with self._write_lock:
            writer = self._writer(procs=self.procs)
            count = 0
            seen: set[int] = set()
            try:
                for doc in docs:
                    if doc.id in seen:  # keep the first occurrence of an id
                        continue
                    seen.add(doc.id)
                    writer.add_document(**_doc_fields(doc))
                    count += 1
                    if progress is not None and count % 1000 == 0:
                        progress(count)
            except BaseException:
                writer.cancel()
                raise
            writer.commit(mergetype=CLEAR)
        if progress is not None:
            progress(count)
        return count

    # -- reading ---------------------------------------------------------

    def _current(self) -> _View:
        """The view of the latest committed index generation."""
        view = self._view
        if view is None:
            view = self._view = _View(self._ix.searcher(), self._caches)
        elif not view.searcher.up_to_date():
            # Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it keeps the
            # old segment readers (stale deletions) and even segments that a
            # CLEAR commit removed. Opening segment readers is cheap; our
            # per-segment caches are reused by segment id.
            view.searcher.close()
            view = self._view = _View(self._ix.searcher(), self._caches)
            live_keys = {(leaf.reader.segment().segment_id(), leaf.cache.size) for leaf in view.leaves}
            for key in list(self._caches):
                if key not in live_keys:
                    del self._caches[key]
        return view

    def warm(self) -> None:
        """Open the searcher and build the per-segment caches now.

        The first search after start-up or a rebuild otherwise pays for it
        (about 0.6 s at 100,000 listings); call this at app start or after
        ``rebuild``. Each later commit costs the next search ~30-60 ms, since
        Whoosh copies segment files into memory when it reopens them.
        """
        with self._read_lock:
            self._current()

    def count(self) -> int:
        """Number of (live) listings in the index."""
        with self._read_lock:
            return self._current().searcher.doc_count()

    def close(self) -> None:
        """Close the open searcher (the backend reopens one when needed)."""
        with self._read_lock:
            if self._view is not None:
                self._view.searcher.close()
                self._view = None
                self._caches.clear()

    def search(self, query: SearchQuery) -> SearchResult:
        """Run a facetted search. User input never raises."""
        page, per_page = query.clamped_page()
        with self._read_lock:
            view = self._current()
            return self._search(view, query, page, per_page)

    def _search(self, view: _View, query: SearchQuery, page: int, per_page: int) -> SearchResult:
        q = query.q if isinstance(query.q, str) else ""
        has_text = bool(q.strip())
        parsed = _parse_text(q) if has_text else _ParsedText([], {})
        if has_text and parsed.empty:
            # Only punctuation, operators or stop words: nothing to look for.
            return SearchResult([], 0, _empty_facets(), page, per_page)

        # Text match: documents with any word (base).
        words = [_WordBitmaps(view, word) for word in parsed.words]
        base = view.live
        if words:
            base = 0
            for word in words:
                base |= word.any

        # Facet filters, one bitmap per filtered key.
        filter_bms: dict[str, int] = {}
        for key, values in _clean_filters(query.filters).items():
            bm = 0
            for v in values:
                bm |= view.values[key].get(v, 0)
            filter_bms[key] = bm
        price_bm: int | None = None
        low, high = _as_int(query.min_price_fen), _as_int(query.max_price_fen)
        if low is not None or high is not None:
            price_bm = view.price_between(low, high)

        def without(skip: str | None) -> int:
            bm = base
            for key, fbm in filter_bms.items():
                if key != skip:
                    bm &= fbm
            return bm

        all_filters = without(None)
        final = all_filters if price_bm is None else all_filters & price_bm
        facets: dict[str, dict[str, int]] = {}
        for key in FACET_KEYS:
            scope = without(key) if key in filter_bms else all_filters
            if price_bm is not None:
                scope &= price_bm
            counts = {}
            for value, vbm in view.values[key].items():
                n = (scope & vbm).bit_count()
                if n:
                    counts[value] = n
            facets[key] = counts
        facets[PRICE_FACET] = {
            bucket: (all_filters & view.values[PRICE_FACET].get(bucket, 0)).bit_count()
            for bucket in PRICE_BUCKETS
        }

        total = final.bit_count()
        start = (page - 1) * per_page
        if start >= total:
            return SearchResult([], total, facets, page, per_page)
        limit = start + per_page
        sort = query.effective_sort(not parsed.empty)
        if sort == SORT_RELEVANCE:
            scored = _rank(view, words, final, limit)
        else:
            scored = [(d, 0.0) for d in view.top_by_key(final, sort, limit, total)]
        return SearchResult(self._hits(view, scored[start:limit], parsed), total, facets, page, per_page)

    @staticmethod
    def _hits(view: _View, scored: list[tuple[int, float]], parsed: _ParsedText) -> list[Hit]:
        hits = []
        highlighter = None if parsed.empty else _Highlighter(parsed.field_terms)
        ids = view.ids_of(d for d, _ in scored)
        for (docnum, score), listing_id in zip(scored, ids, strict=False):
            highlights: dict[str, str] = {}
            if highlighter is not None:
                stored = view.searcher.stored_fields(docnum)
                for fieldname in HIGHLIGHT_FIELDS:
                    snippet = highlighter(fieldname, stored.get(fieldname) or "")
                    if snippet is not None:
                        highlights[fieldname] = snippet
            hits.append(Hit(id=int(listing_id), score=score, highlights=highlights))
        return hits


def _clean_filters(filters: object) -> dict[str, list[str]]:
    """Known facet keys -> their string values; a bare string is one value."""
    out: dict[str, list[str]] = {}
    if not isinstance(filters, dict):
        return out
    for key in FACET_KEYS:
        values = filters.get(key)
        if isinstance(values, str):
            values = [values]
        if not values:
            continue
        try:
            clean = [v for v in values if isinstance(v, str)]
        except TypeError:  # not iterable
            continue
        if clean:
            out[key] = clean
    return out


def _as_int(value: object) -> int | None:
    """An int from user input, or None when it is missing or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None


def _empty_facets() -> dict[str, dict[str, int]]:
    facets: dict[str, dict[str, int]] = {key: {} for key in FACET_KEYS}
    facets[PRICE_FACET] = {bucket: 0 for bucket in PRICE_BUCKETS}
    return facets
