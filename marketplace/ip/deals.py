"""The exclusivity rule: is a deal possible on an asset now, and if not, why.

This is the one place that answers it (DOMAIN.md, "Offers and negotiation").
Listings and offers build a :class:`DealTerms`; :func:`check_deal` answers with a
:class:`DealCheck`; contracts commit a deal with ``services.record_committed_deal``,
which runs the same check under a row lock on the asset.

The rule, as implemented
------------------------
Encumbrances are licences granted before (``license``), pledges (``pledge``) and
deals committed on the platform (``committed_deal``: a licence, transfer or
equity contribution under a contract). A released encumbrance (pledge released,
licence terminated, committed deal closed) stops counting on its release date.

1. An asset whose legal status is lapsed, expired or invalidated, or whose
   expiry date has passed, cannot be dealt at all (``asset_not_in_force``,
   ``asset_expired``). A pending application can be (transfer of the
   application right, licence of the application).
2. An unreleased pledge excludes a transfer or equity contribution, and an
   exclusive or sole licence, which would empty the pledged right of its value
   (``pledged``). A non-exclusive licence stays possible: Civil Code art. 444
   requires the pledgee's consent, which the check reports as a warning
   (``pledgee_consent_needed``). A pledge the pledgee puts up for sale
   (``disposal_ref`` set, after a default) lets a transfer through with a
   warning (``pledge_in_disposal``): the sale pays the pledgee first.
3. A transfer or equity deal committed on the platform and not yet closed
   excludes every other deal, of any kind (``transfer_committed``). It is
   closed when ``record_transfer`` records the new owners under the same
   contract reference (then the new owners may deal again: the chain of title
   continues) or when the contract is cancelled.
4. A transfer or equity deal is excluded by any exclusive or sole licence
   (granted before or committed) whose term has not ended on the deal date
   (``exclusive_license_in_force``): the owner has given away the exclusive
   exploitation of the asset, so the platform will not sell it underneath the
   licensee. Decision on DOMAIN.md's "a transfer excludes every other deal":
   an existing *non-exclusive* licence does not block a transfer. In Chinese
   law a licence concluded before the transfer survives it (SPC
   interpretation on technology contract disputes, art. 24), so the buyer
   takes the asset subject to it; the check names each such licence as a
   warning (``licence_survives_transfer``) so the buyer sees it before
   signing. The other direction holds fully: once a transfer is committed
   no licence of any type can be added (rule 3).
5. Licences: an exclusive or sole licence excludes any other licence (of any
   type), and any licence is excluded by an existing exclusive or sole one,
   when the two overlap in field of use AND territory AND term
   (``licence_conflict``). Two non-exclusive licences always coexist.

Overlap, precisely
------------------
- Field of use and territory are lists of terms separated by commas, 、, ;
  or /. Before comparing, text is NFKC-folded, lower-cased and stripped. An
  empty value, or one containing a universal word ("all", "全部", "不限",
  ..., and for territory "全国", "中国", "worldwide", ...) means everything,
  which overlaps anything.
- Two field-of-use terms overlap when they are equal or one contains the
  other ("汽车" overlaps "新能源汽车"): erring towards a conflict is the safe
  side. Two lists overlap when any pair of their terms does.
- Territory terms naming Heilongjiang or one of its cities (in Chinese, with
  or without 省/市, or in English, or as the GB/T 2260 code) are compared as
  region codes: the province contains each of its cities. Other terms
  (provinces, countries) overlap when equal after dropping a 省/市 suffix.
- Terms are closed date intervals [start, end]. A missing start means "from
  the deal date" for the new deal and "since ever" for an encumbrance; a
  missing end means "indefinitely" (e.g. to the end of the right). A
  released encumbrance ends on its release date (one released before its
  term began never counts). Two terms overlap when each starts on or before
  the other ends.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.errors import Conflict, ValidationError
from ..core.timeutil import today_shanghai
from ..extensions import db
from . import states
from .models import Encumbrance, IpAsset

__all__ = [
    "DealCheck",
    "DealExcluded",
    "DealReason",
    "DealTerms",
    "check_deal",
    "normalize_scope",
    "scopes_overlap",
    "terms_overlap",
]

_SEPARATORS = re.compile(r"[,，、;；/|\n]+")
_UNIVERSAL = frozenset(
    {"", "all", "any", "*", "everything", "全部", "不限", "所有", "任意", "全领域", "所有领域", "全部领域"}
)
_UNIVERSAL_TERRITORY = _UNIVERSAL | frozenset(
    {"全国", "中国", "中华人民共和国", "中国大陆", "china", "prc", "全球", "全世界", "worldwide", "world"}
)
# Heilongjiang and its cities: names people write -> GB/T 2260 code.
_REGION_NAMES = {
    "230000": ("黑龙江", "heilongjiang"),
    "230100": ("哈尔滨", "harbin"),
    "230200": ("齐齐哈尔", "qiqihar"),
    "230300": ("鸡西", "jixi"),
    "230400": ("鹤岗", "hegang"),
    "230500": ("双鸭山", "shuangyashan"),
    "230600": ("大庆", "daqing"),
    "230700": ("伊春", "yichun"),
    "230800": ("佳木斯", "jiamusi"),
    "230900": ("七台河", "qitaihe"),
    "231000": ("牡丹江", "mudanjiang"),
    "231100": ("黑河", "heihe"),
    "231200": ("绥化", "suihua"),
    "232700": ("大兴安岭", "da hinggan ling"),
}
_REGION_BY_NAME = {name: code for code, names in _REGION_NAMES.items() for name in (*names, code)}
_SUFFIXES = ("地区", "省", "市", " province", " city")


def _terms(text: str | None) -> list[str]:
    folded = unicodedata.normalize("NFKC", text or "").lower()
    out: list[str] = []
    for part in _SEPARATORS.split(folded):
        term = " ".join(part.split())
        if term and term not in out:
            out.append(term)
    return out


def normalize_scope(text: str | None, *, territory: bool = False) -> str:
    """The stored form of a field of use or territory: "" when it means everything,
    else the distinct terms joined by "、" (case and width folded)."""
    terms = _terms(text)
    universal = _UNIVERSAL_TERRITORY if territory else _UNIVERSAL
    if not terms or any(t in universal for t in terms):
        return ""
    return "、".join(terms)


def _territory_key(term: str) -> str:
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) > len(suffix):
            term = term[: -len(suffix)].strip()
            break
    return _REGION_BY_NAME.get(term, term)


def _territory_terms_overlap(a: str, b: str) -> bool:
    ka, kb = _territory_key(a), _territory_key(b)
    if ka == kb:
        return True
    province = "230000"
    return (ka == province and kb.startswith("23") and kb.isdigit()) or (
        kb == province and ka.startswith("23") and ka.isdigit()
    )


def _field_terms_overlap(a: str, b: str) -> bool:
    return a in b or b in a


def scopes_overlap(a: str | None, b: str | None, *, territory: bool = False) -> bool:
    """Whether two fields of use (or territories) share anything (see the module doc)."""
    universal = _UNIVERSAL_TERRITORY if territory else _UNIVERSAL
    ta, tb = _terms(a), _terms(b)
    if not ta or not tb or any(t in universal for t in (*ta, *tb)):
        return True
    same = _territory_terms_overlap if territory else _field_terms_overlap
    return any(same(x, y) for x in ta for y in tb)


def terms_overlap(a_start: date | None, a_end: date | None, b_start: date | None, b_end: date | None) -> bool:
    """Closed date intervals; None start = since ever, None end = indefinitely.

    An empty interval (ending before it starts: a licence terminated before
    its term began) overlaps nothing.
    """
    for start, end in ((a_start, a_end), (b_start, b_end)):
        if start is not None and end is not None and end < start:
            return False
    return (a_start is None or b_end is None or a_start <= b_end) and (
        b_start is None or a_end is None or b_start <= a_end
    )


def add_months(start: date, months: int) -> date:
    """The same day `months` later (clamped to the month's last day)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in range(start.day, 27, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return date(year, month, min(start.day, 28))


@dataclass
class DealTerms:
    """The terms of a proposed deal on one asset, as listings and offers carry them.

    ``license_type`` is required for a licence and must be None otherwise;
    field of use and territory apply to licences ("" = everything) and are
    ignored for transfers and equity, which take the whole right. Invalid terms
    raise ValidationError (422) with per-field messages.
    """

    deal_kind: str
    license_type: str | None = None
    field_of_use: str = ""
    territory: str = ""
    term_start: date | None = None
    term_end: date | None = None

    def __post_init__(self) -> None:
        errors: dict[str, list[Any]] = {}
        if self.deal_kind not in states.DEAL_KIND_LABELS:
            errors["deal_kind"] = [_l("Choose licence, transfer or equity contribution.")]
        elif self.deal_kind == "license":
            if self.license_type not in states.LICENSE_TYPE_LABELS:
                errors["license_type"] = [_l("Choose the licence type: exclusive, sole or non-exclusive.")]
        else:
            if self.license_type:
                errors["license_type"] = [_l("Only a licence has a licence type.")]
            self.field_of_use, self.territory = "", ""
        if self.term_start and self.term_end and self.term_end < self.term_start:
            errors["term_end"] = [_l("The term cannot end before it starts.")]
        if errors:
            raise ValidationError(fields=errors)
        self.field_of_use = normalize_scope(self.field_of_use)
        self.territory = normalize_scope(self.territory, territory=True)

    @classmethod
    def for_months(
        cls,
        deal_kind: str,
        *,
        start: date,
        months: int | None = None,
        license_type: str | None = None,
        field_of_use: str = "",
        territory: str = "",
    ) -> DealTerms:
        """Terms whose term runs `months` from `start` (None: indefinitely), as offers state it."""
        end = add_months(start, months) - timedelta(days=1) if months else None
        return cls(
            deal_kind,
            license_type=license_type,
            field_of_use=field_of_use,
            territory=territory,
            term_start=start,
            term_end=end,
        )

    @property
    def takes_whole_right(self) -> bool:
        return self.deal_kind in ("transfer", "equity")

    def to_dict(self) -> dict[str, Any]:
        return {
            "deal_kind": self.deal_kind,
            "license_type": self.license_type,
            "field_of_use": self.field_of_use,
            "territory": self.territory,
            "term_start": self.term_start.isoformat() if self.term_start else None,
            "term_end": self.term_end.isoformat() if self.term_end else None,
        }


@dataclass(frozen=True)
class DealReason:
    """Why a deal is not possible (or, as a warning, what the parties must know)."""

    code: str
    message: Any  # a lazy translatable string
    encumbrance_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "encumbrance_id": self.encumbrance_id}


