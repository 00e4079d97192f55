"""The exclusivity rule (marketplace/ip/deals.py): every deal kind against every
encumbrance kind and licence type, overlap in field, territory and term, and status."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.core.errors import ValidationError
from marketplace.core.timeutil import utcnow
from marketplace.ip.deals import (
    DealTerms,
    add_months,
    check_deal,
    normalize_scope,
    scopes_overlap,
    terms_overlap,
)

from ..factories import EncumbranceFactory, IpAssetFactory

ON = date(2026, 6, 1)

# Encumbrance kinds as seller or platform records them: (name, factory kwargs).
ENCUMBRANCES = {
    "none": None,
    "licence_exclusive": {"kind": "license", "deal_kind": "license", "license_type": "exclusive"},
    "licence_sole": {"kind": "license", "deal_kind": "license", "license_type": "sole"},
    "licence_non_exclusive": {"kind": "license", "deal_kind": "license", "license_type": "non_exclusive"},
    "pledge": {"kind": "pledge", "deal_kind": None, "license_type": None, "amount_fen": 300_000_000},
    "committed_transfer": {
        "kind": "committed_deal",
        "deal_kind": "transfer",
        "license_type": None,
        "reference": "C-1",
    },
    "committed_equity": {
        "kind": "committed_deal",
        "deal_kind": "equity",
        "license_type": None,
        "reference": "C-2",
    },
    "committed_exclusive": {
        "kind": "committed_deal",
        "deal_kind": "license",
        "license_type": "exclusive",
        "reference": "C-3",
    },
    "committed_sole": {
        "kind": "committed_deal",
        "deal_kind": "license",
        "license_type": "sole",
        "reference": "C-4",
    },
    "committed_non_exclusive": {
        "kind": "committed_deal",
        "deal_kind": "license",
        "license_type": "non_exclusive",
        "reference": "C-5",
    },
}

DEALS = {
    "transfer": DealTerms("transfer"),
    "equity": DealTerms("equity"),
    "exclusive": DealTerms("license", license_type="exclusive"),
    "sole": DealTerms("license", license_type="sole"),
    "non_exclusive": DealTerms("license", license_type="non_exclusive"),
}

# The expected answer for each (deal, existing encumbrance): the reason code, or None when possible.
# Existing licences and the new deal cover everything (all fields, everywhere, indefinitely).
EXPECTED = {
    "none": dict.fromkeys(DEALS),
    "licence_exclusive": {
        "transfer": "exclusive_license_in_force",
        "equity": "exclusive_license_in_force",
        "exclusive": "licence_conflict",
        "sole": "licence_conflict",
        "non_exclusive": "licence_conflict",
    },
    "licence_sole": {
        "transfer": "exclusive_license_in_force",
        "equity": "exclusive_license_in_force",
        "exclusive": "licence_conflict",
        "sole": "licence_conflict",
        "non_exclusive": "licence_conflict",
    },
    "licence_non_exclusive": {
        "transfer": None,
        "equity": None,
        "exclusive": "licence_conflict",
        "sole": "licence_conflict",
        "non_exclusive": None,
    },
    "pledge": {
        "transfer": "pledged",
        "equity": "pledged",
        "exclusive": "pledged",
        "sole": "pledged",
        "non_exclusive": None,
    },
    "committed_transfer": dict.fromkeys(DEALS, "transfer_committed"),
    "committed_equity": dict.fromkeys(DEALS, "transfer_committed"),
}
for _name, _base in (("committed_exclusive", "licence_exclusive"), ("committed_sole", "licence_sole")):
    EXPECTED[_name] = EXPECTED[_base]
EXPECTED["committed_non_exclusive"] = EXPECTED["licence_non_exclusive"]


@pytest.fixture(autouse=True)
def _request(request_ctx):
    yield


TABLE = [(enc, deal, EXPECTED[enc][deal]) for enc in ENCUMBRANCES for deal in DEALS]


@pytest.mark.parametrize(("encumbrance", "deal", "expected"), TABLE)
def test_every_deal_kind_against_every_encumbrance(db, encumbrance, deal, expected):
    asset = IpAssetFactory()
    if ENCUMBRANCES[encumbrance]:
        EncumbranceFactory(asset=asset, **ENCUMBRANCES[encumbrance])
    result = check_deal(asset, DEALS[deal], on=ON)
    assert result.codes == ([expected] if expected else [])
    assert result.ok is (expected is None)
    for reason in result.reasons:
        assert str(reason.message) and reason.encumbrance_id is not None


@pytest.mark.parametrize("encumbrance", [k for k in ENCUMBRANCES if k != "none"])
@pytest.mark.parametrize("deal", list(DEALS))
def test_a_released_encumbrance_no_longer_counts(db, encumbrance, deal):
    asset = IpAssetFactory()
    EncumbranceFactory(
        asset=asset, **ENCUMBRANCES[encumbrance], released_on=date(2026, 1, 1), released_at=utcnow()
    )
    assert check_deal(asset, DEALS[deal], on=ON).ok


def test_warnings_name_what_the_parties_must_know(db):
    asset = IpAssetFactory(expires_on=date(2030, 1, 1))
    EncumbranceFactory(asset=asset, **ENCUMBRANCES["pledge"], counterparty="中国银行哈尔滨分行")
    EncumbranceFactory(asset=asset, **ENCUMBRANCES["licence_non_exclusive"], counterparty="甲公司")
    licence = check_deal(asset, DealTerms("license", license_type="non_exclusive"), on=ON)
    assert licence.ok
    assert {w.code for w in licence.warnings} == {"pledgee_consent_needed", "term_beyond_expiry"}
    assert "中国银行哈尔滨分行" in str(licence.warnings[0].message)
    transfer = check_deal(asset, DealTerms("transfer"), on=ON)
    assert transfer.codes == ["pledged"]
    assert [w.code for w in transfer.warnings] == ["licence_survives_transfer"]


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("pending", None),
        ("granted", None),
        ("lapsed", "asset_not_in_force"),
        ("expired", "asset_not_in_force"),
        ("invalidated", "asset_not_in_force"),
    ],
)
@pytest.mark.parametrize("deal", list(DEALS))
def test_only_assets_in_force_can_be_dealt(db, status, code, deal):
    asset = IpAssetFactory(legal_status=status, granted_on=None if status == "pending" else date(2023, 5, 9))
    assert check_deal(asset, DEALS[deal], on=ON).codes == ([code] if code else [])


def test_an_asset_past_its_expiry_date_cannot_be_dealt(db):
    asset = IpAssetFactory(expires_on=date(2026, 5, 31))
    assert check_deal(asset, DEALS["non_exclusive"], on=ON).codes == ["asset_expired"]
    assert check_deal(asset, DEALS["non_exclusive"], on=date(2026, 5, 31)).ok


# --- overlap of field of use, territory and term -------------------------------------------


@pytest.mark.parametrize(
    ("existing", "new", "conflict"),
    [
        # field of use
        ({"field_of_use": "大豆加工"}, {"field_of_use": "玉米加工"}, False),
        ({"field_of_use": "大豆加工"}, {"field_of_use": "大豆加工、玉米加工"}, True),
        ({"field_of_use": "汽车"}, {"field_of_use": "新能源汽车"}, True),
        ({"field_of_use": "全部"}, {"field_of_use": "玉米加工"}, True),
        ({"field_of_use": ""}, {"field_of_use": "玉米加工"}, True),
        ({"field_of_use": "Food"}, {"field_of_use": " food "}, True),
        # territory
        ({"territory": "黑龙江省"}, {"territory": "吉林省"}, False),
        ({"territory": "黑龙江省"}, {"territory": "哈尔滨市"}, True),
        ({"territory": "Harbin"}, {"territory": "哈尔滨"}, True),
        ({"territory": "哈尔滨市"}, {"territory": "大庆市"}, False),
        ({"territory": "全国"}, {"territory": "大庆市"}, True),
        ({"territory": "吉林省、辽宁省"}, {"territory": "辽宁"}, True),
        # term
        (
            {"term_start": date(2024, 1, 1), "term_end": date(2026, 12, 31)},
            {"term_start": date(2027, 1, 1)},
            False,
        ),
        (
            {"term_start": date(2024, 1, 1), "term_end": date(2027, 1, 1)},
            {"term_start": date(2027, 1, 1)},
            True,
        ),
        (
            {"term_start": date(2030, 1, 1)},
            {"term_start": date(2027, 1, 1), "term_end": date(2029, 12, 31)},
            False,
        ),
        ({"term_start": date(2030, 1, 1)}, {"term_start": date(2027, 1, 1)}, True),
        # all three must overlap
        (
            {"field_of_use": "大豆", "territory": "黑龙江"},
            {"field_of_use": "大豆", "territory": "吉林"},
            False,
        ),
    ],
)
def test_exclusive_licences_conflict_only_when_field_territory_and_term_overlap(db, existing, new, conflict):
    asset = IpAssetFactory()
    EncumbranceFactory(asset=asset, **ENCUMBRANCES["licence_exclusive"], **existing)
    result = check_deal(asset, DealTerms("license", license_type="non_exclusive", **new), on=ON)
    assert result.codes == (["licence_conflict"] if conflict else [])


def test_an_exclusive_licence_that_ended_does_not_block_a_transfer(db):
    asset = IpAssetFactory()
    EncumbranceFactory(asset=asset, **ENCUMBRANCES["licence_exclusive"], term_end=date(2026, 5, 31))
    assert check_deal(asset, DealTerms("transfer"), on=ON).ok
    assert check_deal(asset, DealTerms("transfer"), on=date(2026, 5, 31)).codes == [
        "exclusive_license_in_force"
    ]


def test_scope_normalization():
    assert normalize_scope(" 全部 ") == ""
    assert normalize_scope("大豆加工，玉米加工、大豆加工") == "大豆加工、玉米加工"
    assert normalize_scope("ＦＯＯＤ") == "food"
    assert normalize_scope("全国", territory=True) == ""
    assert normalize_scope("全国") == "全国"  # a field of use called 全国 is not universal
    assert scopes_overlap("", "anything")
    assert not scopes_overlap("黑龙江", "吉林", territory=True)


def test_term_overlap_is_closed_and_open_ended():
    d = date
    assert terms_overlap(d(2024, 1, 1), d(2024, 12, 31), d(2024, 12, 31), None)
    assert not terms_overlap(d(2024, 1, 1), d(2024, 12, 30), d(2024, 12, 31), None)
    assert terms_overlap(None, None, d(2000, 1, 1), d(2000, 1, 1))


def test_deal_terms_validate_themselves():
    with pytest.raises(ValidationError) as exc:
        DealTerms("licence")
    assert "deal_kind" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        DealTerms("license")
    assert "license_type" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        DealTerms("transfer", license_type="sole")
    assert "license_type" in exc.value.fields
    with pytest.raises(ValidationError) as exc:
        DealTerms("license", license_type="sole", term_start=date(2026, 2, 1), term_end=date(2026, 1, 1))
    assert "term_end" in exc.value.fields
    assert DealTerms("transfer", field_of_use="x").field_of_use == ""


def test_terms_for_months():
    terms = DealTerms.for_months("license", license_type="sole", start=date(2026, 1, 31), months=1)
    assert terms.term_end == date(2026, 2, 27)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert (
        DealTerms.for_months("license", license_type="sole", start=date(2026, 1, 1), months=None).term_end
        is None
    )
