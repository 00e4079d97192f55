from decimal import Decimal

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from marketplace.core.money import (
    FEN_PER_WAN,
    FEN_PER_YI,
    FEN_PER_YUAN,
    MAX_FEN,
    MoneyError,
    fen_to_yuan_text,
    format_auto,
    format_wan,
    format_yi,
    format_yuan,
    parse_yuan,
)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234.56", 123456),
        ("1,234.56", 123456),
        ("１２３", 12300),
        ("0", 0),
        ("0.1", 10),
        ("12 000", 1200000),
        ("¥88", 8800),
        ("100元", 10000),
    ],
)
def test_parse_yuan_reads_what_people_type(text, fen):
    assert parse_yuan(text) == fen


EN_MESSAGES = {
    "enter": "Enter an amount in yuan, e.g. 1234.56.",
    "decimals": "An amount in yuan has at most two decimals.",
    "negative": "The amount cannot be negative.",
    "large": "The amount is too large.",
}


@pytest.fixture
def english() -> Flask:
    """A bare app with Babel and no catalogue: messages read as their English source."""
    app = Flask(__name__)
    Babel(app)
    return app


def _error(app, value, **kwargs):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(MoneyError) as exc:
            parse_yuan(value, **kwargs)
        return str(exc.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "enter"),
        ("   ", "enter"),
        ("元", "enter"),
        ("abc", "enter"),
        ("1e3x", "enter"),
        ("NaN", "enter"),
        ("Infinity", "enter"),
        ("1.234", "decimals"),
        ("0.001", "decimals"),
        ("1.2300", "decimals"),
        ("-5", "negative"),
        ("－５", "negative"),
        ("-0.01", "negative"),
        ("99999999999999", "large"),
        ("1000000000000.01", "large"),
    ],
)
def test_parse_yuan_refuses_bad_amounts_and_says_why(english, text, message):
    assert _error(english, text) == EN_MESSAGES[message]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "enter"),
        (False, "enter"),
        (Decimal("NaN"), "enter"),
        (Decimal("Infinity"), "enter"),
        (Decimal("1.234"), "decimals"),
        (-1, "negative"),
        (Decimal("-0.01"), "negative"),
        (10**12 + 1, "large"),
        (Decimal("1000000000000.01"), "large"),
    ],
)
def test_parse_yuan_refuses_bad_numbers_and_says_why(english, value, message):
    assert _error(english, value) == EN_MESSAGES[message]


def test_parse_yuan_messages_speak_chinese(app):
    with app.test_request_context(), force_locale("zh_Hans"):
        with pytest.raises(MoneyError) as exc:
            parse_yuan("-5")
        assert str(exc.value) == "金额不能为负数。"
    assert exc.value.message is exc.value.args[0]


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (0, 0),
        (5, 500),
        (10**12, MAX_FEN),
        (Decimal("1.23"), 123),
        (Decimal("1.2"), 120),
        (Decimal("0.01"), 1),
        (Decimal("1E+2"), 10000),
        (Decimal("1000000000000"), MAX_FEN),
    ],
)
def test_parse_yuan_takes_int_and_decimal(value, fen):
    assert parse_yuan(value) == fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("０", 0),
        ("-0", 0),
        ("0.00", 0),
        ("1.20", 120),
        ("１，２３４．５６", 123456),
        ("￥88", 8800),
        ("¥ 1,000", 100000),
        ("  88 元 ", 8800),
        ("1000000000000", MAX_FEN),
        ("1,000,000,000,000.00", MAX_FEN),
    ],
)
def test_parse_yuan_reads_full_width_and_boundaries(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("-5", -500),
        ("－１，２３４．５６", -123456),
        (-7, -700),
        (Decimal("-0.01"), -1),
        ("-1000000000000", -MAX_FEN),
        ("5", 500),
    ],
)
def test_parse_yuan_allows_negative_when_asked(value, fen):
    assert parse_yuan(value, allow_negative=True) == fen


def test_parse_yuan_refuses_too_large_negative_amounts(english):
    assert _error(english, "-1000000000000.01", allow_negative=True) == EN_MESSAGES["large"]


