"""The rules of IP pledge loans (知识产权质押融资).

An owner side applies to a bank with its assets; each co-owner of a pledged
asset consents (a pledge of a co-owned right needs every owner); the bank asks
for documents, approves with conditions or declines with a reason; both sides
sign, the bank with the pledge registration number the IP office gave, and each
asset then gets a pledge encumbrance in the IP register (ip.encumbrances), whose
rule blocks a transfer or an exclusive licence. Repayment releases the pledges
(never deleted); a default is recorded with the proceeds recovered (the sale of
the pledged assets in public trading: finance.disposals).

Every decision locks the loan's row first (and the assets' rows where the IP
register changes), then checks the state under the lock. Services add and
flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from werkzeug.datastructures import FileStorage

from ..accounts.models import Organization, User
from ..core.catalog import PROVINCE_CODE
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.locking import lock
from ..core.models import record_audit
from ..core.money import MAX_FEN
from ..core.states import transition
from ..core.timeutil import today_shanghai, utcnow
from ..extensions import db
from ..ip.deals import add_months
from ..ip.encumbrances import EncumbranceData, add_encumbrance, release_encumbrance
from ..ip.models import Encumbrance, IpAsset
from ..notifications.services import N_, notify
from ..services.models import Evaluation
from ..services.states import EvaluationStatus
from ..storage.uploads import Attachment, attachments_of, save_upload
from . import permissions
from .checks import day as _day
from .checks import text as _text
from .checks import whole as _whole
from .models import DefaultProceeds, PledgeConsent, PledgedAsset, PledgeLoan, RiskShare
from .states import DEFAULT_STATES, OPEN_LOAN_STATES, ConsentStatus, LoanStatus

MAX_TEXT = 2000
MAX_ASSETS = 20
MAX_TERM_MONTHS = 360
FULL_BP = 10_000
BOXES = ("all", "mine", "to_decide")


# -- notifications ----------------------------------------------------------------------
def _members(org_id: int | None, *roles: str) -> list[User]:
    if org_id is None:
        return []
    users = db.session.scalars(select(User).where(User.organization_id == org_id).order_by(User.id)).all()
    return [u for u in users if u.is_active and u.acts_as(*roles)]


def _link(loan: PledgeLoan) -> str | None:
    try:
        return url_for("finance.loan_detail", loan_id=loan.id)
    except RuntimeError:
        return None


def _notify(org_id: int | None, role: str, message: str, loan: PledgeLoan) -> None:
    params = {"id": loan.id, "applicant": loan.applicant_org.name, "bank": loan.bank_org.name}
    for user in _members(org_id, role):
        notify(user, "finance", message, params=params, link=_link(loan))


def _record(action: str, loan: PledgeLoan, actor, src=None, dst=None, **data) -> None:
    record_audit(
        action,
        loan,
        actor=actor,
        from_state=src.value if src is not None else None,
        to_state=dst.value if dst is not None else None,
        data=data or None,
    )


# -- finding -----------------------------------------------------------------------------
def get_loan(loan_id: Any) -> PledgeLoan:
    try:
        loan = db.session.get(PledgeLoan, int(loan_id))
    except (TypeError, ValueError, OverflowError):
        loan = None
    if loan is None:
        raise NotFound()
    return loan


def _in_region(scope: str):
    return PledgeLoan.region_code.like("23%" if scope == PROVINCE_CODE else scope[:4] + "%")


def loans_visible_to(user: User, *, box: str = "all", status: str | None = None) -> Select:
    """The loans a user's list shows: "mine" (applied by the user's organization or to
    its bank), "to_decide" (waiting for the user), "all" (everything the user may see)."""
    stmt = select(PledgeLoan)
    org = user.organization_id
    seller = user.acts_as("seller")
    financier = user.acts_as("financier")
    if box == "to_decide":
        conditions = []
        if financier:
            conditions.append(
                (PledgeLoan.bank_org_id == org)
                & PledgeLoan.status.in_([LoanStatus.APPLIED.value, LoanStatus.APPROVED.value])
            )
        if seller:
            conditions.append(
                (PledgeLoan.applicant_org_id == org)
                & PledgeLoan.status.in_([LoanStatus.DOCUMENTS_REQUESTED.value, LoanStatus.APPROVED.value])
            )
            conditions.append(
                PledgeLoan.id.in_(
                    select(PledgeConsent.loan_id).where(
                        PledgeConsent.org_id == org, PledgeConsent.status == ConsentStatus.PENDING.value
                    )
                )
                & PledgeLoan.status.in_([s.value for s in OPEN_LOAN_STATES])
            )
        if not conditions:
            return stmt.where(False)
        stmt = stmt.where(or_(*conditions))
    elif box == "mine" or not (user.is_admin or user.acts_as("regulator")):
        conditions = []
        if seller:
            conditions.append(PledgeLoan.applicant_org_id == org)
            conditions.append(
                PledgeLoan.id.in_(select(PledgeConsent.loan_id).where(PledgeConsent.org_id == org))
            )
        if financier:
            conditions.append(PledgeLoan.bank_org_id == org)
            conditions.append(
                PledgeLoan.id.in_(select(RiskShare.loan_id).where(RiskShare.sharer_org_id == org))
            )
        if not conditions:
            return stmt.where(False)
        stmt = stmt.where(or_(*conditions))
    elif user.acts_as("regulator"):
        stmt = stmt.where(_in_region(user.scope_region or ""))
    if status:
        stmt = stmt.where(PledgeLoan.status == status)
    return stmt.order_by(PledgeLoan.created_at.desc(), PledgeLoan.id.desc())


def banks() -> list[Organization]:
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.kind == "bank", Organization.status == "approved")
            .order_by(Organization.name)
        )
    )


def pledgeable_assets(user: User) -> list[IpAsset]:
    """The assets the user's organization owns (alone or with others), to choose from."""
    from ..ip.models import AssetOwner

    if not user.acts_as("seller"):
        return []
    return list(
        db.session.scalars(
            select(IpAsset)
            .join(AssetOwner, AssetOwner.asset_id == IpAsset.id)
            .where(AssetOwner.org_id == user.organization_id)
            .order_by(IpAsset.id.desc())
            .limit(200)
        ).unique()
    )


