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

import bisect
import heapq
import html
import logging
import math
import os
import re
import threading
import unicodedata
import warnings
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

with warnings.catch_warnings():
    # jieba 0.42.1 and whoosh contain invalid escape sequences in plain
    # strings; Python reports them (DeprecationWarning/SyntaxWarning) only when
    # it compiles the modules without a cached .pyc. Silence exactly those.
    warnings.filterwarnings("ignore", category=DeprecationWarning, message="invalid escape sequence")
    warnings.filterwarnings("ignore", category=SyntaxWarning, message="invalid escape sequence")
    import jieba
    from whoosh import columns as wcolumns
    from whoosh import fields as wfields
    from whoosh import index as windex
    from whoosh.analysis import (
        Analyzer,
        LowercaseFilter,
        StemFilter,
        StemmingAnalyzer,
        StopFilter,
        Token,
        Tokenizer,
    )
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.index import LockError
    from whoosh.lang.porter import stem as porter_stem
    from whoosh.reading import IndexReader, TermNotFound
    from whoosh.searching import Searcher
    from whoosh.writing import CLEAR, IndexWriter, SegmentWriter

from .backend import (
    FACET_KEYS,
    PRICE_BUCKETS,
    PRICE_FACET,
    SORT_NEWEST,
    SORT_PRICE_ASC,
    SORT_PRICE_DESC,
    SORT_RELEVANCE,
    Hit,
    ListingDoc,
    SearchQuery,
    SearchResult,
    price_bucket,
)

__all__ = [
    "IndexBusyError",
    "WhooshBackend",
    "chinese_analyzer",
    "english_analyzer",
    "init_jieba",
]

log = logging.getLogger(__name__)

#: Whoosh index name; bump the version when the schema changes (an index with
#: an older name is ignored, so the app must ``rebuild``).
INDEX_NAME = "listings_v1"
#: User text beyond this many characters is ignored.
MAX_QUERY_CHARS = 200
#: At most this many distinct words of the user text are searched.
MAX_QUERY_WORDS = 12
#: Length of an abstract snippet in the highlights, in characters.
SNIPPET_CHARS = 160

#: Facet key -> index field name.
FACET_FIELDS: dict[str, str] = {
    "industry": "f_industry",
    "deal_kind": "f_deal_kind",
    "ip_kind": "f_ip_kind",
    "source_kind": "f_source_kind",
    "region": "f_region",
    "maturity": "f_maturity",
    PRICE_FACET: "f_price_range",
}
ZH_FIELDS: tuple[str, ...] = ("title_zh", "abstract_zh", "keywords", "problem")
EN_FIELDS: tuple[str, ...] = ("title_en", "abstract_en")
TEXT_FIELDS: tuple[str, ...] = ZH_FIELDS + EN_FIELDS
#: Stored fields that get highlights, in display order.
HIGHLIGHT_FIELDS: tuple[str, ...] = ("title_zh", "title_en", "abstract_zh", "abstract_en")
_TITLE_FIELDS = frozenset({"title_zh", "title_en"})

_NEGOTIABLE = -1  # price column value for "negotiable"

# --------------------------------------------------------------------------
# jieba set-up and analyzers


_jieba_lock = threading.Lock()
_jieba_ready = False


def init_jieba(cache_dir: str | None = None) -> None:
    """Load jieba's dictionary once per process, caching it in ``cache_dir``.

    Also lowers jieba's logger to WARNING so it does not print to stderr.
    Safe to call many times; only the first call does work.
    """
    global _jieba_ready
    if _jieba_ready:
        return
    with _jieba_lock:
        if _jieba_ready:
            return
        jieba.setLogLevel(logging.WARNING)
        if cache_dir and jieba.dt.tmp_dir is None:
            jieba.dt.tmp_dir = cache_dir
        jieba.initialize()
        _jieba_ready = True


#: Stop words of ``jieba.analyse.ChineseAnalyzer`` (they include and/or/not).
# fmt: off
STOP_WORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "for", "from",
    "have", "if", "in", "is", "it", "may", "not", "of", "on", "or", "tbd",
    "that", "the", "this", "to", "us", "we", "when", "will", "with", "yet",
    "you", "your", "的", "了", "和",
))
# fmt: on
_HAN = re.compile(r"[\u4E00-\u9FD5]")
_WORDCHAR = re.compile(r"\w")


