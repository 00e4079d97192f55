"""The exclusivity rule over several encumbrances at once, in every order and state.

Each encumbrance adds its own reasons and warnings whatever comes before or
after it: a released pledge listed first must not hide the exclusive
licence after it. ``expected_for`` states the rule for one encumbrance from
DOMAIN.md ("Offers and negotiation") with its own small tables for field,
territory and term; a table of hand-picked cases and a property-based test
(hypothesis) then check lists of them against ``evaluate``.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.ip.deals import DealTerms, add_months, effective_end, evaluate, scopes_overlap, terms_overlap
from marketplace.ip.models import Encumbrance, IpAsset

ON = date(2026, 6, 1)
DAY = timedelta(days=1)

# Fields of use and territories with their overlaps spelt out ("" is everything).
FIELDS = ["", "大豆加工", "玉米加工", "all"]
TERRITORIES = ["", "黑龙江", "哈尔滨", "大庆", "吉林", "worldwide"]
_TERRITORY_OVERLAP = {
    frozenset({"黑龙江", "哈尔滨"}),
    frozenset({"黑龙江", "大庆"}),
}
_EVERYTHING = {"", "all", "worldwide"}


def fields_overlap(a: str, b: str) -> bool:
    return a in _EVERYTHING or b in _EVERYTHING or a == b


def territories_overlap(a: str, b: str) -> bool:
    return a in _EVERYTHING or b in _EVERYTHING or a == b or frozenset({a, b}) in _TERRITORY_OVERLAP


# Dates around the deal date for terms and releases.
DATES = [None, ON - 400 * DAY, ON - DAY, ON, ON + DAY, ON + 400 * DAY]


def interval_overlaps(a_start, a_end, b_start, b_end) -> bool:
    lo_a = a_start or date.min
    hi_a = a_end or date.max
    lo_b = b_start or date.min
    hi_b = b_end or date.max
    return max(lo_a, lo_b) <= min(hi_a, hi_b)


def encumbrance(
    id: int,
    kind: str,
    *,
    deal_kind: str | None = None,
    license_type: str | None = None,
    field_of_use: str = "",
    territory: str = "",
    term_start: date | None = None,
    term_end: date | None = None,
    released_on: date | None = None,
) -> Encumbrance:
    return Encumbrance(
        id=id,
        kind=kind,
        deal_kind=deal_kind,
        license_type=license_type,
        field_of_use=field_of_use,
        territory=territory,
        term_start=term_start,
        term_end=term_end,
        released_on=released_on,
        counterparty=f"party {id}",
        reference=f"C-{id}" if kind == "committed_deal" else None,
        amount_fen=100 if kind == "pledge" else None,
    )


def last_day(enc: Encumbrance) -> date | None:
    ends = [d for d in (enc.term_end, enc.released_on) if d is not None]
    return min(ends) if ends else None


def expected_for(enc: Encumbrance, deal: DealTerms) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(reasons, warnings) as (code, encumbrance id) that one encumbrance causes."""
    whole = deal.deal_kind in ("transfer", "equity")
    if enc.kind == "pledge":
        if enc.released_on is not None:
            return [], []
        if whole or deal.license_type in ("exclusive", "sole"):
            return [("pledged", enc.id)], []
        return [], [("pledgee_consent_needed", enc.id)]
    if enc.deal_kind in ("transfer", "equity"):
        return ([], []) if enc.released_on is not None else ([("transfer_committed", enc.id)], [])
    start = ON if whole else (deal.term_start or ON)
    end = None if whole else deal.term_end
    if not interval_overlaps(enc.term_start, last_day(enc), start, end):
        return [], []
    exclusive = enc.license_type in ("exclusive", "sole")
    if whole:
        return (
            ([("exclusive_license_in_force", enc.id)], [])
            if exclusive
            else ([], [("licence_survives_transfer", enc.id)])
        )
    if not exclusive and deal.license_type == "non_exclusive":
        return [], []
    if fields_overlap(enc.field_of_use, deal.field_of_use) and territories_overlap(
        enc.territory, deal.territory
    ):
        return [("licence_conflict", enc.id)], []
    return [], []


