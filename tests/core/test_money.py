import pytest

from marketplace.core.money import MoneyError, format_auto, format_wan, format_yi, format_yuan, parse_yuan


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
def test_parse_yuan_reads_what_people_type(app, text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "1.234", "-5", "1e3x", "NaN", "Infinity", "99999999999999"])
def test_parse_yuan_refuses_bad_amounts(app, text):
    with app.test_request_context():
        with pytest.raises(MoneyError) as exc:
            parse_yuan(text)
        assert str(exc.value)


def test_parse_yuan_never_uses_floats(app):
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