class JiebaTokenizer(Tokenizer):
    """jieba tokenizer in search mode (overlapping words) with char offsets.

    Drops tokens without any letter, digit or Han character and single Latin
    characters, like ``jieba.analyse.ChineseTokenizer``.
    """

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for word, start, end in jieba.tokenize(value, mode="search"):
            if len(word) <= 1 and not _HAN.match(word):
                continue
            if not _WORDCHAR.search(word):
                continue
            token.original = token.text = word
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


def chinese_analyzer() -> Analyzer:
    """jieba search-mode tokens, lower-cased, stop words removed, stemmed."""
    return (
        JiebaTokenizer()
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | StemFilter(stemfn=porter_stem, ignore=None, cachesize=50000)
    )


def english_analyzer() -> Analyzer:
    """Whoosh's regex tokenizer, lower-cased, stop words removed, stemmed."""
    return StemmingAnalyzer(stoplist=STOP_WORDS, minsize=2)


def make_schema() -> wfields.Schema:
    """The index schema: light (no positions, no vectors, few stored fields)."""
    zh, en = chinese_analyzer(), english_analyzer()

    def text(analyzer: Analyzer, stored: bool) -> wfields.TEXT:
        return wfields.TEXT(analyzer=analyzer, stored=stored, phrase=False)

    facet = wfields.KEYWORD(stored=False, lowercase=False, commas=False, scorable=False)
    return wfields.Schema(
        id=wfields.ID(stored=True, unique=True),
        title_zh=text(zh, True),
        title_en=text(en, True),
        abstract_zh=text(zh, True),
        abstract_en=text(en, True),
        keywords=text(zh, False),
        problem=text(zh, False),
        **{name: facet for name in FACET_FIELDS.values()},
        c_id=wfields.COLUMN(wcolumns.NumericColumn("q", default=0)),
        c_price=wfields.COLUMN(wcolumns.NumericColumn("q", default=_NEGOTIABLE)),
        c_published=wfields.COLUMN(wcolumns.NumericColumn("q", default=0)),
    )


def _doc_fields(doc: ListingDoc) -> dict[str, Any]:
    """ListingDoc -> keyword arguments for ``writer.add_document``."""
    fields: dict[str, Any] = {
        "id": str(doc.id),
        "title_zh": doc.title_zh or "",
        "title_en": doc.title_en or "",
        "abstract_zh": doc.abstract_zh or "",
        "abstract_en": doc.abstract_en or "",
        "keywords": " ; ".join(doc.keywords or ()),
        "problem": doc.problem or "",
        "c_id": int(doc.id),
        "c_price": _NEGOTIABLE if doc.price_fen is None else max(int(doc.price_fen), 0),
        "c_published": _timestamp(doc.published_at),
        FACET_FIELDS[PRICE_FACET]: price_bucket(doc.price_fen),
    }
    for key, values in doc.facet_values().items():
        clean = [v for v in values if v and not any(c.isspace() for c in v)]
        if clean:
            fields[FACET_FIELDS[key]] = " ".join(clean)
    return fields


def _timestamp(when: datetime) -> int:
    """Seconds since the epoch (naive datetimes are taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(int(when.timestamp()), 0)


# --------------------------------------------------------------------------
# Bitmaps: a Python int whose bit d is set when document d is in the set.

_BIT = tuple(1 << i for i in range(8))
_BYTE_BITS = tuple(tuple(i for i in range(8) if b >> i & 1) for b in range(256))


def _bitmap(ids: Iterable[int], size: int) -> int:
    """Bitmap of the given document numbers (all < size)."""
    buf = bytearray((size >> 3) + 1)
    bit = _BIT
    for d in ids:
        buf[d >> 3] |= bit[d & 7]
    return int.from_bytes(buf, "little")


def _bits(bm: int) -> list[int]:
    """Document numbers of a bitmap, ascending."""
    out: list[int] = []
    if bm <= 0:
        return out
    data = bm.to_bytes((bm.bit_length() + 7) >> 3, "little")
    extend, table = out.extend, _BYTE_BITS
    for i, byte in enumerate(data):
        if byte:
            base = i << 3
            extend([base + j for j in table[byte]])
    return out


def _posting_ids(reader: IndexReader, fieldname: str, text: str | bytes) -> Iterable[int]:
    """All document numbers (incl. deleted ones) of a term in a segment."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return ()
    if isinstance(matcher, W3LeafMatcher):
        # Read whole posting blocks instead of stepping posting by posting.
        ids: list[int] = []
        while matcher.is_active():
            matcher._read_ids()  # noqa: SLF001 - stable in whoosh 2.7.5
            ids.extend(matcher._ids)  # noqa: SLF001
            matcher._next_block()  # noqa: SLF001
        return ids
    return list(matcher.all_ids())