def check(encumbrances: list[Encumbrance], deal: DealTerms):
    asset = IpAsset(legal_status="granted", expires_on=None)
    result = evaluate(asset, deal, on=ON, encumbrances=encumbrances)
    return (
        [(r.code, r.encumbrance_id) for r in result.reasons],
        [(w.code, w.encumbrance_id) for w in result.warnings],
    )


def expected(encumbrances: list[Encumbrance], deal: DealTerms):
    reasons, warnings = [], []
    for enc in encumbrances:
        r, w = expected_for(enc, deal)
        reasons += r
        warnings += w
    return reasons, warnings


DEALS = {
    "transfer": DealTerms("transfer"),
    "equity": DealTerms("equity"),
    "exclusive": DealTerms("license", license_type="exclusive"),
    "sole": DealTerms("license", license_type="sole"),
    "non_exclusive": DealTerms("license", license_type="non_exclusive"),
}

# --- hand-picked lists: skipped encumbrances before and after the one that counts ----------


def skipped_ones(start_id: int) -> list[Encumbrance]:
    """Encumbrances that never stop a deal, one per way of being skipped."""
    return [
        encumbrance(start_id, "pledge", released_on=ON - DAY),
        encumbrance(start_id + 1, "committed_deal", deal_kind="transfer", released_on=ON - DAY),
        encumbrance(start_id + 2, "committed_deal", deal_kind="equity", released_on=ON - 400 * DAY),
        encumbrance(
            start_id + 3, "license", deal_kind="license", license_type="exclusive", term_end=ON - DAY
        ),
        encumbrance(
            start_id + 4,
            "license",
            deal_kind="license",
            license_type="sole",
            term_end=ON + 400 * DAY,
            released_on=ON - DAY,
        ),
        encumbrance(
            start_id + 5,
            "committed_deal",
            deal_kind="license",
            license_type="non_exclusive",
            released_on=ON - DAY,
        ),
    ]


BLOCKING = {
    "pledge": lambda: encumbrance(100, "pledge"),
    "committed_transfer": lambda: encumbrance(100, "committed_deal", deal_kind="transfer"),
    "committed_equity": lambda: encumbrance(100, "committed_deal", deal_kind="equity"),
    "exclusive_licence": lambda: encumbrance(100, "license", deal_kind="license", license_type="exclusive"),
    "sole_licence": lambda: encumbrance(100, "committed_deal", deal_kind="license", license_type="sole"),
    "non_exclusive_licence": lambda: encumbrance(
        100, "license", deal_kind="license", license_type="non_exclusive"
    ),
    "exclusive_until_release_on_the_deal_date": lambda: encumbrance(
        100, "license", deal_kind="license", license_type="exclusive", term_end=ON + 400 * DAY, released_on=ON
    ),
    "exclusive_until_the_deal_date": lambda: encumbrance(
        100, "license", deal_kind="license", license_type="exclusive", term_end=ON, released_on=ON + 400 * DAY
    ),
}
# (reasons, warnings) the blocking encumbrance causes, per deal.
BLOCKING_EXPECTED = {
    "pledge": {
        "transfer": (["pledged"], []),
        "equity": (["pledged"], []),
        "exclusive": (["pledged"], []),
        "sole": (["pledged"], []),
        "non_exclusive": ([], ["pledgee_consent_needed"]),
    },
    "committed_transfer": dict.fromkeys(DEALS, (["transfer_committed"], [])),
    "committed_equity": dict.fromkeys(DEALS, (["transfer_committed"], [])),
    "exclusive_licence": {
        "transfer": (["exclusive_license_in_force"], []),
        "equity": (["exclusive_license_in_force"], []),
        "exclusive": (["licence_conflict"], []),
        "sole": (["licence_conflict"], []),
        "non_exclusive": (["licence_conflict"], []),
    },
    "non_exclusive_licence": {
        "transfer": ([], ["licence_survives_transfer"]),
        "equity": ([], ["licence_survives_transfer"]),
        "exclusive": (["licence_conflict"], []),
        "sole": (["licence_conflict"], []),
        "non_exclusive": ([], []),
    },
}
BLOCKING_EXPECTED["sole_licence"] = BLOCKING_EXPECTED["exclusive_licence"]
BLOCKING_EXPECTED["exclusive_until_release_on_the_deal_date"] = BLOCKING_EXPECTED["exclusive_licence"]
BLOCKING_EXPECTED["exclusive_until_the_deal_date"] = BLOCKING_EXPECTED["exclusive_licence"]