def test_parse_yuan_never_uses_floats():
    # 0.29 * 100 is 28.999999999999996 in floating point
    assert parse_yuan("0.29") == 29
    assert parse_yuan("1000000000.07") == 100000000007


def test_formats():
    assert format_yuan(123456789) == "1,234,567.89 元"
    assert format_yuan(-5) == "-0.05 元"
    assert format_wan(123456789) == "123.46 万元"
    assert format_yi(2 * 10**13) == "2,000.00 亿元"
    assert format_auto(5_000_00) == "5,000.00 元"
    assert format_auto(12_000_000) == "12.00 万元"
    assert format_auto(3 * 10**10) == "3.00 亿元"


def test_domain_errors_render_outside_a_request(app):
    """The command line (seed, import) raises domain errors with no request."""
    from marketplace.core.errors import Conflict

    with app.app_context():
        assert str(Conflict())


def test_units():
    assert (FEN_PER_YUAN, FEN_PER_WAN, FEN_PER_YI) == (100, 1_000_000, 10_000_000_000)
    assert MAX_FEN == 10**14


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00 元"),
        (1, "0.01 元"),
        (-1, "-0.01 元"),
        (100, "1.00 元"),
        (123456, "1,234.56 元"),
        (-123456, "-1,234.56 元"),
        (MAX_FEN, "1,000,000,000,000.00 元"),
        (None, ""),
    ],
)
def test_format_yuan(fen, text):
    assert format_yuan(fen) == text


def test_format_yuan_without_unit():
    assert format_yuan(0, unit=False) == "0.00"
    assert format_yuan(-123456, unit=False) == "-1,234.56"
    assert format_yuan(None, unit=False) == ""


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00 万元"),
        (4_999, "0.00 万元"),
        (5_000, "0.01 万元"),  # half up, not to even
        (15_000, "0.02 万元"),
        (25_000, "0.03 万元"),
        (-5_000, "-0.01 万元"),
        (1_000_000, "1.00 万元"),
        (10**13, "10,000,000.00 万元"),
        (None, ""),
    ],
)
def test_format_wan_rounds_half_up(fen, text):
    assert format_wan(fen) == text


def test_format_wan_and_yi_places():
    assert format_wan(123_456_789, places=0) == "123 万元"
    assert format_wan(123_450_000, places=1) == "123.5 万元"
    assert format_wan(123_456_789, places=3) == "123.457 万元"
    assert format_yi(25_000_000_000, places=0) == "3 亿元"
    assert format_yi(12_345_678_901, places=3) == "1.235 亿元"


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00 亿元"),
        (49_999_999, "0.00 亿元"),
        (50_000_000, "0.01 亿元"),  # half up, not to even
        (250_000_000, "0.03 亿元"),
        (-50_000_000, "-0.01 亿元"),
        (10_000_000_000, "1.00 亿元"),
        (MAX_FEN, "10,000.00 亿元"),
        (None, ""),
    ],
)
def test_format_yi_rounds_half_up(fen, text):
    assert format_yi(fen) == text


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00 元"),
        (9_999_999, "99,999.99 元"),  # below 10 万元: yuan
        (-9_999_999, "-99,999.99 元"),
        (10_000_000, "10.00 万元"),  # from 10 万元: 万元
        (-10_000_000, "-10.00 万元"),
        (9_999_999_999, "10,000.00 万元"),  # just below 1 亿元, rounded
        (10_000_000_000, "1.00 亿元"),  # from 1 亿元: 亿元
        (-10_000_000_000, "-1.00 亿元"),
        (None, ""),
    ],
)
def test_format_auto_thresholds(fen, text):
    assert format_auto(fen) == text


@pytest.mark.parametrize(
    ("fen", "text"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (-5, "-0.05"),
        (123456, "1234.56"),
        (-123456, "-1234.56"),
        (MAX_FEN, "1000000000000.00"),
        (None, ""),
    ],
)
def test_fen_to_yuan_text(fen, text):
    assert fen_to_yuan_text(fen) == text