# --------------------------------------------------------------------------
# Per-segment caches


class _SegmentCache:
    """Everything we precompute for one immutable segment."""

    #: Cached term bitmaps per segment (12.5 kB each at 100,000 documents).
    TERM_CACHE_SIZE = 1024

    def __init__(self, reader: IndexReader) -> None:
        self.size = reader.doc_count_all()
        self.full = (1 << self.size) - 1
        self.values: dict[str, dict[str, int]] = {}
        for key, fieldname in FACET_FIELDS.items():
            per_value: dict[str, int] = {}
            if fieldname in reader.indexed_field_names():
                for btext in reader.lexicon(fieldname):
                    value = btext.decode("utf-8")
                    per_value[value] = _bitmap(_posting_ids(reader, fieldname, btext), self.size)
            self.values[key] = per_value
        self.ids = self._column(reader, "c_id")
        self.prices = self._column(reader, "c_price")
        self.published = self._column(reader, "c_published")
        self._terms: OrderedDict[tuple[str, str], int] = OrderedDict()
        # (sorted prices of priced docs, their docnums) for range filters
        priced = sorted((p, d) for d, p in enumerate(self.prices) if p != _NEGOTIABLE)
        self.price_sorted = array("q", (p for p, _ in priced))
        self.price_docs = array("q", (d for _, d in priced))
        # Sort keys and orders are computed now, so no user query pays for them.
        self._sort_keys: dict[str, list[int]] = {}
        self._sort_orders: dict[str, array] = {}
        for sort in (SORT_NEWEST, SORT_PRICE_ASC, SORT_PRICE_DESC):
            keys = self._sort_keys[sort] = [self._key(sort, d) for d in range(self.size)]
            self._sort_orders[sort] = array("q", sorted(range(self.size), key=keys.__getitem__))

    def _column(self, reader: IndexReader, fieldname: str) -> array:
        if not reader.has_column(fieldname):
            return array("q", bytes(8 * self.size))
        return array("q", reader.column_reader(fieldname, translate=False))

    def term(self, reader: IndexReader, fieldname: str, text: str) -> int:
        """Bitmap of a term (cached, LRU)."""
        key = (fieldname, text)
        bm = self._terms.get(key)
        if bm is not None:
            self._terms.move_to_end(key)
            return bm
        bm = _bitmap(_posting_ids(reader, fieldname, text), self.size)
        self._terms[key] = bm
        if len(self._terms) > self.TERM_CACHE_SIZE:
            self._terms.popitem(last=False)
        return bm

    def price_between(self, low: int | None, high: int | None) -> int:
        """Bitmap of priced documents with low <= price <= high."""
        start = 0 if low is None else bisect.bisect_left(self.price_sorted, low)
        stop = len(self.price_sorted) if high is None else bisect.bisect_right(self.price_sorted, high)
        if start >= stop:
            return 0
        return _bitmap(self.price_docs[start:stop], self.size)

    def sort_keys(self, sort: str) -> list[int]:
        """Per-document integer sort key (smaller first) for a sort order."""
        return self._sort_keys[sort]

    def sort_order(self, sort: str) -> array:
        """Document numbers of this segment in sort order."""
        return self._sort_orders[sort]

    def _key(self, sort: str, d: int) -> int:
        # newest first, ties by larger id first
        inv_recency = (1 << 80) - 1 - ((self.published[d] << 40) | (self.ids[d] & ((1 << 40) - 1)))
        if sort == SORT_NEWEST:
            return inv_recency
        price = self.prices[d]
        if price == _NEGOTIABLE:
            return (1 << 160) | inv_recency
        if sort == SORT_PRICE_DESC:
            price = (1 << 63) - price
        return (price << 80) | inv_recency