@dataclass
class DealCheck:
    """The answer of :func:`check_deal`: ``ok`` when ``reasons`` is empty."""

    reasons: list[DealReason] = field(default_factory=list)
    warnings: list[DealReason] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]

    @property
    def message(self) -> str:
        return " ".join(str(r.message) for r in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reasons": [r.to_dict() for r in self.reasons],
            "warnings": [w.to_dict() for w in self.warnings],
        }


def effective_end(enc: Encumbrance) -> date | None:
    """The last day an encumbrance counts: its term's end, or its release date if earlier."""
    if enc.released_on is None:
        return enc.term_end
    if enc.term_end is None:
        return enc.released_on
    return min(enc.term_end, enc.released_on)


def current_encumbrances(asset: IpAsset) -> list[Encumbrance]:
    """The asset's encumbrances as the database has them now (re-read, not cached)."""
    if asset.id is None:
        return []
    return list(
        db.session.scalars(
            select(Encumbrance)
            .where(Encumbrance.asset_id == asset.id)
            .order_by(Encumbrance.id)
            .execution_options(populate_existing=True)
        )
    )


def _who(enc: Encumbrance) -> str:
    return enc.counterparty or enc.reference or f"#{enc.id}"


def status_reasons(asset: IpAsset, on: date) -> list[DealReason]:
    """Rule 1: an asset no longer in force cannot be dealt."""
    if asset.legal_status in states.DEAD_STATUSES:
        return [
            DealReason(
                "asset_not_in_force",
                _l("The asset is %(status)s: it cannot be dealt.", status=asset.legal_status_label),
            )
        ]
    if asset.expires_on is not None and asset.expires_on < on:
        return [
            DealReason(
                "asset_expired",
                _l("The asset expired on %(date)s: it cannot be dealt.", date=asset.expires_on.isoformat()),
            )
        ]
    return []


