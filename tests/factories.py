"""factory-boy factories, one per model, with traits for states. They flush,
they do not commit (the test's transaction is rolled back)."""

from __future__ import annotations

import itertools

import factory
from stdnum.cn import uscc as stdnum_uscc
from werkzeug.security import generate_password_hash

from marketplace.accounts.models import ApiToken, Organization, User
from marketplace.core.timeutil import utcnow

PASSWORD = "correct-horse-9"
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
_serial = itertools.count(100_000_000)


def valid_uscc(region: str = "230100", prefix: str = "91") -> str:
    body = f"{prefix}{region}{next(_serial):09d}"
    return body + stdnum_uscc.calc_check_digit(body)


class _Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = None
        sqlalchemy_session_persistence = "flush"


def bind(session) -> None:
    """Point every factory (every subclass of _Base, at any depth) at the test's session."""
    pending = list(_Base.__subclasses__())
    while pending:
        cls = pending.pop()
        cls._meta.sqlalchemy_session = session
        pending.extend(cls.__subclasses__())


class OrganizationFactory(_Base):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"哈尔滨测试科技有限公司{n}")
    kind = "enterprise"
    region_code = "230100"
    uscc = factory.LazyAttribute(
        lambda o: valid_uscc(o.region_code if o.region_code.startswith("23") else "440300")
    )
    status = "approved"

    class Params:
        pending = factory.Trait(status="pending")
        suspended = factory.Trait(status="suspended")


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    name = factory.Sequence(lambda n: f"用户{n}")
    password_hash = _PASSWORD_HASH
    email_confirmed_at = factory.LazyFunction(utcnow)
    role = "buyer"
    organization = factory.SubFactory(OrganizationFactory)
    status = "active"
    membership = "approved"

    class Params:
        suspended = factory.Trait(status="suspended")
        pending_member = factory.Trait(membership="pending")


class ApiTokenFactory(_Base):
    class Meta:
        model = ApiToken

    user = factory.SubFactory(UserFactory)
    name = "token"
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    prefix = "tm_xxxxxxx"
    created_at = factory.LazyFunction(utcnow)


ROLE_ORG = {
    "seller": ("university", "230100"),
    "buyer": ("enterprise", "230100"),
    "agency": ("agency", "230100"),
    "regulator": ("regulator", "230000"),
    "admin": ("other", "230000"),
}


def user_with_role(
    role: str, *, region: str | None = None, org: Organization | None = None, **kwargs
) -> User:
    """A user acting in `role`, in an approved organization of the matching kind.

    `region` sets the organization's region (a city regulator: region="230100").
    """
    if org is None:
        kind, default_region = ROLE_ORG[role]
        org = OrganizationFactory(kind=kind, region_code=region or default_region)
    return UserFactory(role=role, organization=org, **kwargs)


# --- ledger ---------------------------------------------------------------------

from datetime import date as _date  # noqa: E402

from marketplace.ledger.models import TargetValue  # noqa: E402
from marketplace.ledger.services import LedgerEvent  # noqa: E402

_contract_ids = itertools.count(1)
_event_keys = itertools.count(1)


class LedgerEventFactory(factory.Factory):
    """A registration event (not a model: entries are appended only through
    `append_entry`). Use `amendment_of` / `cancellation_of` for the next events."""

    class Meta:
        model = LedgerEvent

    kind = "registration"
    contract_id = factory.LazyFunction(lambda: next(_contract_ids))
    registration_no = factory.LazyAttribute(
        lambda o: f"{o.effective_on.year}230100{o.contract_id % 999999 + 1:06d}"
    )
    turnover_delta_fen = 1_000_000_00  # 100 万元
    tech_income_delta_fen = 800_000_00
    effective_on = _date(2024, 5, 20)
    seller_region = "230100"
    seller_org_kind = "university"
    industry = "new_materials"
    category = "transfer_patent"
    event_key = factory.LazyFunction(lambda: f"test-event-{next(_event_keys)}")


def amendment_of(event: LedgerEvent, turnover_delta: int, income_delta: int, **kwargs) -> LedgerEvent:
    fields = {
        **event.__dict__,
        "kind": "amendment",
        "turnover_delta_fen": turnover_delta,
        "tech_income_delta_fen": income_delta,
        "event_key": f"test-event-{next(_event_keys)}",
    }
    fields.update(kwargs)
    return LedgerEvent(**fields)


def cancellation_of(event: LedgerEvent, turnover: int, income: int, **kwargs) -> LedgerEvent:
    """The cancellation of a contract whose current totals are (turnover, income)."""
    return amendment_of(event, -turnover, -income, kind="cancellation", **kwargs)