@dataclass
class _Leaf:
    reader: IndexReader
    cache: _SegmentCache
    offset: int
    live: int  # bitmap of non-deleted local docnums


class _View:
    """A searcher plus global bitmaps over all its segments."""

    def __init__(self, searcher: Searcher, caches: dict[tuple[str, int], _SegmentCache]) -> None:
        self.searcher = searcher
        self.leaves: list[_Leaf] = []
        live = 0
        for reader, offset in searcher.reader().leaf_readers():
            seg = reader.segment()
            if seg is None or reader.doc_count_all() == 0:
                continue  # empty index
            key = (seg.segment_id(), seg.doc_count_all())
            cache = caches.get(key)
            if cache is None:
                cache = caches[key] = _SegmentCache(reader)
            leaf_live = cache.full
            if reader.has_deletions():
                leaf_live &= ~_bitmap(seg.deleted_docs(), cache.size)
            self.leaves.append(_Leaf(reader, cache, offset, leaf_live))
            live |= leaf_live << offset
        self.live = live
        self.size = sum(leaf.cache.size for leaf in self.leaves)
        self.values: dict[str, dict[str, int]] = {}
        for key in FACET_FIELDS:
            merged: dict[str, int] = {}
            for leaf in self.leaves:
                for value, bm in leaf.cache.values[key].items():
                    merged[value] = merged.get(value, 0) | ((bm & leaf.live) << leaf.offset)
            self.values[key] = merged

    def term(self, fieldname: str, text: str) -> int:
        """Global bitmap of live documents containing a term."""
        bm = 0
        for leaf in self.leaves:
            local = leaf.cache.term(leaf.reader, fieldname, text)
            if local:
                bm |= (local & leaf.live) << leaf.offset
        return bm

    def price_between(self, low: int | None, high: int | None) -> int:
        bm = 0
        for leaf in self.leaves:
            local = leaf.cache.price_between(low, high)
            if local:
                bm |= (local & leaf.live) << leaf.offset
        return bm

    def ids_of(self, docnums: Iterable[int]) -> list[int]:
        """Listing ids of global document numbers."""
        out = []
        for d in docnums:
            leaf = self._leaf_of(d)
            out.append(leaf.cache.ids[d - leaf.offset])
        return out

    def _leaf_of(self, docnum: int) -> _Leaf:
        for leaf in reversed(self.leaves):
            if docnum >= leaf.offset:
                return leaf
        raise IndexError(docnum)

    def top_by_key(self, bm: int, sort: str, limit: int, total: int) -> list[int]:
        """The first ``limit`` global docnums of bitmap ``bm`` in sort order."""
        if limit <= 0 or not bm:
            return []
        per_leaf: list[Iterable[tuple[int, int]]] = []
        dense = total * 16 > self.size
        if dense:
            # Walk the cached order and keep members: stops early.
            data = bm.to_bytes((bm.bit_length() + 7) >> 3, "little")
            nbytes = len(data)
            for leaf in self.leaves:
                per_leaf.append(self._walk(leaf, sort, data, nbytes))
            return [d for _, d in islice(heapq.merge(*per_leaf), limit)]
        candidates: list[tuple[int, int]] = []
        for leaf in self.leaves:
            local = (bm >> leaf.offset) & leaf.cache.full
            if not local:
                continue
            keys = leaf.cache.sort_keys(sort)
            off = leaf.offset
            docs = heapq.nsmallest(limit, _bits(local), key=keys.__getitem__)
            candidates.extend((keys[d], d + off) for d in docs)
        return [d for _, d in heapq.nsmallest(limit, candidates)]

    @staticmethod
    def _walk(leaf: _Leaf, sort: str, data: bytes, nbytes: int) -> Iterator[tuple[int, int]]:
        keys = leaf.cache.sort_keys(sort)
        off = leaf.offset
        for d in leaf.cache.sort_order(sort):
            g = d + off
            i = g >> 3
            if i < nbytes and data[i] >> (g & 7) & 1:
                yield keys[d], g


# --------------------------------------------------------------------------
# Query analysis


@dataclass(frozen=True)
class _WordTerm:
    """One indexed term a user word maps to."""

    field: str
    text: str
    full: bool  # the term is the whole word (not a jieba sub-word of it)


