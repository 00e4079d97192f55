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
