"""The deal terms of one deal kind: the value object shared by listings and offers.

A listing advertises terms per deal kind (amounts may be left open: negotiable);
an offer states complete terms (a licence names its fee or royalty, a transfer
its price, an equity contribution its valuation and share). Both read the same
terms object (API.md "Terms object") and are checked by the same rules, with
the same messages: `TermsData.problems()`, `complete=True` for an offer.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from flask_babel import lazy_gettext as _l

from ..core.money import MAX_FEN

#: The fields of a terms object per deal kind.
TERMS_FIELDS: dict[str, tuple[str, ...]] = {
    "license": ("license_type", "field_of_use", "territory", "term_months", "upfront_fen", "royalty_bp"),
    "transfer": ("price_fen",),
    "equity": ("valuation_fen", "equity_share_bp", "company"),
}
#: Every column of a terms row, the deal kind first.
ALL_TERMS_FIELDS: tuple[str, ...] = (
    "deal_kind",
    "license_type",
    "field_of_use",
    "territory",
    "term_months",
    "upfront_fen",
    "royalty_bp",
    "price_fen",
    "valuation_fen",
    "equity_share_bp",
    "company",
)
LICENSE_TYPES = ("exclusive", "sole", "non_exclusive")
#: Texts of a terms object (field of use, territory, company) are at most this long.
MAX_TERMS_TEXT = 200


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class TermsData:
    """The terms of one deal kind (amounts in fen, percentages in basis points)."""

    deal_kind: str | None
    license_type: str | None = None
    field_of_use: str | None = ""
    territory: str | None = ""
    term_months: int | None = None
    upfront_fen: int | None = None
    royalty_bp: int | None = None
    price_fen: int | None = None
    valuation_fen: int | None = None
    equity_share_bp: int | None = None
    company: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TermsData:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def cleaned(self) -> dict[str, Any]:
        """Only the fields of the deal kind, every other field empty (a terms row's columns):
        texts stripped, an empty field of use or territory "" (every field, no limit)."""
        out: dict[str, Any] = {name: None for name in ALL_TERMS_FIELDS}
        out["field_of_use"], out["territory"] = "", ""
        out["deal_kind"] = self.deal_kind
        for name in TERMS_FIELDS.get(self.deal_kind or "", ()):
            value = getattr(self, name)
            if isinstance(value, str):
                value = value.strip()
            if name in ("field_of_use", "territory"):
                value = value or ""
            elif name in ("license_type", "company"):
                value = value or None
            out[name] = value
        return out

    def problems(self, *, complete: bool = False) -> dict[str, list[Any]]:
        """What is wrong, by field name: nothing when the terms are fine. `complete`
        also asks for the amounts a deal cannot do without (an offer's terms)."""
        errors: dict[str, list[Any]] = {}

        def err(name: str, message: Any) -> None:
            errors.setdefault(name, []).append(message)

        kind = self.deal_kind
        if kind not in TERMS_FIELDS:
            err("deal_kind", _l("Choose licence, transfer or equity contribution."))
            return errors
        data = self.cleaned()
        for name in ("upfront_fen", "price_fen", "valuation_fen"):
            value = data[name]
            if value is None:
                continue
            if not _whole(value):
                err(name, _l("An amount in fen is a whole number."))
            elif value < 0:
                err(name, _l("The amount cannot be negative."))
            elif value > MAX_FEN:
                err(name, _l("The amount is too large."))
        for name, low in (("royalty_bp", 0), ("equity_share_bp", 1)):
            value = data[name]
            if value is None:
                continue
            if not _whole(value):
                err(name, _l("In basis points: a whole number, 100 = 1 %."))
            elif not low <= value <= 10000:
                err(name, _l("Between %(low)s and 10000 basis points (100 %%).", low=low))
        for name in ("field_of_use", "territory", "company"):
            if len(data[name] or "") > MAX_TERMS_TEXT:
                err(name, _l("At most 200 characters."))
        if kind == "license":
            if data["license_type"] not in LICENSE_TYPES:
                err("license_type", _l("Choose exclusive, sole or non-exclusive."))
            months = data["term_months"]
            if months is not None and (not _whole(months) or not 1 <= months <= 1200):
                err("term_months", _l("Between 1 and 1200 months."))
        if complete:
            _check_complete(data, err)
        return errors


def _check_complete(data: dict[str, Any], err) -> None:
    """The amounts without which a deal of that kind cannot be agreed."""
    kind = data["deal_kind"]
    if kind == "license":
        if data["upfront_fen"] is None and data["royalty_bp"] is None:
            err("upfront_fen", _l("State an upfront fee, a royalty rate or both."))
    elif kind == "transfer":
        if data["price_fen"] is None:
            err("price_fen", _l("State the transfer price."))
        elif _whole(data["price_fen"]) and data["price_fen"] == 0:
            err("price_fen", _l("A transfer has a price above zero."))
    else:
        if data["valuation_fen"] is None:
            err("valuation_fen", _l("State the valuation of the IP."))
        elif _whole(data["valuation_fen"]) and data["valuation_fen"] == 0:
            err("valuation_fen", _l("The valuation is above zero."))
        if data["equity_share_bp"] is None:
            err("equity_share_bp", _l("State the equity share in the receiving company."))
