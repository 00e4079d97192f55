"""Bitmaps of the Whoosh backend: a Python ``int`` whose bit d is set when document
d is in the set; per segment, cached once, a bitmap per facet value, the price,
publication and id columns and the sort orders (see ``whoosh_backend``).
"""

from __future__ import annotations

import bisect
import heapq
import warnings
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

with warnings.catch_warnings():
    # jieba 0.42.1 and whoosh contain invalid escape sequences in plain
    # strings; Python reports them (DeprecationWarning/SyntaxWarning) only when
    # it compiles the modules without a cached .pyc. Silence exactly those.
    warnings.filterwarnings("ignore", category=DeprecationWarning, message="invalid escape sequence")
    warnings.filterwarnings("ignore", category=SyntaxWarning, message="invalid escape sequence")
    from whoosh.codec.whoosh3 import W3LeafMatcher
    from whoosh.reading import IndexReader, TermNotFound
    from whoosh.searching import Searcher

from .backend import (
    SORT_NEWEST,
    SORT_PRICE_ASC,
    SORT_PRICE_DESC,
)
from .whoosh_analysis import (
    _NEGOTIABLE,
    FACET_FIELDS,
)

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