def valuation_reports(loan: PledgeLoan) -> list[Attachment]:
    return attachments_of(loan, "valuation")


def documents(loan: PledgeLoan) -> list[Attachment]:
    return attachments_of(loan, "document")


# -- applying ------------------------------------------------------------------------------
def apply_for_loan(
    *,
    bank_org_id: Any,
    asset_ids: Any,
    amount_fen: Any,
    term_months: Any,
    purpose: Any,
    actor: User,
    evaluation_ref: Any = None,
    evaluation_id: Any = None,
    valuation_report: FileStorage | None = None,
) -> PledgeLoan:
    """The owner side applies to a bank for a loan secured by a pledge of its assets,
    optionally naming a completed evaluation (科技成果评价) of one of them."""
    if not permissions.can_apply(actor):
        raise PermissionDenied(
            _l("Only a seller of an asset's owner organization can apply for a pledge loan.")
        )
    errors: dict[str, list] = {}
    bank = (
        db.session.get(Organization, bank_org_id)
        if isinstance(bank_org_id, int) and not isinstance(bank_org_id, bool)
        else None
    )
    if bank is None or bank.kind != "bank" or not bank.is_approved:
        errors["bank_org_id"] = [_l("Choose one of the banks on the platform.")]
    assets: list[IpAsset] = []
    if not isinstance(asset_ids, list | tuple) or not asset_ids:
        errors["asset_ids"] = [_l("Choose at least one IP asset to pledge.")]
    elif len(asset_ids) > MAX_ASSETS:
        errors["asset_ids"] = [_l("At most %(n)s assets in one loan.", n=MAX_ASSETS)]
    elif len(set(asset_ids)) != len(asset_ids):
        errors["asset_ids"] = [_l("An asset is named twice.")]
    else:
        for raw in asset_ids:
            asset = (
                db.session.get(IpAsset, raw) if isinstance(raw, int) and not isinstance(raw, bool) else None
            )
            if asset is None or actor.organization_id not in asset.owner_org_ids:
                errors.setdefault("asset_ids", []).append(
                    _l("Asset %(id)s is not one your organization owns.", id=raw)
                )
                continue
            if any(e.kind == "pledge" and not e.is_released for e in asset.encumbrances):
                errors.setdefault("asset_ids", []).append(
                    _l("“%(title)s” is already pledged: release that pledge first.", title=asset.title)
                )
                continue
            assets.append(asset)
    amount = _whole(amount_fen, "amount_fen", errors, low=1, high=MAX_FEN)
    term = _whole(term_months, "term_months", errors, low=1, high=MAX_TERM_MONTHS)
    purpose_text = _text(purpose, "purpose", errors, required=True, message=_l("Say what the loan is for."))
    ref = _text(evaluation_ref, "evaluation_ref", errors, required=False, limit=100)
    evaluation = _evaluation(evaluation_id, [a.id for a in assets], errors)
    if errors:
        raise ValidationError(fields=errors)
    loan = PledgeLoan(
        applicant_org_id=actor.organization_id,
        applied_by_id=actor.id,
        bank_org_id=bank.id,
        region_code=actor.organization.region_code,
        industry=assets[0].industry,
        status=LoanStatus.APPLIED.value,
        amount_fen=amount,
        term_months=term,
        purpose=purpose_text,
        evaluation_ref=ref,
        evaluation_id=evaluation.id if evaluation is not None else None,
    )
    db.session.add(loan)
    co_owners: set[int] = set()
    for asset in assets:
        loan.asset_links.append(PledgedAsset(asset_id=asset.id))
        co_owners |= set(asset.owner_org_ids) - {actor.organization_id}
    for org_id in sorted(co_owners):
        loan.consents.append(PledgeConsent(org_id=org_id, status=ConsentStatus.PENDING.value))
    db.session.flush()
    if valuation_report is not None and valuation_report.filename:
        save_upload(
            valuation_report, subject=loan, actor=actor, purpose="valuation", field="valuation_report"
        )
    _record(
        "finance.loan_applied",
        loan,
        actor,
        None,
        LoanStatus.APPLIED,
        bank_org_id=bank.id,
        asset_ids=[a.id for a in assets],
        amount_fen=amount,
    )
    _notify(bank.id, "financier", N_("%(applicant)s applies for IP pledge loan #%(id)s."), loan)
    for org_id in sorted(co_owners):
        _notify(
            org_id,
            "seller",
            N_("%(applicant)s asks your consent to pledge co-owned assets (loan #%(id)s)."),
            loan,
        )
    return loan