@pytest.mark.parametrize("deal", list(DEALS))
@pytest.mark.parametrize("blocking", list(BLOCKING))
@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_skipped_encumbrances_do_not_hide_the_one_that_counts(blocking, deal, position):
    skipped = skipped_ones(1)
    enc = BLOCKING[blocking]()
    at = {"first": 0, "middle": 3, "last": len(skipped)}[position]
    encumbrances = [*skipped[:at], enc, *skipped[at:]]
    reasons, warnings = BLOCKING_EXPECTED[blocking][deal]
    assert check(encumbrances, DEALS[deal]) == ([(c, 100) for c in reasons], [(c, 100) for c in warnings])


@pytest.mark.parametrize("deal", list(DEALS))
def test_only_skipped_encumbrances_allow_every_deal(deal):
    assert check(skipped_ones(1), DEALS[deal]) == ([], [])


def test_a_transfer_under_an_exclusive_licence_listed_after_a_released_pledge():
    pledge = encumbrance(1, "pledge", released_on=ON - DAY)
    licence = encumbrance(2, "license", deal_kind="license", license_type="exclusive")
    for order in itertools.permutations([pledge, licence]):
        assert check(list(order), DEALS["transfer"])[0] == [("exclusive_license_in_force", 2)]


@pytest.mark.parametrize("deal", list(DEALS))
def test_every_order_of_three_that_count(deal):
    pledge = encumbrance(1, "pledge")
    licence = encumbrance(2, "license", deal_kind="license", license_type="non_exclusive")
    sole = encumbrance(3, "committed_deal", deal_kind="license", license_type="sole", field_of_use="大豆加工")
    released = encumbrance(4, "committed_deal", deal_kind="transfer", released_on=ON)
    for order in itertools.permutations([pledge, licence, sole, released]):
        assert check(list(order), DEALS[deal]) == expected(list(order), DEALS[deal])


# --- property: any list, any order --------------------------------------------------------


@st.composite
def encumbrances(draw):
    shapes = [
        ("pledge", None, None),
        ("license", "license", "exclusive"),
        ("license", "license", "sole"),
        ("license", "license", "non_exclusive"),
        ("committed_deal", "license", "exclusive"),
        ("committed_deal", "license", "sole"),
        ("committed_deal", "license", "non_exclusive"),
        ("committed_deal", "transfer", None),
        ("committed_deal", "equity", None),
    ]
    count = draw(st.integers(min_value=0, max_value=5))
    out = []
    for i in range(count):
        kind, deal_kind, license_type = draw(st.sampled_from(shapes))
        start, end = sorted(
            [draw(st.sampled_from(DATES)), draw(st.sampled_from(DATES))], key=lambda d: d or date.max
        )
        if draw(st.booleans()):
            start, end = None, start if end is None else end
        out.append(
            encumbrance(
                i + 1,
                kind,
                deal_kind=deal_kind,
                license_type=license_type,
                field_of_use=draw(st.sampled_from(FIELDS)),
                territory=draw(st.sampled_from(TERRITORIES)),
                term_start=start,
                term_end=end,
                released_on=draw(st.sampled_from(DATES)),
            )
        )
    return out


@st.composite
def deals(draw):
    kind = draw(st.sampled_from(["transfer", "equity", "license"]))
    if kind != "license":
        return DealTerms(kind)
    start, end = draw(st.sampled_from(DATES)), draw(st.sampled_from(DATES))
    if start and end and end < start:
        start, end = end, start
    return DealTerms(
        "license",
        license_type=draw(st.sampled_from(["exclusive", "sole", "non_exclusive"])),
        field_of_use=draw(st.sampled_from(FIELDS)),
        territory=draw(st.sampled_from(TERRITORIES)),
        term_start=start,
        term_end=end,
    )


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(encs=encumbrances(), deal=deals(), data=st.data())
def test_each_encumbrance_counts_on_its_own_in_any_order(encs, deal, data):
    assert check(encs, deal) == expected(encs, deal)
    shuffled = data.draw(st.permutations(encs))
    assert check(shuffled, deal) == expected(shuffled, deal)


