"""Text analysis of the Whoosh backend: the index schema, jieba and the analyzers,
the reading of user text into the terms it maps to, and highlighting.

User text is never parsed as Whoosh syntax: it is normalised (NFKC, capped at
:data:`MAX_QUERY_CHARS` and :data:`MAX_QUERY_WORDS`), cut into words with
jieba, and every word is run through each field's analyzer (see the module
``whoosh_backend`` for the whole design).
"""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
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
    from whoosh.analysis import (
        Analyzer,
        LowercaseFilter,
        StemFilter,
        StemmingAnalyzer,
        StopFilter,
        Token,
        Tokenizer,
    )
    from whoosh.lang.porter import stem as porter_stem

from .backend import (
    PRICE_FACET,
    ListingDoc,
    price_bucket,
)

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
    "trl": "f_trl",
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
