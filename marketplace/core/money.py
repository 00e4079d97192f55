"""Money as integer fen. Parsing and formatting; no floats anywhere.

1 yuan = 100 fen; 1 万元 = 10,000 yuan; 1 亿元 = 100,000,000 yuan.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

FEN_PER_YUAN = 100
FEN_PER_WAN = 10_000 * FEN_PER_YUAN
FEN_PER_YI = 100_000_000 * FEN_PER_YUAN
# The largest amount the platform accepts: 10^12 yuan, far above any contract.
MAX_FEN = 10**14


class MoneyError(ValueError):
    """A money amount that cannot be read; carries a translatable message."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def parse_yuan(text: str | int | Decimal, *, allow_negative: bool = False) -> int:
    """Read an amount in yuan ("1,234.56", "１２３", "1234") and return fen.

    At most two decimals; thousands separators and spaces are allowed.
    """
    if isinstance(text, bool):
        raise MoneyError(_l("Enter an amount in yuan, e.g. 1234.56."))
    if isinstance(text, int):
        value = Decimal(text)
    elif isinstance(text, Decimal):
        value = text
    else:
        cleaned = (
            str(text)
            .strip()
            .translate(str.maketrans("０１２３４５６７８９．，－", "0123456789.,-"))
            .replace(",", "")
            .replace(" ", "")
            .removesuffix("元")
            .removeprefix("¥")
            .removeprefix("￥")
        )
        if not cleaned:
            raise MoneyError(_l("Enter an amount in yuan, e.g. 1234.56."))
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise MoneyError(_l("Enter an amount in yuan, e.g. 1234.56.")) from None
    if not value.is_finite():
        raise MoneyError(_l("Enter an amount in yuan, e.g. 1234.56."))
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise MoneyError(_l("An amount in yuan has at most two decimals."))
    fen = int((value * FEN_PER_YUAN).to_integral_value())
    if fen < 0 and not allow_negative:
        raise MoneyError(_l("The amount cannot be negative."))
    if abs(fen) > MAX_FEN:
        raise MoneyError(_l("The amount is too large."))
    return fen


def _group(n: int) -> str:
    return f"{n:,}"


def format_yuan(fen: int | None, *, unit: bool = True) -> str:
    """12345678 -> "123,456.78 元"."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), FEN_PER_YUAN)
    text = f"{sign}{_group(yuan)}.{cents:02d}"
    return f"{text} 元" if unit else text


def _scaled(fen: int, per: int, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    value = (Decimal(int(fen)) / Decimal(per)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{value:,.{places}f}"


def format_wan(fen: int | None, places: int = 2) -> str:
    """Amount in 万元, as Chinese statistics show it: 123456789 fen -> "123.46 万元"."""
    if fen is None:
        return ""
    return f"{_scaled(fen, FEN_PER_WAN, places)} 万元"


def format_yi(fen: int | None, places: int = 2) -> str:
    """Amount in 亿元: 2 * 10**13 fen -> "2,000.00 亿元"."""
    if fen is None:
        return ""
    return f"{_scaled(fen, FEN_PER_YI, places)} 亿元"


def format_auto(fen: int | None) -> str:
    """The unit a reader expects: 元 below 10 万, 万元 below 1 亿, else 亿元."""
    if fen is None:
        return ""
    magnitude = abs(int(fen))
    if magnitude >= FEN_PER_YI:
        return format_yi(fen)
    if magnitude >= 10 * FEN_PER_WAN:
        return format_wan(fen)
    return format_yuan(fen)


def fen_to_yuan_text(fen: int | None) -> str:
    """Value for an input field in yuan: 123456 -> "1234.56"."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), FEN_PER_YUAN)
    return f"{sign}{yuan}.{cents:02d}"


# English readers do not count in 万 and 亿: the same amounts in yuan, millions and billions.
FEN_PER_MILLION = 1_000_000 * FEN_PER_YUAN
FEN_PER_BILLION = 1_000_000_000 * FEN_PER_YUAN


def format_yuan_en(fen: int | None, *, unit: bool = True) -> str:
    """12345678 -> "CNY 123,456.78"."""
    if fen is None:
        return ""
    text = format_yuan(fen, unit=False)
    return f"CNY {text}" if unit else text


def format_wan_en(fen: int | None, places: int = 2) -> str:
    """What format_wan shows, for English: "CNY 123,000" below a million, else "CNY 1.23 million"."""
    if fen is None:
        return ""
    if abs(int(fen)) < FEN_PER_MILLION:
        return f"CNY {_scaled(fen, FEN_PER_YUAN, 0)}"
    return f"CNY {_scaled(fen, FEN_PER_MILLION, places)} million"


def format_yi_en(fen: int | None, places: int = 2) -> str:
    """What format_yi shows, for English: 2 * 10**13 fen -> "CNY 200.00 billion"."""
    if fen is None:
        return ""
    return f"CNY {_scaled(fen, FEN_PER_BILLION, places)} billion"


def format_auto_en(fen: int | None) -> str:
    """format_auto for English: yuan below a million, then millions, then billions."""
    if fen is None:
        return ""
    magnitude = abs(int(fen))
    if magnitude >= FEN_PER_BILLION:
        return format_yi_en(fen)
    if magnitude >= FEN_PER_MILLION:
        return f"CNY {_scaled(fen, FEN_PER_MILLION, 2)} million"
    return format_yuan_en(fen)


def for_locale(chinese, english):
    """A template filter that shows amounts as `english` does in English, as `chinese` does otherwise."""
    from flask_babel import get_locale

    def _filter(fen, *args, **kwargs):
        locale = get_locale()
        use = english if locale is not None and locale.language == "en" else chinese
        return use(fen, *args, **kwargs)

    _filter.__name__ = chinese.__name__
    return _filter