def evaluate(
    asset: IpAsset,
    deal: DealTerms,
    *,
    on: date,
    encumbrances: Iterable[Encumbrance],
    check_status: bool = True,
) -> DealCheck:
    """The rule over given encumbrances (see the module doc); no database access."""
    result = DealCheck(reasons=status_reasons(asset, on) if check_status else [])
    start = deal.term_start or on
    end = None if deal.takes_whole_right else deal.term_end
    if deal.takes_whole_right:
        start = on
    for enc in encumbrances:
        if enc.kind == "pledge":
            if enc.is_released:
                continue
            if enc.disposal_ref and deal.deal_kind == "transfer":
                result.warnings.append(
                    DealReason(
                        "pledge_in_disposal",
                        _l(
                            "The asset is pledged to %(pledgee)s, who puts it up for sale (%(ref)s): the "
                            "price pays the pledgee first.",
                            pledgee=_who(enc),
                            ref=enc.disposal_ref,
                        ),
                        enc.id,
                    )
                )
                continue
            if deal.takes_whole_right:
                result.reasons.append(
                    DealReason(
                        "pledged",
                        _l(
                            "The asset is pledged to %(pledgee)s: it cannot be transferred or contributed "
                            "as equity until the pledge is released.",
                            pledgee=_who(enc),
                        ),
                        enc.id,
                    )
                )
            elif deal.license_type in states.EXCLUSIVE_TYPES:
                result.reasons.append(
                    DealReason(
                        "pledged",
                        _l(
                            "The asset is pledged to %(pledgee)s: it cannot be licensed exclusively "
                            "(exclusive or sole) until the pledge is released.",
                            pledgee=_who(enc),
                        ),
                        enc.id,
                    )
                )
            else:
                result.warnings.append(
                    DealReason(
                        "pledgee_consent_needed",
                        _l(
                            "The asset is pledged to %(pledgee)s: a licence needs the pledgee's consent.",
                            pledgee=_who(enc),
                        ),
                        enc.id,
                    )
                )
            continue
        if enc.deal_kind in ("transfer", "equity"):
            if not enc.is_released:
                result.reasons.append(
                    DealReason(
                        "transfer_committed",
                        _l(
                            "A %(deal)s of this asset is committed under contract %(ref)s: no other deal "
                            "is possible.",
                            deal=enc.deal_kind_label,
                            ref=enc.reference or "",
                        ),
                        enc.id,
                    )
                )
            continue
        # A licence, granted before or committed on the platform.
        if not terms_overlap(enc.term_start, effective_end(enc), start, end):
            continue
        exclusive = enc.license_type in states.EXCLUSIVE_TYPES
        if deal.takes_whole_right:
            if exclusive:
                result.reasons.append(
                    DealReason(
                        "exclusive_license_in_force",
                        _l(
                            "The %(type)s licence to %(licensee)s is in force: the asset cannot be "
                            "transferred or contributed as equity while it lasts.",
                            type=enc.license_type_label,
                            licensee=_who(enc),
                        ),
                        enc.id,
                    )
                )
            else:
                result.warnings.append(
                    DealReason(
                        "licence_survives_transfer",
                        _l(
                            "A non-exclusive licence to %(licensee)s is in force; it remains valid after "
                            "the transfer.",
                            licensee=_who(enc),
                        ),
                        enc.id,
                    )
                )
            continue
        if not (exclusive or deal.license_type in states.EXCLUSIVE_TYPES):
            continue
        if scopes_overlap(enc.field_of_use, deal.field_of_use) and scopes_overlap(
            enc.territory, deal.territory, territory=True
        ):
            result.reasons.append(
                DealReason(
                    "licence_conflict",
                    _l(
                        "The %(type)s licence to %(licensee)s overlaps in field of use, territory and "
                        "term: an exclusive or sole licence cannot share them with another licence.",
                        type=enc.license_type_label,
                        licensee=_who(enc),
                    ),
                    enc.id,
                )
            )
    if (
        deal.deal_kind == "license"
        and asset.expires_on is not None
        and (end is None or end > asset.expires_on)
        and not any(r.code == "asset_expired" for r in result.reasons)
    ):
        result.warnings.append(
            DealReason(
                "term_beyond_expiry",
                _l(
                    "The asset expires on %(date)s, before the licence term ends.",
                    date=asset.expires_on.isoformat(),
                ),
            )
        )
    return result


def check_deal(asset: IpAsset, deal: DealTerms, *, on: date | None = None) -> DealCheck:
    """Is `deal` possible on `asset` on day `on` (default: today in Shanghai), and if not, why.

    Reads the asset's encumbrances afresh. To commit a deal, call
    ``services.record_committed_deal``, which locks the asset and checks again.
    """
    day = on or today_shanghai()
    return evaluate(asset, deal, on=day, encumbrances=current_encumbrances(asset))


class DealExcluded(Conflict):
    """A deal the exclusivity rule refuses (409); ``check`` holds the reasons."""

    code = "deal_excluded"
    default_message = _l("This deal is not possible on this asset.")

    def __init__(self, check: DealCheck) -> None:
        super().__init__(check.message or None, fields={"deal": [r.message for r in check.reasons]})
        self.check = check