# --- the pieces ---------------------------------------------------------------------------


def test_effective_end_with_both_an_end_and_a_release():
    def lic(term_end, released_on):
        return encumbrance(
            1, "license", deal_kind="license", license_type="sole", term_end=term_end, released_on=released_on
        )

    assert effective_end(lic(None, None)) is None
    assert effective_end(lic(ON, None)) == ON
    assert effective_end(lic(None, ON)) == ON
    assert effective_end(lic(ON + DAY, ON)) == ON  # released before its end
    assert effective_end(lic(ON, ON + DAY)) == ON  # ended before the release was recorded
    assert effective_end(lic(ON, ON)) == ON


def test_same_day_overlap_on_both_sides():
    d = date
    # the existing term ends on the day the new one starts
    assert terms_overlap(d(2024, 1, 1), d(2024, 12, 31), d(2024, 12, 31), d(2025, 12, 31))
    assert not terms_overlap(d(2024, 1, 1), d(2024, 12, 30), d(2024, 12, 31), d(2025, 12, 31))
    # the existing term starts on the day the new one ends
    assert terms_overlap(d(2025, 1, 1), d(2025, 12, 31), d(2024, 1, 1), d(2025, 1, 1))
    assert not terms_overlap(d(2025, 1, 2), d(2025, 12, 31), d(2024, 1, 1), d(2025, 1, 1))
    # open ends on either side
    assert terms_overlap(None, d(2025, 1, 1), d(2025, 1, 1), None)
    assert not terms_overlap(None, d(2024, 12, 31), d(2025, 1, 1), None)
    assert terms_overlap(d(2025, 1, 1), None, None, d(2025, 1, 1))
    assert not terms_overlap(d(2025, 1, 2), None, None, d(2025, 1, 1))
    assert terms_overlap(d(2025, 1, 1), d(2025, 1, 1), d(2025, 1, 1), d(2025, 1, 1))


def test_same_day_overlap_through_the_rule():
    sole = encumbrance(
        1, "license", deal_kind="license", license_type="sole", term_start=ON + DAY, term_end=ON + 400 * DAY
    )
    ends_on_start = DealTerms("license", license_type="non_exclusive", term_start=ON, term_end=ON + DAY)
    ends_before = DealTerms("license", license_type="non_exclusive", term_start=ON, term_end=ON)
    assert check([sole], ends_on_start)[0] == [("licence_conflict", 1)]
    assert check([sole], ends_before)[0] == []
    starts_on_end = DealTerms("license", license_type="non_exclusive", term_start=ON + 400 * DAY)
    starts_after = DealTerms("license", license_type="non_exclusive", term_start=ON + 401 * DAY)
    assert check([sole], starts_on_end)[0] == [("licence_conflict", 1)]
    assert check([sole], starts_after)[0] == []


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("all", "吉林省", True),
        ("吉林省", "ALL", True),
        ("worldwide", "哈尔滨", True),
        ("World", "哈尔滨", True),
        ("中国", "大庆", True),
        ("齐齐哈尔市", "黑龙江", True),
        ("黑龙江省", "齐齐哈尔", True),
        ("Qiqihar City", "齐齐哈尔", True),
        ("qiqihar", "230200", True),
        ("大兴安岭地区", "Heilongjiang Province", True),
        ("齐齐哈尔", "哈尔滨", False),
        ("哈尔滨", "齐齐哈尔", False),
        ("大庆市", "230100", False),
        ("吉林省；辽宁省", "辽宁", True),
        ("吉林省；辽宁省", "河北", False),
        ("吉林|辽宁/河北", "河北省", True),
        ("北京市", "北京", True),
        ("省", "省", True),
        ("市", "黑龙江", False),
        ("吉林", "黑龙江", False),
        ("230000", "231200", True),
        ("230100", "230000", True),
        ("绥化", "黑龙江", True),
        ("辽宁", "230000", False),
        ("黑龙江", "210000", False),  # Liaoning's code
        ("黑龙江", "23号园区", False),  # starts with 23 but is no region code
        ("省", "市", False),  # a bare suffix is a term of its own
        ("黑龙江市省", "黑龙江", False),  # one suffix is dropped, not two
        ("", "吉林", True),
    ],
)
def test_territories(a, b, overlap):
    assert scopes_overlap(a, b, territory=True) is overlap
    assert scopes_overlap(b, a, territory=True) is overlap


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("all", "大豆加工", True),
        ("大豆加工", "ANY", True),
        ("worldwide", "大豆加工", False),  # a universal word for territory only
        ("大豆加工；玉米加工", "玉米", True),
        ("大豆加工；玉米加工", "小麦", False),
        ("新能源汽车", "汽车", True),
        ("汽车", "新能源汽车", True),
        ("汽车零件", "新能源汽车", False),
        ("", "大豆加工", True),
        ("大豆加工", "大豆加工", True),
    ],
)
def test_fields_of_use(a, b, overlap):
    assert scopes_overlap(a, b) is overlap
    assert scopes_overlap(b, a) is overlap


