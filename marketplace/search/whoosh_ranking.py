"""Relevance ranking of the Whoosh backend on bitmaps: documents containing every
word first, then the sum over words and field groups of ``idf(word) * boost``
(see :func:`_rank` and ``whoosh_backend``).
"""

from __future__ import annotations

import math
import warnings

with warnings.catch_warnings():
    # jieba 0.42.1 and whoosh contain invalid escape sequences in plain
    # strings; Python reports them (DeprecationWarning/SyntaxWarning) only when
    # it compiles the modules without a cached .pyc. Silence exactly those.
    warnings.filterwarnings("ignore", category=DeprecationWarning, message="invalid escape sequence")
    warnings.filterwarnings("ignore", category=SyntaxWarning, message="invalid escape sequence")

from .backend import (
    SORT_NEWEST,
)
from .whoosh_analysis import (
    _WordTerm,
)
from .whoosh_bitmaps import (
    _View,
)

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