def _evaluation(evaluation_id: Any, asset_ids: list[int], errors: dict[str, list]) -> Evaluation | None:
    """The evaluation an application names: it exists, is completed and covers a pledged asset."""
    if evaluation_id in (None, ""):
        return None
    evaluation = (
        db.session.get(Evaluation, evaluation_id)
        if isinstance(evaluation_id, int) and not isinstance(evaluation_id, bool)
        else None
    )
    if evaluation is None:
        errors["evaluation_id"] = [_l("There is no such evaluation.")]
    elif evaluation.status != EvaluationStatus.COMPLETED:
        errors["evaluation_id"] = [_l("Only a completed evaluation can support the application.")]
    elif asset_ids and evaluation.asset_id not in asset_ids:
        errors["evaluation_id"] = [_l("The evaluation must be of one of the pledged assets.")]
    else:
        return evaluation
    return None


def evaluations_for(user: User) -> list[Evaluation]:
    """Completed evaluations of the assets the user's organization may pledge, to choose from."""
    ids = [a.id for a in pledgeable_assets(user)]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Evaluation)
            .where(Evaluation.asset_id.in_(ids), Evaluation.status == EvaluationStatus.COMPLETED.value)
            .order_by(Evaluation.evaluated_on.desc(), Evaluation.id.desc())
            .limit(200)
        )
    )


def add_valuation_report(loan: PledgeLoan, file: FileStorage, *, actor: User) -> Attachment:
    if not (permissions.is_owner_side(actor, loan) and loan.status in OPEN_LOAN_STATES):
        raise PermissionDenied(_l("Only the applicant adds documents, before the loan is signed."))
    attachment = save_upload(file, subject=loan, actor=actor, purpose="valuation", field="valuation_report")
    _record("finance.valuation_added", loan, actor, attachment_id=attachment.id)
    return attachment


def answer_consent(loan: PledgeLoan, *, give: bool, note: Any = None, actor: User) -> PledgeConsent:
    """A co-owner consents to (or refuses) pledging the assets it co-owns."""
    org_id = permissions.consenting_org(actor, loan)
    if org_id is None:
        raise PermissionDenied(_l("Only a seller of a co-owner answers for it, before the loan is signed."))
    errors: dict[str, list] = {}
    note_text = _text(note, "note", errors, required=False, limit=500)
    if errors:
        raise ValidationError(fields=errors)
    loan = lock(loan)
    if loan.status not in OPEN_LOAN_STATES:
        raise Conflict(_l("This loan is no longer being decided."), code="invalid_transition")
    consent = next(c for c in loan.consents if c.org_id == org_id)
    consent.status = (ConsentStatus.GIVEN if give else ConsentStatus.REFUSED).value
    consent.decided_at = utcnow()
    consent.decided_by_id = actor.id
    consent.note = note_text
    db.session.flush()
    _record("finance.consent_given" if give else "finance.consent_refused", loan, actor, org_id=org_id)
    _notify(
        loan.applicant_org_id,
        "seller",
        N_("A co-owner answered your consent request for loan #%(id)s."),
        loan,
    )
    return consent