def test_semicolon_and_other_separators_split_terms():
    from marketplace.ip.deals import normalize_scope

    assert normalize_scope("吉林；辽宁;河北,山西，内蒙古、黑龙江/北京|天津\n上海") == (
        "吉林、辽宁、河北、山西、内蒙古、黑龙江、北京、天津、上海"
    )
    assert normalize_scope("Harbin  City ; harbin city") == "harbin city"
    assert normalize_scope("吉林；all") == ""
    assert normalize_scope("吉林；worldwide", territory=True) == ""
    assert normalize_scope("吉林；worldwide") == "吉林、worldwide"
    assert normalize_scope(None) == ""


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 1, 1), 12, date(2027, 1, 1)),  # a 12-month licence from January ends the next year
        (date(2026, 1, 15), 11, date(2026, 12, 15)),
        (date(2026, 1, 15), 13, date(2027, 2, 15)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 11, 30), 1, date(2026, 12, 30)),
        (date(2026, 1, 15), 24, date(2028, 1, 15)),
        (date(2026, 1, 15), 36, date(2029, 1, 15)),
        (date(2026, 1, 15), 0, date(2026, 1, 15)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 1, 30), 1, date(2024, 2, 29)),
        (date(2026, 1, 29), 1, date(2026, 2, 28)),
        (date(2026, 1, 28), 1, date(2026, 2, 28)),
        (date(2026, 1, 27), 1, date(2026, 2, 27)),
        (date(2026, 5, 31), 1, date(2026, 6, 30)),
        (date(2026, 7, 31), 1, date(2026, 8, 31)),
    ],
)
def test_add_months(start, months, end):
    assert add_months(start, months) == end


def test_a_twelve_month_licence_from_january_ends_on_31_december():
    terms = DealTerms.for_months("license", license_type="sole", start=date(2026, 1, 1), months=12)
    assert (terms.term_start, terms.term_end) == (date(2026, 1, 1), date(2026, 12, 31))
    terms = DealTerms.for_months("transfer", start=date(2026, 3, 1), months=1)
    assert (terms.deal_kind, terms.term_end) == ("transfer", date(2026, 3, 31))


def test_a_licence_terminated_before_its_term_began_never_counts():
    sole = encumbrance(
        1, "license", deal_kind="license", license_type="sole", term_start=ON + DAY, released_on=ON
    )
    for deal in DEALS.values():
        assert check([sole], deal) == ([], [])
    assert not terms_overlap(ON + DAY, ON, None, None)
    assert not terms_overlap(None, None, ON + DAY, ON)
    assert terms_overlap(ON, ON, None, None)


def test_terms_for_months_keep_field_and_territory():
    plain = DealTerms.for_months("license", license_type="sole", start=ON, months=6)
    assert (plain.field_of_use, plain.territory, plain.term_start, plain.term_end) == (
        "",
        "",
        ON,
        date(2026, 11, 30),
    )
    scoped = DealTerms.for_months(
        "license",
        license_type="sole",
        start=ON,
        months=None,
        field_of_use="大豆加工；玉米",
        territory="Harbin",
    )
    assert (scoped.field_of_use, scoped.territory, scoped.term_start, scoped.term_end) == (
        "大豆加工、玉米",
        "harbin",
        ON,
        None,
    )


