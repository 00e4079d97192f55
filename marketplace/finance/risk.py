"""Risk sharing on pledge loans (银政担 / 银政保): a guarantee company, an insurer or
the province's risk compensation fund takes a share of a loan, in basis points.
The shares on one loan never exceed 100 %: checked under the loan's row lock."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Organization, User
from ..core.errors import Conflict, ValidationError
from ..core.locking import lock
from ..extensions import db
from ..notifications.services import N_
from . import permissions
from .checks import whole as _whole
from .loans import FULL_BP, _notify, _record, _require
from .models import PledgeLoan, RiskShare
from .states import SharerKind


def sharers() -> list[Organization]:
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.kind.in_(["guarantee_company", "insurer"]), Organization.status == "approved")
            .order_by(Organization.name)
        )
    )


RISK_FUND_NAME = _l("Heilongjiang Province IP pledge financing risk compensation fund")


def add_risk_share(
    loan: PledgeLoan, *, sharer_kind: Any, share_bp: Any, actor: User, sharer_org_id: Any = None
) -> RiskShare:
    """A guarantee company, an insurer or the provincial risk compensation fund takes
    `share_bp` of the loan; the shares on one loan never exceed 100 %."""
    _require(permissions.is_bank(actor, loan), _l("Only the loan's bank records risk shares."))
    errors: dict[str, list] = {}
    kinds = {k.value for k in SharerKind}
    org = None
    if sharer_kind not in kinds:
        errors["sharer_kind"] = [_l("Choose a guarantee company, an insurer or the risk compensation fund.")]
    elif sharer_kind != SharerKind.RISK_FUND:
        org = (
            db.session.get(Organization, sharer_org_id)
            if isinstance(sharer_org_id, int) and not isinstance(sharer_org_id, bool)
            else None
        )
        if org is None or org.kind != sharer_kind or not org.is_approved:
            errors["sharer_org_id"] = [_l("Choose an approved organization of that kind.")]
    share = _whole(share_bp, "share_bp", errors, low=1, high=FULL_BP)
    if errors:
        raise ValidationError(fields=errors)
    loan = lock(loan)
    if loan.status not in permissions.RISK_SHARE_STATES:
        raise Conflict(_l("Risk shares are recorded before the loan is closed."), code="invalid_transition")
    taken = loan.shared_bp
    if taken + share > FULL_BP:
        raise ValidationError(
            fields={
                "share_bp": [
                    _l(
                        "The shares would exceed 100 %%: %(left)s %% is left.",
                        left=f"{(FULL_BP - taken) / 100:.2f}",
                    )
                ]
            }
        )
    row = RiskShare(
        sharer_kind=sharer_kind,
        sharer_org_id=org.id if org else None,
        sharer_name=org.name if org else str(RISK_FUND_NAME),
        share_bp=share,
        created_by_id=actor.id,
    )
    loan.risk_shares.append(row)
    db.session.flush()
    _record(
        "finance.risk_shared",
        loan,
        actor,
        sharer_kind=sharer_kind,
        sharer_org_id=row.sharer_org_id,
        share_bp=share,
    )
    if org is not None:
        _notify(org.id, "financier", N_("%(bank)s recorded your risk share on loan #%(id)s."), loan)
    return row