def _require(ok: bool, message) -> None:
    if not ok:
        raise PermissionDenied(message)


def request_documents(loan: PledgeLoan, *, request: Any, actor: User) -> PledgeLoan:
    _require(permissions.is_bank(actor, loan), _l("Only the loan's bank reviews it."))
    errors: dict[str, list] = {}
    text = _text(request, "request", errors, required=True, message=_l("Say which documents you need."))
    if errors:
        raise ValidationError(fields=errors)
    loan = lock(loan)
    src, dst = transition(
        loan,
        LoanStatus.DOCUMENTS_REQUESTED,
        message=_l("Documents can be asked for only on an application under review."),
    )
    loan.documents_request = text
    db.session.flush()
    _record("finance.documents_requested", loan, actor, src, dst, request=text)
    _notify(loan.applicant_org_id, "seller", N_("%(bank)s asks for documents on loan #%(id)s."), loan)
    return loan


def provide_documents(
    loan: PledgeLoan, *, files: Iterable[FileStorage] = (), note: Any = None, actor: User
) -> PledgeLoan:
    """The applicant answers the bank's request (with files and a note): back to review."""
    _require(permissions.is_owner_side(actor, loan), _l("Only the applicant provides documents."))
    errors: dict[str, list] = {}
    note_text = _text(note, "note", errors, required=False)
    files = [f for f in files or () if f is not None and f.filename]
    if not files and not note_text:
        errors["documents"] = [_l("Attach a document or write a note for the bank.")]
    if errors:
        raise ValidationError(fields=errors)
    loan = lock(loan)
    src, dst = transition(loan, LoanStatus.APPLIED, message=_l("The bank has not asked for documents."))
    ids = [save_upload(f, subject=loan, actor=actor, purpose="document", field="documents").id for f in files]
    _record("finance.documents_provided", loan, actor, src, dst, attachment_ids=ids, note=note_text)
    _notify(loan.bank_org_id, "financier", N_("%(applicant)s provided documents for loan #%(id)s."), loan)
    return loan


def _consents_complete(loan: PledgeLoan) -> None:
    waiting = loan.pending_consents
    if waiting:
        raise Conflict(
            _l(
                "Every co-owner must consent to the pledge first; waiting for: %(orgs)s.",
                orgs="、".join(c.organization.name for c in waiting),
            ),
            code="co_owner_consent_required",
        )


def approve_loan(
    loan: PledgeLoan, *, conditions: Any = None, actor: User, now: datetime | None = None
) -> PledgeLoan:
    _require(permissions.is_bank(actor, loan), _l("Only the loan's bank approves it."))
    errors: dict[str, list] = {}
    text = _text(conditions, "conditions", errors, required=False)
    if errors:
        raise ValidationError(fields=errors)
    loan = lock(loan)
    if loan.status == LoanStatus.APPLIED:
        _consents_complete(loan)
    src, dst = transition(
        loan, LoanStatus.APPROVED, message=_l("Only an application under review can be approved.")
    )
    loan.conditions = text
    loan.decided_at = now or utcnow()
    loan.decided_by_id = actor.id
    db.session.flush()
    _record("finance.loan_approved", loan, actor, src, dst, conditions=text)
    _notify(loan.applicant_org_id, "seller", N_("%(bank)s approved loan #%(id)s: please sign."), loan)
    return loan


def decline_loan(loan: PledgeLoan, *, reason: Any, actor: User, now: datetime | None = None) -> PledgeLoan:
    _require(permissions.is_bank(actor, loan), _l("Only the loan's bank declines it."))
    errors: dict[str, list] = {}
    text = _text(reason, "reason", errors, required=True, message=_l("Say why the loan is declined."))
    if errors:
        raise ValidationError(fields=errors)
    loan = lock(loan)
    src, dst = transition(
        loan, LoanStatus.DECLINED, message=_l("Only an application under review can be declined.")
    )
    loan.decline_reason = text
    loan.decided_at = now or utcnow()
    loan.decided_by_id = actor.id
    db.session.flush()
    _record("finance.loan_declined", loan, actor, src, dst, reason=text)
    _notify(loan.applicant_org_id, "seller", N_("%(bank)s declined loan #%(id)s: see the reason."), loan)
    return loan