def test_to_dict():
    from marketplace.ip.deals import DealCheck, DealReason

    terms = DealTerms(
        "license",
        license_type="sole",
        field_of_use="大豆",
        territory="哈尔滨",
        term_start=ON,
        term_end=ON + DAY,
    )
    assert terms.to_dict() == {
        "deal_kind": "license",
        "license_type": "sole",
        "field_of_use": "大豆",
        "territory": "哈尔滨",
        "term_start": "2026-06-01",
        "term_end": "2026-06-02",
    }
    assert DealTerms("transfer").to_dict() == {
        "deal_kind": "transfer",
        "license_type": None,
        "field_of_use": "",
        "territory": "",
        "term_start": None,
        "term_end": None,
    }
    reason = DealReason("pledged", "the message", 7)
    warning = DealReason("term_beyond_expiry", "expires")
    assert reason.to_dict() == {"code": "pledged", "message": "the message", "encumbrance_id": 7}
    check = DealCheck(reasons=[reason], warnings=[warning])
    assert (check.ok, check.codes, check.message) == (False, ["pledged"], "the message")
    assert check.to_dict() == {
        "ok": False,
        "reasons": [reason.to_dict()],
        "warnings": [{"code": "term_beyond_expiry", "message": "expires", "encumbrance_id": None}],
    }
    both = DealCheck(reasons=[reason, DealReason("asset_expired", "gone")])
    assert both.message == "the message gone"
    assert DealCheck().ok and DealCheck().to_dict() == {"ok": True, "reasons": [], "warnings": []}


@pytest.mark.parametrize(
    ("blocking", "deal", "words"),
    [
        ("pledge", "transfer", "The asset is pledged to party 100: it cannot be transferred"),
        ("pledge", "sole", "The asset is pledged to party 100: it cannot be licensed exclusively"),
        (
            "pledge",
            "non_exclusive",
            "The asset is pledged to party 100: a licence needs the pledgee's consent.",
        ),
        ("committed_transfer", "sole", "is committed under contract C-100: no other deal is possible."),
        ("exclusive_licence", "equity", "licence to party 100 is in force: the asset cannot be transferred"),
        ("non_exclusive_licence", "transfer", "A non-exclusive licence to party 100 is in force"),
        (
            "sole_licence",
            "non_exclusive",
            "licence to party 100 overlaps in field of use, territory and term",
        ),
    ],
)
def test_each_answer_says_why_and_names_the_party(blocking, deal, words):
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        result = evaluate(
            IpAsset(legal_status="granted"), DEALS[deal], on=ON, encumbrances=[BLOCKING[blocking]()]
        )
        (answer,) = result.reasons or result.warnings
        assert words in str(answer.message)
        assert answer.encumbrance_id == 100


@pytest.fixture
def english():
    from flask import Flask
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield app


def test_an_encumbrance_without_party_or_reference_is_named_by_its_number(english):
    pledge = encumbrance(5, "pledge")
    pledge.counterparty = None
    (reason,) = evaluate(
        IpAsset(legal_status="granted"), DEALS["transfer"], on=ON, encumbrances=[pledge]
    ).reasons
    assert "pledged to #5:" in str(reason.message)
    pledge.reference = "ZY-1"
    (reason,) = evaluate(
        IpAsset(legal_status="granted"), DEALS["transfer"], on=ON, encumbrances=[pledge]
    ).reasons
    assert "pledged to ZY-1:" in str(reason.message)


def test_status_answers_say_why(english):
    lapsed = evaluate(IpAsset(legal_status="lapsed"), DEALS["transfer"], on=ON, encumbrances=[])
    assert [(r.code, str(r.message)) for r in lapsed.reasons] == [
        ("asset_not_in_force", "The asset is Lapsed: it cannot be dealt.")
    ]
    expired = evaluate(
        IpAsset(legal_status="granted", expires_on=ON - DAY), DEALS["transfer"], on=ON, encumbrances=[]
    )
    assert [(r.code, str(r.message)) for r in expired.reasons] == [
        ("asset_expired", "The asset expired on 2026-05-31: it cannot be dealt.")
    ]


