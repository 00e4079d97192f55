"""Percentages typed by people, stored in basis points.

The database and the API count shares, royalties and commissions in basis
points (1 % = 100 bp). People think in percent: the web forms ask "12.5"
(or "12.5 %") and convert, so nobody has to know what a basis point is.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import StringField

BP_PER_PERCENT = 100
#: 100 % in basis points.
FULL_BP = 100 * BP_PER_PERCENT


class PercentError(ValueError):
    """A percentage that cannot be read or is out of range; carries a translatable message."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def bp_to_percent_text(bp: int) -> str:
    """Basis points as the percentage a person types: 1250 -> "12.5", 10000 -> "100"."""
    text = f"{Decimal(bp) / BP_PER_PERCENT:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_percent(text: str, *, low_bp: int = 0, high_bp: int = FULL_BP) -> int:
    """Read a percentage ("12.5", "12.5 %", "１２％") and return basis points.

    At most two decimals; the result must lie between ``low_bp`` and ``high_bp``.
    The messages speak percent, never basis points.
    """
    cleaned = "".join(str(text).split()).replace("％", "%").rstrip("%")
    cleaned = cleaned.translate(_FULL_WIDTH).replace("。", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise PercentError(_l("Enter a percentage such as 12.5 (two decimals at most)."))
    bp = value * BP_PER_PERCENT
    if bp != bp.to_integral_value():
        raise PercentError(_l("A percentage has two decimals at most, e.g. 12.34."))
    bp_int = int(bp)
    if not low_bp <= bp_int <= high_bp:
        raise PercentError(
            _l(
                "Enter a percentage from %(low)s %% to %(high)s %%.",
                low=bp_to_percent_text(low_bp),
                high=bp_to_percent_text(high_bp),
            )
        )
    return bp_int


_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－", "0123456789.-")


class PercentField(StringField):
    """A percentage typed on a web page; ``data`` is integer basis points (None when empty).

    ``low_bp`` and ``high_bp`` bound the value (in basis points); the API forms keep
    their integer basis-point fields, so the API's names and units do not change.
    """

    def __init__(self, label=None, validators=None, *, low_bp: int = 0, high_bp: int = FULL_BP, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(label, validators, **kwargs)
        self.low_bp = low_bp
        self.high_bp = high_bp

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return bp_to_percent_text(self.data) + "%" if isinstance(self.data, int) else ""

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "") or ""
        if not text.strip():
            self.data = None
            return
        try:
            self.data = parse_percent(text, low_bp=self.low_bp, high_bp=self.high_bp)
        except PercentError as exc:
            self.data = None
            raise ValueError(exc.message) from None

    def process_data(self, value):
        self.data = int(value) if isinstance(value, int | Decimal) and not isinstance(value, bool) else None