@pytest.mark.parametrize("fen", [0, 1, 99, 100, 123456, MAX_FEN])
def test_fen_to_yuan_text_reads_back(fen):
    assert parse_yuan(fen_to_yuan_text(fen)) == fen
    assert parse_yuan(fen_to_yuan_text(-fen), allow_negative=True) == -fen


def test_money_error_carries_its_message():
    error = MoneyError("plain")
    assert str(error) == "plain" and error.message == "plain" and error.args == ("plain",)


# English pages: yuan, millions and billions instead of 万 and 亿.


@pytest.mark.parametrize(
    ("fen", "expected"),
    [
        (None, ""),
        (0, "CNY 0.00"),
        (12_345_678, "CNY 123,456.78"),
        (-150, "CNY -1.50"),
    ],
)
def test_format_yuan_en(fen, expected):
    from marketplace.core.money import format_yuan_en

    assert format_yuan_en(fen) == expected


def test_format_yuan_en_without_the_unit():
    from marketplace.core.money import format_yuan_en

    assert format_yuan_en(12_345_678, unit=False) == "123,456.78"


@pytest.mark.parametrize(
    ("fen", "places", "expected"),
    [
        (None, 2, ""),
        (12_300_000, 2, "CNY 123,000"),
        (99_999_950, 2, "CNY 1,000,000"),  # 999,999.50 yuan, rounded half up to whole yuan
        (100_000_000 - 1, 2, "CNY 1,000,000"),
        (100_000_000, 2, "CNY 1.00 million"),
        (-100_000_000, 2, "CNY -1.00 million"),
        (-99_999_999, 2, "CNY -1,000,000"),
        (123_456_789, 2, "CNY 1.23 million"),
        (123_456_789, 1, "CNY 1.2 million"),
        (125_000_000, 1, "CNY 1.3 million"),
    ],
)
def test_format_wan_en(fen, places, expected):
    from marketplace.core.money import format_wan_en

    assert format_wan_en(fen, places) == expected


def test_format_wan_en_defaults_to_two_places():
    from marketplace.core.money import format_wan_en

    assert format_wan_en(123_456_789) == "CNY 1.23 million"


@pytest.mark.parametrize(
    ("fen", "places", "expected"),
    [
        (None, 2, ""),
        (2 * 10**13, 2, "CNY 200.00 billion"),
        (125 * 10**9, 1, "CNY 1.3 billion"),
        (0, 2, "CNY 0.00 billion"),
    ],
)
def test_format_yi_en(fen, places, expected):
    from marketplace.core.money import format_yi_en

    assert format_yi_en(fen, places) == expected


def test_format_yi_en_defaults_to_two_places():
    from marketplace.core.money import format_yi_en

    assert format_yi_en(2 * 10**13) == "CNY 200.00 billion"


@pytest.mark.parametrize(
    ("fen", "expected"),
    [
        (None, ""),
        (99_999_999, "CNY 999,999.99"),
        (100_000_000, "CNY 1.00 million"),
        (-100_000_000, "CNY -1.00 million"),
        (123_456_789, "CNY 1.23 million"),
        (10**11 - 1, "CNY 1,000.00 million"),
        (10**11, "CNY 1.00 billion"),
        (-(10**11), "CNY -1.00 billion"),
    ],
)
def test_format_auto_en(fen, expected):
    from marketplace.core.money import format_auto_en

    assert format_auto_en(fen) == expected


def test_for_locale_follows_the_pages_language():
    from marketplace.core.money import for_locale

    def chinese(fen, *args, **kwargs):
        return ("zh", fen, args, kwargs)

    def english(fen, *args, **kwargs):
        return ("en", fen, args, kwargs)

    app = Flask(__name__)
    Babel(app)
    show = for_locale(chinese, english)
    assert show.__name__ == "chinese"
    with app.test_request_context("/"):
        with force_locale("en"):
            assert show(5, 1, k=2) == ("en", 5, (1,), {"k": 2})
        with force_locale("zh_Hans"):
            assert show(5, 1, k=2) == ("zh", 5, (1,), {"k": 2})