def test_invalid_terms_say_why_per_field(english):
    from marketplace.core.errors import ValidationError

    cases = [
        (dict(deal_kind="licence"), {"deal_kind": ["Choose licence, transfer or equity contribution."]}),
        (
            dict(deal_kind="license"),
            {"license_type": ["Choose the licence type: exclusive, sole or non-exclusive."]},
        ),
        (
            dict(deal_kind="transfer", license_type="sole"),
            {"license_type": ["Only a licence has a licence type."]},
        ),
        (
            dict(deal_kind="license", license_type="sole", term_start=ON, term_end=ON - DAY),
            {"term_end": ["The term cannot end before it starts."]},
        ),
    ]
    for kwargs, fields in cases:
        with pytest.raises(ValidationError) as exc:
            DealTerms(**kwargs)
        assert {k: [str(m) for m in v] for k, v in exc.value.fields.items()} == fields
    assert DealTerms("license", license_type="sole", term_start=ON, term_end=ON).term_end == ON


def test_terms_fold_a_universal_territory_to_everything():
    terms = DealTerms("license", license_type="sole", field_of_use="全国", territory="全国")
    assert (terms.field_of_use, terms.territory) == ("全国", "")
    assert DealTerms("license", license_type="sole", territory="Worldwide；吉林").territory == ""


def test_the_check_reads_encumbrances_afresh(db):
    """A change made behind the session's back (another request) is seen."""
    from sqlalchemy import text

    from marketplace.ip.deals import check_deal
    from tests.factories import EncumbranceFactory, IpAssetFactory

    asset = IpAssetFactory()
    enc = EncumbranceFactory(asset=asset, kind="pledge", deal_kind=None, license_type=None, amount_fen=100)
    db.session.flush()
    assert check_deal(asset, DEALS["transfer"], on=ON).codes == ["pledged"]
    db.session.execute(
        text("UPDATE ip_encumbrances SET released_on = :d, released_at = :t WHERE id = :id"),
        {"d": ON - DAY, "t": "2026-05-31 00:00:00", "id": enc.id},
    )
    assert check_deal(asset, DEALS["transfer"], on=ON).ok


def test_the_status_can_be_left_out():
    lapsed = IpAsset(legal_status="lapsed", expires_on=ON - DAY)
    assert evaluate(lapsed, DEALS["transfer"], on=ON, encumbrances=[], check_status=False).ok
    assert not evaluate(lapsed, DEALS["transfer"], on=ON, encumbrances=[]).ok


def test_a_transfer_takes_the_right_from_the_deal_date_on_whatever_its_stated_term():
    transfer = DealTerms.for_months("transfer", start=ON, months=1)
    later = encumbrance(
        1, "license", deal_kind="license", license_type="exclusive", term_start=ON + 400 * DAY
    )
    assert check([later], transfer)[0] == [("exclusive_license_in_force", 1)]


def test_a_licence_beyond_the_assets_expiry_is_warned_about(english):
    expires = ON + 400 * DAY
    asset = IpAsset(legal_status="granted", expires_on=expires)

    def answer(deal, encumbrances=()):
        result = evaluate(asset, deal, on=ON, encumbrances=list(encumbrances))
        return result.codes, [w.code for w in result.warnings]

    def licence(end):
        return DealTerms("license", license_type="non_exclusive", term_start=ON, term_end=end)

    assert answer(licence(expires)) == ([], [])  # ends on the last day of the right
    assert answer(licence(expires + DAY)) == ([], ["term_beyond_expiry"])
    assert answer(licence(None)) == ([], ["term_beyond_expiry"])
    assert answer(DEALS["transfer"]) == ([], [])
    # another reason does not hide the warning; only the asset's own expiry does
    exclusive = encumbrance(1, "license", deal_kind="license", license_type="exclusive")
    assert answer(licence(None), [exclusive]) == (["licence_conflict"], ["term_beyond_expiry"])
    (warning,) = evaluate(asset, licence(None), on=ON, encumbrances=[]).warnings
    assert str(warning.message) == "The asset expires on 2027-07-06, before the licence term ends."
    expired = IpAsset(legal_status="granted", expires_on=ON - DAY)
    result = evaluate(expired, licence(None), on=ON, encumbrances=[])
    assert (result.codes, result.warnings) == (["asset_expired"], [])