class TargetValueFactory(_Base):
    class Meta:
        model = TargetValue

    target = "high_tech_enterprises"
    value = 4200
    measured_on = _date(2024, 12, 31)
    source = "黑龙江省科学技术厅 2024 年统计公报"
    recorded_by = factory.LazyFunction(lambda: user_with_role("regulator"))


# --- contracts -------------------------------------------------------------------------------------

from datetime import date as _day  # noqa: E402

from marketplace.contracts.models import Contract, ContractCostLine, ContractMilestone  # noqa: E402
from marketplace.storage.uploads import Attachment  # noqa: E402


class ContractFactory(_Base):
    """A complete draft, ready to be signed: a patent licence between a Harbin
    university and a Harbin enterprise, 100 万元 in two milestones.

    Traits: `signed` (both signatures and the signed document), `submitted`,
    `offline` (awaiting the parties' confirmation)."""

    class Meta:
        model = Contract

    status = "draft"
    source = "offer"
    source_ref = factory.Sequence(lambda n: f"offer:{n}")
    category = "license_patent"
    title = factory.Sequence(lambda n: f"石墨烯负极材料专利实施许可合同{n}")
    subject = "石墨烯负极材料制备方法发明专利的普通实施许可"
    terms = factory.LazyFunction(lambda: {"deal_kind": "license", "license_type": "non_exclusive"})
    seller_org = factory.SubFactory(OrganizationFactory, kind="university", region_code="230100")
    buyer_org = factory.SubFactory(OrganizationFactory, kind="enterprise", region_code="230100")
    agency_org = None
    industry = "new_materials"
    turnover_fen = 1_000_000_00
    tech_income_fen = 1_000_000_00
    valid_from = factory.LazyFunction(lambda: _day(2024, 1, 1))
    valid_to = factory.LazyFunction(lambda: _day(2030, 12, 31))

    class Params:
        offline = factory.Trait(status="awaiting_confirmation", source="offline")
        signed = factory.Trait(
            status="signed",
            seller_signed_at=factory.LazyFunction(utcnow),
            buyer_signed_at=factory.LazyFunction(utcnow),
            signed_on=factory.LazyFunction(lambda: _day(2024, 1, 1)),
        )
        submitted = factory.Trait(
            signed=True,
            status="submitted",
            submitted_at=factory.LazyFunction(utcnow),
            review_due_on=factory.LazyFunction(lambda: _day(2099, 1, 1)),
            authority_region=factory.LazyAttribute(lambda o: o.seller_org.region_code[:4] + "00"),
        )

    @factory.post_generation
    def milestones(self, create, extracted, **kwargs):
        rows = (
            extracted
            if extracted is not None
            else [
                (_day(2025, 6, 30), self.turnover_fen - self.turnover_fen // 2),
                (_day(2025, 12, 31), self.turnover_fen // 2),
            ]
        )
        for seq, (due_on, amount) in enumerate(rows, start=1):
            if amount:
                self.milestones.append(ContractMilestone(seq=seq, due_on=due_on, amount_fen=amount))
        if create:
            ContractFactory._meta.sqlalchemy_session.flush()

    @factory.post_generation
    def cost_lines(self, create, extracted, **kwargs):
        diff = (self.turnover_fen or 0) - (self.tech_income_fen or 0)
        rows = (
            extracted if extracted is not None else ([("equipment", "中试生产线设备", diff)] if diff else [])
        )
        for seq, (kind, description, amount) in enumerate(rows, start=1):
            self.cost_lines.append(
                ContractCostLine(seq=seq, kind=kind, description=description, amount_fen=amount)
            )
        if create:
            ContractFactory._meta.sqlalchemy_session.flush()

    @factory.post_generation
    def document(self, create, extracted, **kwargs):
        """Signed contracts come with their signed document (a row; no file needed)."""
        if self.status in ("draft", "awaiting_confirmation") and not extracted:
            return
        session = ContractFactory._meta.sqlalchemy_session
        session.flush()
        session.add(
            Attachment(
                storage_name=f"{self.id:032x}.pdf",
                original_name="signed.pdf",
                content_type="application/pdf",
                size=10,
                sha256="0" * 64,
                subject_type="contract",
                subject_id=self.id,
                purpose="signed_contract",
            )
        )
        session.flush()


# --- ip: IP assets, owners, encumbrances, chain of title ---------------------------------------

from datetime import date as _date  # noqa: E402

from marketplace.ip.identifiers import patent_check_char  # noqa: E402
from marketplace.ip.models import AssetOwner, Encumbrance, IpAsset, TitleEvent  # noqa: E402

_patent_serial = itertools.count(1_000_000)


def patent_number(year: int = 2021, kind_digit: str = "1") -> str:
    """A fresh, valid application number, e.g. 202110000001.7."""
    body = f"{year}{kind_digit}{next(_patent_serial):07d}"
    return f"{body}.{patent_check_char(body)}"


class IpAssetFactory(_Base):
    """A granted invention patent owned 100 % by a new university, or by `owned_by`:
    an organization, or [(org, share_bp), ...]. The registration is the chain's first link."""

    class Meta:
        model = IpAsset

    kind = "invention_patent"
    identifier = factory.LazyFunction(patent_number)
    title_zh = factory.Sequence(lambda n: f"寒地作物测试专利{n}")
    industry = "biology"
    legal_status = "granted"
    maturity = "pilot"
    filed_on = _date(2021, 3, 1)
    granted_on = _date(2023, 5, 9)
    expires_on = _date(2041, 2, 28)
    keywords = factory.LazyFunction(lambda: ["大豆"])
    inventors = factory.LazyFunction(lambda: ["王教授"])

    @factory.post_generation
    def owned_by(obj, create, extracted, **kwargs):
        if extracted is None:
            pairs = [(OrganizationFactory(kind="university"), 10_000)]
        elif isinstance(extracted, Organization):
            pairs = [(extracted, 10_000)]
        else:
            pairs = list(extracted)
        session = IpAssetFactory._meta.sqlalchemy_session
        session.flush()
        snapshot = []
        for org, share in pairs:
            obj.owners.append(AssetOwner(org_id=org.id, share_bp=share))
            snapshot.append({"org_id": org.id, "name": org.name, "share_bp": share})
        session.add(
            TitleEvent(
                asset_id=obj.id, seq=1, kind="registration", effective_on=_date(2024, 1, 2), owners=snapshot
            )
        )
        session.flush()
        session.expire(obj, ["owners", "title_events"])

    class Params:
        pending = factory.Trait(legal_status="pending", granted_on=None)


class EncumbranceFactory(_Base):
    class Meta:
        model = Encumbrance

    asset = factory.SubFactory(IpAssetFactory)
    kind = "license"
    deal_kind = "license"
    license_type = "non_exclusive"
    field_of_use = ""
    territory = ""
    counterparty = factory.Sequence(lambda n: f"被许可企业{n}")

    class Params:
        pledge = factory.Trait(kind="pledge", deal_kind=None, license_type=None, amount_fen=500_000_000)


# --- payments -------------------------------------------------------------------

from marketplace.payments.models import Payment as _Payment  # noqa: E402


class PaymentFactory(_Base):
    """A payment on a milestone (pass `milestone=`); a pending bank transfer by default."""

    class Meta:
        model = _Payment
        exclude = ("milestone",)

    milestone = None
    milestone_id = factory.LazyAttribute(lambda o: o.milestone.id)
    contract_id = factory.LazyAttribute(lambda o: o.milestone.contract_id)
    payer_org_id = factory.LazyAttribute(lambda o: o.milestone.contract.buyer_org_id)
    payee_org_id = factory.LazyAttribute(lambda o: o.milestone.contract.seller_org_id)
    method = "bank_transfer"
    status = "pending"
    amount_fen = 100_000
    payer_account_name = "哈尔滨测试科技有限公司"
    paid_on = factory.LazyFunction(lambda: _date(2025, 3, 1))
    reference = factory.Sequence(lambda n: f"HRB{n:010d}")

    class Params:
        confirmed = factory.Trait(status="confirmed", confirmed_at=factory.LazyFunction(utcnow))
        disputed = factory.Trait(status="disputed", dispute_reason="未到账")
        stripe = factory.Trait(
            method="stripe",
            payer_account_name=None,
            paid_on=None,
            reference=None,
            idempotency_key=factory.Sequence(lambda n: f"hljpay-test-{n}"),
            stripe_payment_intent_id=factory.Sequence(lambda n: f"pi_test{n:010d}"),
        )


# --- listings: listings, deal terms, demands ----------------------------------------------------

from marketplace.listings.models import Demand, Listing, ListingAsset, ListingTerms  # noqa: E402
from marketplace.listings.services import derive_fields  # noqa: E402


class ListingFactory(_Base):
    """A draft listing of one new asset, offering a non-exclusive licence.

    `seller` (a seller user) decides the organization; traits set the state.
    Published listings are NOT in the search index: tests that search publish
    through the services (or call `marketplace.search.service.reindex`)."""

    class Meta:
        model = Listing

    class Params:
        seller = factory.SubFactory(UserFactory, role="seller", organization__kind="university")
        submitted = factory.Trait(status="submitted", submitted_at=factory.LazyFunction(utcnow))
        published = factory.Trait(
            status="published",
            submitted_at=factory.LazyFunction(utcnow),
            published_at=factory.LazyFunction(utcnow),
        )
        returned = factory.Trait(status="returned", return_reason="请补充对比数据")
        withdrawn = factory.Trait(status="withdrawn")
        closed = factory.Trait(status="closed")

    org_id = factory.LazyAttribute(lambda o: o.seller.organization_id)
    created_by_id = factory.LazyAttribute(lambda o: o.seller.id)
    status = "draft"
    title_zh = factory.Sequence(lambda n: f"寒地大豆测试技术{n}")
    abstract_zh = "一种测试用的技术摘要。"
    keywords = factory.LazyFunction(lambda: ["测试"])
    problem = "解决测试问题"
    comparison = "效率比现有最好方案提高 30 %"
    price_fen = 50_000_000

    @factory.post_generation
    def assets(obj, create, extracted, **kwargs):
        session = ListingFactory._meta.sqlalchemy_session
        session.flush()
        org = session.get(Organization, obj.org_id)
        assets = extracted if extracted is not None else [IpAssetFactory(owned_by=org)]
        for position, asset in enumerate(assets):
            obj.asset_links.append(ListingAsset(asset_id=asset.id, asset=asset, position=position))
        session.flush()
        derive_fields(obj, list(assets))
        session.flush()

    @factory.post_generation
    def deal_terms(obj, create, extracted, **kwargs):
        session = ListingFactory._meta.sqlalchemy_session
        for terms in (
            extracted
            if extracted is not None
            else [{"deal_kind": "license", "license_type": "non_exclusive"}]
        ):
            obj.terms.append(ListingTerms(**terms))
        session.flush()


class DemandFactory(_Base):
    class Meta:
        model = Demand

    class Params:
        buyer = factory.SubFactory(UserFactory, role="buyer", organization__kind="enterprise")

    org_id = factory.LazyAttribute(lambda o: o.buyer.organization_id)
    created_by_id = factory.LazyAttribute(lambda o: o.buyer.id)
    title = factory.Sequence(lambda n: f"寻求大豆深加工技术{n}")
    description = "需要提高大豆蛋白提取率的工艺。"
    industry = "agri_processing"
    status = "open"


# --- offers: mandates (offers themselves are made through the services) ---------------------------

from datetime import timedelta as _timedelta  # noqa: E402

from marketplace.core.timeutil import today_shanghai  # noqa: E402
from marketplace.offers.models import Mandate  # noqa: E402


class MandateFactory(_Base):
    """An active buyer-side mandate from a new enterprise to a new agency (5 % commission)."""

    class Meta:
        model = Mandate

    agency = factory.SubFactory(OrganizationFactory, kind="agency")
    client = factory.SubFactory(OrganizationFactory, kind="enterprise")
    side = "buyer"
    commission_bp = 500
    valid_from = factory.LazyFunction(lambda: today_shanghai() - _timedelta(days=30))
    valid_to = factory.LazyFunction(lambda: today_shanghai() + _timedelta(days=335))
    status = "active"

    class Params:
        proposed = factory.Trait(status="proposed")
        revoked = factory.Trait(status="revoked")
        lapsed = factory.Trait(valid_to=factory.LazyFunction(lambda: today_shanghai() - _timedelta(days=1)))


# --- industrialization ------------------------------------------------------------

from marketplace.contracts.models import ContractAsset as _ContractAsset  # noqa: E402
from marketplace.industrialization.models import IndustrializationReport as _Report  # noqa: E402

_regno_serial = itertools.count(1)


def registered_contract(*, assets=(), category: str = "license_patent", **kwargs) -> Contract:
    """A registered contract (a registration number, signed on 2024-01-01) covering `assets`."""
    kwargs.setdefault("signed", True)
    contract = ContractFactory(
        status=kwargs.pop("status", "registered"),
        category=category,
        registration_no=f"2024230100{next(_regno_serial):06d}",
        registered_at=utcnow(),
        authority_region="230100",
        **kwargs,
    )
    for asset in assets:
        contract.asset_links.append(_ContractAsset(asset_id=asset.id))
    ContractFactory._meta.sqlalchemy_session.flush()
    return contract


class IndustrializationReportFactory(_Base):
    """A pending report of production started (pass `contract=` and `asset=`)."""

    class Meta:
        model = _Report

    contract = None
    asset = None
    contract_id = factory.LazyAttribute(lambda o: o.contract.id)
    asset_id = factory.LazyAttribute(lambda o: o.asset.id)
    buyer_org_id = factory.LazyAttribute(lambda o: o.contract.buyer_org_id)
    status = "pending"
    stage = "production_started"
    achieved_on = factory.LazyFunction(lambda: _date(2025, 3, 1))
    output_value_fen = 5_000_000_00
    units = 1200
    jobs = 35
    description = "新建生产线投产，年产负极材料1200吨。"