@dataclass
class _ParsedText:
    """The user's words, each as the terms it maps to in every text field."""

    words: list[list[_WordTerm]]
    field_terms: dict[str, set[str]]  # field -> terms, for highlighting

    @property
    def empty(self) -> bool:
        return not self.words


_ZH = chinese_analyzer()
_EN = english_analyzer()
_SPLIT = re.compile(r"[\s\u3000,，;；、。:：!！?？\"'“”‘’()（）\[\]【】{}<>《》|/\\+\-*~^&=]+")


def _analyse_word(analyzer: Analyzer, word: str) -> list[tuple[str, bool]]:
    """(term, is the whole word) for each token of ``word``."""
    out: dict[str, bool] = {}
    for token in analyzer(word, chars=True, mode="query"):
        full = token.startchar == 0 and token.endchar == len(word)
        out[token.text] = out.get(token.text, False) or full
    if out and not any(out.values()) and len(out) == 1:
        out = {t: True for t in out}  # e.g. "Anodes," -> anod
    return list(out.items())


def _parse_text(q: str) -> _ParsedText:
    """Cut user text into words and analyse each word for every text field.

    The text is treated as plain words: Whoosh syntax has no meaning here.
    """
    text = unicodedata.normalize("NFKC", q or "")[:MAX_QUERY_CHARS]
    words: list[list[_WordTerm]] = []
    field_terms: dict[str, set[str]] = {f: set() for f in TEXT_FIELDS}
    seen: set[frozenset[_WordTerm]] = set()
    for chunk in _SPLIT.split(text):
        if not chunk:
            continue
        for word in jieba.cut(chunk):
            zh_terms = _analyse_word(_ZH, word)
            en_terms = _analyse_word(_EN, word)
            terms = [_WordTerm(f, t, full) for f in ZH_FIELDS for t, full in zh_terms]
            terms += [_WordTerm(f, t, full) for f in EN_FIELDS for t, full in en_terms]
            key = frozenset(terms)
            if not terms or key in seen:
                continue
            seen.add(key)
            words.append(terms)
            for term in terms:
                field_terms[term.field].add(term.text)
            if len(words) >= MAX_QUERY_WORDS:
                return _ParsedText(words, field_terms)
    return _ParsedText(words, field_terms)


# --------------------------------------------------------------------------
# Highlighting


class _Highlighter:
    """Finds the query's terms in stored text, without running jieba again.

    Han terms are found as substrings (fast, and what a reader expects to see
    marked); Latin words are found with the English analyzer (so ``anodes``
    is marked for the query ``anode``).
    """

    def __init__(self, field_terms: dict[str, set[str]]) -> None:
        self._patterns: dict[str, re.Pattern[str] | None] = {}
        self._latin: dict[str, set[str]] = {}
        for fieldname in HIGHLIGHT_FIELDS:
            terms = field_terms.get(fieldname, set())
            han = sorted((t for t in terms if _HAN.search(t)), key=len, reverse=True)
            self._patterns[fieldname] = re.compile("|".join(map(re.escape, han))) if han else None
            self._latin[fieldname] = {t for t in terms if not _HAN.search(t)}

    def __call__(self, fieldname: str, text: str) -> str | None:
        """HTML snippet of ``text`` with matched terms in <mark>, or None."""
        if not text:
            return None
        spans: list[tuple[int, int]] = []
        pattern = self._patterns.get(fieldname)
        if pattern is not None:
            spans.extend(m.span() for m in pattern.finditer(text))
        latin = self._latin.get(fieldname)
        if latin:
            spans.extend(
                (t.startchar, t.endchar) for t in _EN(text, chars=True, mode="index") if t.text in latin
            )
        return _mark(fieldname, text, sorted(spans))