def withdraw_loan(loan: PledgeLoan, *, actor: User) -> PledgeLoan:
    _require(permissions.is_owner_side(actor, loan), _l("Only the applicant withdraws its application."))
    loan = lock(loan)
    src, dst = transition(
        loan, LoanStatus.WITHDRAWN, message=_l("A signed or decided loan cannot be withdrawn.")
    )
    _record("finance.loan_withdrawn", loan, actor, src, dst)
    _notify(loan.bank_org_id, "financier", N_("%(applicant)s withdrew loan application #%(id)s."), loan)
    return loan


def sign_loan(
    loan: PledgeLoan,
    *,
    actor: User,
    pledge_registration_no: Any = None,
    signed_on: date | None = None,
    today: date | None = None,
) -> PledgeLoan:
    """One side signs. The bank gives the pledge registration number from the IP office.
    When both have signed, each asset gets its pledge in the IP register (under the
    asset's lock: a transfer or another exclusive deal committed meanwhile refuses it)
    and the loan is signed."""
    bank_side = permissions.is_bank(actor, loan)
    _require(bank_side or permissions.is_owner_side(actor, loan), _l("Only the two parties sign the loan."))
    today = today or today_shanghai()
    errors: dict[str, list] = {}
    regno = None
    if bank_side:
        regno = _text(
            pledge_registration_no,
            "pledge_registration_no",
            errors,
            required=True,
            message=_l("Enter the pledge registration number from the IP office."),
            limit=64,
        )
        day = _day(signed_on, "signed_on", errors, today=today)
    else:
        day = None
    if errors:
        raise ValidationError(fields=errors)
    loan = lock(loan)
    if loan.status != LoanStatus.APPROVED:
        raise Conflict(_l("Only an approved loan can be signed."), code="invalid_transition")
    if (loan.bank_signed_at if bank_side else loan.owner_signed_at) is not None:
        raise Conflict(_l("Your side has already signed."), code="already_signed")
    _consents_complete(loan)
    moment = utcnow()
    if bank_side:
        loan.bank_signed_at = moment
        loan.pledge_registration_no = regno
        loan.signed_on = day
    else:
        loan.owner_signed_at = moment
    _record("finance.loan_signed_by_bank" if bank_side else "finance.loan_signed_by_owner", loan, actor)
    if loan.bank_signed_at is None or loan.owner_signed_at is None:
        db.session.flush()
        other = loan.applicant_org_id if bank_side else loan.bank_org_id
        _notify(
            other,
            "seller" if bank_side else "financier",
            N_("The other side signed loan #%(id)s: your signature completes it."),
            loan,
        )
        return loan
    src, dst = transition(loan, LoanStatus.SIGNED)
    loan.due_on = add_months(loan.signed_on, loan.term_months)
    for link in sorted(loan.asset_links, key=lambda link: link.asset_id):
        enc = add_encumbrance(
            link.asset,
            EncumbranceData(
                kind="pledge",
                counterparty=loan.bank_org.name,
                term_start=loan.signed_on,
                term_end=loan.due_on,
                amount_fen=loan.amount_fen,
                reference=loan.pledge_registration_no,
                note=f"PL-{loan.id}",
            ),
            actor=actor,
        )
        link.encumbrance = enc
    db.session.flush()
    _record("finance.loan_pledged", loan, actor, src, dst, registration_no=loan.pledge_registration_no)
    for org_id, role in ((loan.applicant_org_id, "seller"), (loan.bank_org_id, "financier")):
        _notify(org_id, role, N_("Loan #%(id)s is signed; the pledges are entered in the IP register."), loan)
    return loan


def _release_pledges(loan: PledgeLoan, *, on: date, note: str, actor: User) -> None:
    for link in sorted(loan.asset_links, key=lambda link: link.asset_id):
        enc = db.session.get(Encumbrance, link.encumbrance_id) if link.encumbrance_id else None
        if enc is not None and not enc.is_released:
            release_encumbrance(enc, released_on=on, note=note, actor=actor)


