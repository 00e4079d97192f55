"""Factories of the services domain (policies, providers, requests, evaluations)."""

from __future__ import annotations

from datetime import date

import factory

from marketplace.services.models import Policy, ProviderProfile, ProviderService, ServiceRequest
from tests import factories
from tests.factories import _Base


class PolicyFactory(_Base):
    class Meta:
        model = Policy

    level = "national"
    region_code = "000000"
    issuer = "财政部 国家税务总局"
    doc_no = factory.Sequence(lambda n: f"财税〔2016〕{n}号")
    issued_on = date(2016, 3, 23)
    effective_on = date(2016, 5, 1)
    in_force = True
    topics = factory.LazyFunction(lambda: ["tax"])
    title_zh = factory.Sequence(lambda n: f"关于技术转让增值税的通知{n}")
    title_en = factory.Sequence(lambda n: f"Notice on VAT for technology transfer {n}")
    summary_zh = "技术转让、技术开发免征增值税。"
    summary_en = "Technology transfer and development are exempt from VAT."
    deal_kinds = factory.LazyFunction(list)
    contract_categories = factory.LazyFunction(list)
    seller_kinds = factory.LazyFunction(list)
    regions = factory.LazyFunction(list)
    needs_registration = False
    revision = 1


def provider_user(
    kind: str = "testing",
    *,
    region: str = "230100",
    org_kind: str = "service_provider",
    role: str = "provider",
    **profile,
):
    """A provider's staff member, the approved organization and its profile."""
    org = factories.OrganizationFactory(
        kind=org_kind, region_code=region, name=f"黑龙江测试服务机构{kind}" + str(next(factories._serial))
    )
    user = factories.UserFactory(role=role, organization=org)
    prof = ProviderProfile(org_id=org.id, kind=kind, description_zh="提供检测与评价服务。", **profile)
    factories.OrganizationFactory._meta.sqlalchemy_session.add(prof)
    factories.OrganizationFactory._meta.sqlalchemy_session.flush()
    return user, prof


def add_service(provider, **kw) -> ProviderService:
    values = {
        "name_zh": "材料性能检测",
        "price_low_fen": 500_000,
        "price_high_fen": 2_000_000,
        "turnaround_days": 10,
    }
    values.update(kw)
    service = ProviderService(provider_id=provider.id, **values)
    session = factories.OrganizationFactory._meta.sqlalchemy_session
    session.add(service)
    session.flush()
    return service


def request_in(provider, requester, status: str = "requested", **kw) -> ServiceRequest:
    values = {
        "title": "负极材料中试检测",
        "description": "需要中试规模的性能检测。",
        "status": status,
        "requester_org_id": requester.organization_id,
        "requested_by_id": requester.id,
        "provider_id": provider.id,
    }
    if status in ("quoted", "accepted", "completed"):
        values["quote_fen"] = 1_000_000
    values.update(kw)
    req = ServiceRequest(**values)
    session = factories.OrganizationFactory._meta.sqlalchemy_session
    session.add(req)
    session.flush()
    return req
