"""The policy library: who adds and edits, the checks, the history, search and applicability."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.core.errors import PermissionDenied, ValidationError
from marketplace.services import policies
from tests import factories
from tests.services.factories import PolicyFactory

pytestmark = pytest.mark.usefixtures("db", "in_request")

VALID = {
    "level": "provincial",
    "region_code": "230000",
    "issuer": "黑龙江省人民政府办公厅",
    "doc_no": None,
    "issued_on": date(2022, 6, 1),
    "title_zh": "黑龙江省科技成果产业化行动方案（2022—2025年）",
    "title_en": "Heilongjiang action plan for the industrialization of achievements (2022-2025)",
    "summary_zh": "到2025年技术合同成交额累计2000亿元。",
    "topics": ["incentives", "platform"],
}


@pytest.mark.parametrize(
    "role,kw,allowed",
    [
        ("admin", {}, True),
        ("regulator", {}, True),  # provincial (230000)
        ("regulator", {"region": "230100"}, False),  # a city regulator
        ("seller", {}, False),
        ("buyer", {}, False),
        ("agency", {}, False),
    ],
)
def test_who_adds_policies(role, kw, allowed):
    user = factories.user_with_role(role, **kw)
    if allowed:
        policy = policies.create_policy(dict(VALID), actor=user)
        assert policy.id and policy.doc_no is None and policy.revision == 1
    else:
        with pytest.raises(PermissionDenied):
            policies.create_policy(dict(VALID), actor=user)


def test_every_bad_field_is_reported_at_once():
    admin = factories.user_with_role("admin")
    bad = {
        **VALID,
        "level": "county",
        "title_zh": "",
        "source_url": "ftp://x",
        "topics": ["weather"],
        "effective_on": date(2022, 7, 1),
        "expires_on": date(2022, 6, 30),
        "regions": ["999999"],
    }
    with pytest.raises(ValidationError) as exc:
        policies.create_policy(bad, actor=admin)
    assert {"level", "title_zh", "source_url", "topics", "expires_on", "regions"} <= set(exc.value.fields)


def test_a_city_policy_needs_its_city():
    admin = factories.user_with_role("admin")
    with pytest.raises(ValidationError) as exc:
        policies.create_policy({**VALID, "level": "city", "region_code": "230000"}, actor=admin)
    assert "region_code" in exc.value.fields


def test_an_edit_keeps_what_the_policy_said_before():
    admin = factories.user_with_role("admin")
    policy = policies.create_policy(dict(VALID), actor=admin)
    policies.update_policy(policy, {"doc_no": "黑政办规〔2022〕12号", "summary_zh": "新摘要"}, actor=admin)
    assert policy.revision == 2 and policy.doc_no == "黑政办规〔2022〕12号"
    (rev,) = policy.revisions
    assert rev.seq == 1 and rev.snapshot["doc_no"] is None and rev.snapshot["summary_zh"].startswith("到2025")
    assert set(rev.changed) == {"doc_no", "summary_zh"}
    # Nothing changed: no new revision.
    policies.update_policy(policy, {"doc_no": "黑政办规〔2022〕12号"}, actor=admin)
    assert policy.revision == 2


def test_search_reads_both_languages_and_filters():
    PolicyFactory(
        title_zh="中华人民共和国促进科技成果转化法",
        title_en="Law on Promoting the Transformation",
        topics=["ownership"],
        level="national",
        issued_on=date(2015, 8, 29),
    )
    PolicyFactory(
        title_zh="哈尔滨市科技成果转化奖励办法",
        title_en="Harbin rewards",
        level="city",
        region_code="230100",
        topics=["incentives"],
        issued_on=date(2023, 1, 1),
    )
    PolicyFactory(
        title_zh="已废止的旧办法", title_en="An old repealed rule", in_force=False, issued_on=date(2010, 1, 1)
    )

    def titles(**args):
        query = policies.read_query(args)
        assert not query.errors
        return {p.title_zh for p in policies.search(query, 1, 20, today=date(2026, 12, 1)).items}

    assert titles(q="Transformation") == {"中华人民共和国促进科技成果转化法"}
    assert titles(q="转化法") == {"中华人民共和国促进科技成果转化法"}
    assert titles(level="city") == {"哈尔滨市科技成果转化奖励办法"}
    assert titles(topic="ownership") == {"中华人民共和国促进科技成果转化法"}
    assert "已废止的旧办法" not in titles(in_force="true")
    assert titles(in_force="false") == {"已废止的旧办法"}
    assert titles(q="100%_") == set()  # LIKE wildcards are escaped
    assert "哈尔滨市科技成果转化奖励办法" not in titles(region="230600")  # Daqing: not Harbin's


def test_bad_filters_are_reported():
    query = policies.read_query({"level": "x", "topic": "y", "region": "1", "in_force": "maybe"})
    assert set(query.errors) == {"level", "topic", "region", "in_force"}


def test_what_applies_to_a_registered_transfer_contract():
    vat = PolicyFactory(
        contract_categories=["transfer_patent", "development_commissioned"], needs_registration=True
    )
    licence_only = PolicyFactory(deal_kinds=["license"])
    daqing = PolicyFactory(regions=["230600"])
    province = PolicyFactory(regions=["230000"])
    universities = PolicyFactory(seller_kinds=["university"])
    expired = PolicyFactory(expires_on=date(2020, 1, 1))
    facts = policies.Facts(
        deal_kinds=("transfer",),
        category="transfer_patent",
        seller_kind="university",
        region="230100",
        on=date(2026, 3, 1),
        registered=True,
    )
    found = {p.id for p in policies.applicable(facts)}
    assert {vat.id, province.id, universities.id} <= found
    assert not found & {licence_only.id, daqing.id, expired.id}
    unregistered = policies.Facts(**{**facts.__dict__, "registered": False})
    assert vat.id not in {p.id for p in policies.applicable(unregistered)}
