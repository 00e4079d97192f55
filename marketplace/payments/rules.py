"""Checks every way of paying shares (who may pay, how much is still open) and
the messages to the parties' members."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import User
from ..contracts.models import Contract, ContractMilestone
from ..core.errors import Conflict, PermissionDenied, ValidationError
from ..core.money import MAX_FEN, format_yuan
from ..extensions import db
from ..notifications.services import notify
from . import permissions
from .figures import milestone_sums
from .models import Payment


def milestone_open_fen(milestone: ContractMilestone) -> int:
    """What may still be paid on a milestone: its amount less what is paid or waits."""
    confirmed, pending, refunded = milestone_sums([milestone.id])[milestone.id]
    return milestone.amount_fen - (confirmed - refunded) - pending


def ensure_can_pay(contract: Contract, actor: User) -> None:
    """Clear refusals for someone who may see the contract but may not pay it."""
    if not permissions.is_buyer(actor, contract):
        raise PermissionDenied(_l("Only the buyer of this contract can pay its milestones."))
    if not permissions.is_payable(contract):
        raise Conflict(
            _l("Milestones can be paid once both parties have signed the contract."),
            code="contract_not_payable",
        )


def check_amount(amount_fen: Any, open_fen: int) -> int:
    """The amount asked for, if it is a positive whole number of fen within what is open."""
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise ValidationError(fields={"amount_fen": [_l("Enter the amount as a whole number of fen.")]})
    if amount_fen <= 0:
        raise ValidationError(fields={"amount_fen": [_l("The amount must be more than zero.")]})
    if amount_fen > MAX_FEN:
        raise ValidationError(fields={"amount_fen": [_l("The amount is too large.")]})
    if open_fen <= 0:
        raise Conflict(
            _l(
                "Nothing is left to pay on this milestone: it is paid, or payments waiting for confirmation cover it."
            ),
            code="milestone_settled",
        )
    if amount_fen > open_fen:
        raise ValidationError(
            fields={
                "amount_fen": [
                    _l(
                        "The amount is more than what is still open on this milestone (%(open)s); "
                        "overpayment is not accepted.",
                        open=format_yuan(open_fen),
                    )
                ]
            }
        )
    return amount_fen


def members_of(org_id: int | None, *roles: str) -> list[User]:
    if org_id is None:
        return []
    users = db.session.scalars(select(User).where(User.organization_id == org_id)).all()
    return [u for u in users if u.is_active and u.acts_as(*roles)]


def payment_link(payment: Payment) -> str | None:
    try:
        return url_for("payments.detail", payment_id=payment.id)
    except RuntimeError:
        return None


def notify_org(org_id: int | None, roles: tuple[str, ...], message: str, payment: Payment) -> None:
    params = {
        "contract": payment.contract.title,
        "seq": payment.milestone.seq,
        "amount": format_yuan(payment.amount_fen),
    }
    for user in members_of(org_id, *roles):
        notify(user, "payment", message, params=params, link=payment_link(payment))