def repay_loan(
    loan: PledgeLoan, *, actor: User, repaid_on: date | None = None, today: date | None = None
) -> PledgeLoan:
    """The bank records the repayment; the pledges are released (kept on record)."""
    _require(permissions.is_bank(actor, loan), _l("Only the loan's bank records repayment."))
    today = today or today_shanghai()
    errors: dict[str, list] = {}
    day = _day(repaid_on, "repaid_on", errors, today=today, earliest=loan.signed_on)
    if errors:
        raise ValidationError(fields=errors)
    loan = lock(loan)
    src, dst = transition(loan, LoanStatus.REPAID, message=_l("Only a signed loan can be repaid."))
    loan.repaid_on = day
    _release_pledges(loan, on=day, note=f"PL-{loan.id} repaid", actor=actor)
    db.session.flush()
    _record("finance.loan_repaid", loan, actor, src, dst, repaid_on=day.isoformat())
    _notify(loan.applicant_org_id, "seller", N_("Loan #%(id)s is repaid; the pledges are released."), loan)
    return loan


def _proceeds(loan: PledgeLoan, amount_fen: Any, received_on: Any, note: Any, actor: User, *, today: date):
    errors: dict[str, list] = {}
    amount = _whole(amount_fen, "amount_fen", errors, low=1, high=MAX_FEN)
    day = _day(received_on, "received_on", errors, today=today, earliest=loan.signed_on)
    note_text = _text(note, "note", errors, required=False, limit=500)
    if errors:
        raise ValidationError(fields=errors)
    return DefaultProceeds(amount_fen=amount, received_on=day, note=note_text, created_by_id=actor.id)


def default_loan(
    loan: PledgeLoan,
    *,
    actor: User,
    defaulted_on: date | None = None,
    note: Any = None,
    proceeds_fen: Any = None,
    today: date | None = None,
) -> PledgeLoan:
    """The bank records a default, optionally with first proceeds. The pledges stay
    until the assets are sold (finance.disposals: through the platform's public
    trading) or the bank releases them after a disposal outside the platform."""
    _require(permissions.is_bank(actor, loan), _l("Only the loan's bank records a default."))
    today = today or today_shanghai()
    errors: dict[str, list] = {}
    day = _day(defaulted_on, "defaulted_on", errors, today=today, earliest=loan.signed_on)
    note_text = _text(note, "note", errors, required=False)
    if errors:
        raise ValidationError(fields=errors)
    first = None
    if proceeds_fen not in (None, ""):
        first = _proceeds(loan, proceeds_fen, day, "", actor, today=today)
    loan = lock(loan)
    src, dst = transition(loan, LoanStatus.DEFAULTED, message=_l("Only a signed loan can default."))
    loan.defaulted_on = day
    loan.default_note = note_text
    if first is not None:
        loan.proceeds.append(first)
    db.session.flush()
    _record(
        "finance.loan_defaulted",
        loan,
        actor,
        src,
        dst,
        defaulted_on=day.isoformat(),
        proceeds_fen=first.amount_fen if first else None,
    )
    _notify(loan.applicant_org_id, "seller", N_("%(bank)s recorded a default on loan #%(id)s."), loan)
    return loan


def record_proceeds(
    loan: PledgeLoan,
    *,
    amount_fen: Any,
    actor: User,
    received_on: Any = None,
    note: Any = None,
    release: bool = False,
    today: date | None = None,
) -> DefaultProceeds:
    """Money recovered on a defaulted loan (the pledged assets sold, a guarantor paid);
    with `release`, the pledges are released (the disposal is done)."""
    _require(permissions.is_bank(actor, loan), _l("Only the loan's bank records proceeds."))
    today = today or today_shanghai()
    row = _proceeds(loan, amount_fen, received_on, note, actor, today=today)
    loan = lock(loan)
    if loan.status not in DEFAULT_STATES:
        raise Conflict(_l("Proceeds are recorded on a defaulted loan."), code="invalid_transition")
    if loan.proceeds_fen + row.amount_fen > loan.amount_fen:
        raise ValidationError(fields={"amount_fen": [_l("The proceeds cannot exceed the loan amount.")]})
    loan.proceeds.append(row)
    if release:
        _release_pledges(loan, on=row.received_on, note=f"PL-{loan.id} disposed", actor=actor)
    db.session.flush()
    _record("finance.proceeds_recorded", loan, actor, amount_fen=row.amount_fen, released=release)
    return row


def pledges_of(loans: Sequence[PledgeLoan]) -> dict[int, list]:
    return {loan.id: [link.encumbrance for link in loan.asset_links if link.encumbrance] for loan in loans}