def _mark(fieldname: str, text: str, spans: list[tuple[int, int]]) -> str | None:
    """Escape ``text`` and wrap the (sorted) spans in <mark>; cut long text."""
    if not spans:
        return None
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    lo, hi = 0, len(text)
    if fieldname not in _TITLE_FIELDS and len(text) > SNIPPET_CHARS:
        lo = max(0, merged[0][0] - SNIPPET_CHARS // 4)
        hi = min(len(text), lo + SNIPPET_CHARS)
    parts: list[str] = ["…"] if lo > 0 else []
    pos = lo
    for start, end in merged:
        if start >= hi:
            break
        end = min(end, hi)
        parts.append(html.escape(text[pos:start]))
        parts.append("<mark>" + html.escape(text[start:end]) + "</mark>")
        pos = end
    parts.append(html.escape(text[pos:hi]))
    if hi < len(text):
        parts.append("…")
    return "".join(parts)


# --------------------------------------------------------------------------
# Relevance ranking on bitmaps

#: Field groups for ranking: (fields, boost).
RANK_GROUPS: tuple[tuple[tuple[str, ...], float], ...] = (
    (("title_zh", "title_en"), 3.0),
    (("keywords",), 2.0),
    (("abstract_zh", "abstract_en", "problem"), 1.0),
)
#: Weight of a match on a jieba sub-word only (大豆 for the word 大豆蛋白).
PARTIAL_WEIGHT = 0.4


class _WordBitmaps:
    """Bitmaps of one user word: anywhere, whole word anywhere, per group."""

    def __init__(self, view: _View, terms: list[_WordTerm]) -> None:
        self.groups: list[tuple[float, int, int]] = []  # (boost, full, partial only)
        self.any = 0
        self.full = 0
        for fields, boost in RANK_GROUPS:
            full = partial = 0
            for term in terms:
                if term.field in fields:
                    bm = view.term(term.field, term.text)
                    if term.full:
                        full |= bm
                    else:
                        partial |= bm
            self.groups.append((boost, full, partial & ~full))
            self.full |= full
            self.any |= full | partial
        if not any(t.full for t in terms):
            self.full = self.any


def _rank(view: _View, words: list[_WordBitmaps], final: int, limit: int) -> list[tuple[int, float]]:
    """Top ``limit`` (docnum, score) of ``final`` by relevance.

    A document scores, for each word and field group it contains,
    ``idf(word) * boost(group)`` (``PARTIAL_WEIGHT`` times that when it only
    contains jieba sub-words of the word); documents containing every word
    come first. Term frequency and length are ignored, which suits short
    listings. Equal scores are ordered newest first.

    Documents with the same set of matched clauses form one group, so the
    ranking refines a few bitmaps rather than scoring documents one by one;
    groups that can no longer reach the top ``limit`` are dropped early.
    """
    n_docs = max(view.live.bit_count(), 1)
    clauses: list[tuple[float, int]] = []
    all_words = final
    for word in words:
        all_words &= word.full
        idf = math.log(1.0 + n_docs / (1.0 + word.any.bit_count()))
        for boost, full, partial in word.groups:
            if full & final:
                clauses.append((idf * boost, full & final))
            if partial & final:
                clauses.append((idf * boost * PARTIAL_WEIGHT, partial & final))
    remaining = sum(w for w, _ in clauses)
    if len(words) > 1 and all_words:
        clauses.append((remaining + 1.0, all_words))
        remaining += remaining + 1.0
    clauses.sort(key=lambda c: -c[0])

    groups: list[tuple[float, int, int]] = [(0.0, final, final.bit_count())]  # score, bitmap, size
    for weight, clause in clauses:
        remaining -= weight
        refined: list[tuple[float, int, int]] = []
        for score, bm, size in groups:
            inside = bm & clause
            if not inside:
                refined.append((score, bm, size))
                continue
            n_in = inside.bit_count()
            refined.append((score + weight, inside, n_in))
            if n_in < size:
                refined.append((score, bm ^ inside, size - n_in))
        refined.sort(key=lambda g: -g[0])
        seen = 0
        for score, _, size in refined:
            seen += size
            if seen >= limit:
                threshold = score - 1e-9
                refined = [g for g in refined if g[0] + remaining >= threshold]
                break
        groups = refined

    merged: dict[float, int] = {}
    for score, bm, _ in groups:
        key = round(score, 9)
        merged[key] = merged.get(key, 0) | bm
    out: list[tuple[int, float]] = []
    for score in sorted(merged, reverse=True):
        need = limit - len(out)
        if need <= 0:
            break
        bm = merged[score]
        out.extend((d, score) for d in view.top_by_key(bm, SORT_NEWEST, need, bm.bit_count()))
    return out


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
        else:
            self._ix = windex.create_in(self.index_dir, make_schema(), indexname=INDEX_NAME)

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
