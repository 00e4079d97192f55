"""API endpoints of the payments domain (added to the shared /api/v1 blueprint).

GET /contracts/{id}/milestones belongs to the contracts domain; it shows
`paid_fen` through the contracts hook this domain fills in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from ..accounts.apiauth import token_required
from ..contracts.models import Contract
from ..core.apidocs import DATE, DATETIME, FEN, INTEGER, PAGE_PARAMS, STRING, describe, obj
from ..core.apierrors import error_response
from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.idempotency import idempotent
from ..core.jsonbody import json_body, validate_json
from ..core.pagination import paginate, read_page_args
from ..extensions import db
from ..storage.uploads import attachments_of
from . import permissions, services
from .forms import BankTransferApiForm, RefundApiForm, StripeApiForm
from .gateway import GatewayError, available_methods
from .models import Payment, Refund
from .states import PaymentMethod, PaymentStatus

bp = Blueprint("payments", __name__)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def refund_json(refund: Refund) -> dict[str, Any]:
    return {
        "id": refund.id,
        "amount_fen": refund.amount_fen,
        "status": refund.status,
        "reason": refund.reason,
        "refunded_on": _iso(refund.refunded_on),
        "reference": refund.reference,
        "stripe_refund_id": refund.stripe_refund_id,
        "failure_reason": refund.failure_reason,
        "created_at": _iso(refund.created_at),
        "succeeded_at": _iso(refund.succeeded_at),
    }


def payment_json(payment: Payment, receipts: list | None = None) -> dict[str, Any]:
    """A payment with its refunds and receipts (`receipts` when the caller loaded them
    for many payments at once, see `services.receipts_of`)."""
    if receipts is None:
        receipts = attachments_of(payment, "receipt")
    return {
        "id": payment.id,
        "contract_id": payment.contract_id,
        "contract_title": payment.contract.title,
        "milestone_seq": payment.milestone.seq,
        "method": payment.method,
        "status": payment.status,
        "amount_fen": payment.amount_fen,
        "refunded_fen": payment.refunded_fen,
        "net_fen": payment.net_fen,
        "currency": payment.currency,
        "payer_org_id": payment.payer_org_id,
        "payee_org_id": payment.payee_org_id,
        "payer_account_name": payment.payer_account_name,
        "paid_on": _iso(payment.paid_on),
        "reference": payment.reference,
        "receipts": [
            {"id": a.id, "name": a.original_name, "content_type": a.content_type, "size": a.size}
            for a in receipts
        ],
        "stripe_payment_intent_id": payment.stripe_payment_intent_id,
        "stripe_status": payment.stripe_status,
        "last_error": payment.last_error,
        "dispute_reason": payment.dispute_reason,
        "created_at": _iso(payment.created_at),
        "confirmed_at": _iso(payment.confirmed_at),
        "disputed_at": _iso(payment.disputed_at),
        "refunds": [refund_json(r) for r in payment.refunds],
    }


PAYMENT_SCHEMA = obj(
    {
        "id": INTEGER,
        "contract_id": INTEGER,
        "milestone_seq": INTEGER,
        "method": {"type": "string", "enum": [m.value for m in PaymentMethod]},
        "status": {"type": "string", "enum": [s.value for s in PaymentStatus]},
        "amount_fen": FEN,
        "refunded_fen": FEN,
        "net_fen": FEN,
        "paid_on": DATE,
        "reference": STRING,
        "payer_account_name": STRING,
        "stripe_payment_intent_id": STRING,
        "confirmed_at": DATETIME,
    }
)


def _contract(contract_id: int, actor) -> Contract:
    contract = db.session.get(Contract, contract_id)
    if contract is None or not permissions.can_view_payments(actor, contract):
        raise NotFound()
    return contract


def _payment(payment_id: int, actor) -> Payment:
    payment = db.session.get(Payment, payment_id)
    if payment is None or not permissions.can_view_payment(actor, payment):
        raise NotFound()
    return payment


@bp.get("/contracts/<int:contract_id>/payments")
@describe(
    "A contract's milestones with what was paid, what waits and the agency's commission, and its payments.",
    tags=["payments"],
    responses={200: "Milestones and payments", 404: "No such contract, or not visible to you"},
)
@token_required
def contract_payments(contract_id: int, actor):
    contract = _contract(contract_id, actor)
    figures = services.milestone_figures(contract)
    payments = services.payments_of_contract(contract)
    receipts = services.receipts_of(payments)
    return {
        "contract_id": contract.id,
        "methods": available_methods(),
        "agency_commission_bp": services.agency_commission_bp(contract),
        "milestones": [
            {
                "seq": f.seq,
                "due_on": f.due_on.isoformat(),
                "amount_fen": f.amount_fen,
                "paid_fen": f.paid_fen,
                "pending_fen": f.pending_fen,
                "open_fen": f.open_fen,
                "status": f.status,
                "commission_due_fen": f.commission_due_fen,
                "commission_earned_fen": f.commission_earned_fen,
            }
            for f in figures
        ],
        "payments": [payment_json(p, receipts[p.id]) for p in payments],
    }


@bp.post("/contracts/<int:contract_id>/milestones/<int:seq>/payments")
@describe(
    "Pay a milestone (buyer): record a bank transfer, or start an online payment and get the "
    "PaymentIntent's client secret for Stripe.js.",
    tags=["payments"],
    body=obj(
        {
            "method": {"type": "string", "enum": [m.value for m in PaymentMethod]},
            "amount_fen": FEN,
            "paid_on": DATE,
            "reference": STRING,
            "payer_account_name": STRING,
        },
        required=["method"],
    ),
    responses={
        201: "The payment (with `client_secret` for method stripe)",
        403: "Not the buyer of this contract",
        404: "No such contract or milestone, or not visible to you",
        409: "Contract not signed; milestone settled; Stripe not configured (bank transfer only)",
        422: "Fields invalid: amount zero, negative or above what is open, date in the future...",
        502: "Stripe could not be reached or refused",
    },
    idempotent=True,
)
@token_required
@idempotent
def pay_milestone(contract_id: int, seq: int, actor):
    contract = _contract(contract_id, actor)
    body = json_body()
    method = body.get("method")
    if method not in {m.value for m in PaymentMethod}:
        raise ValidationError(
            fields={"method": [_l("Choose bank_transfer or stripe.")]},
        )
    if not permissions.is_buyer(actor, contract):
        raise PermissionDenied(_l("Only the buyer of this contract can pay its milestones."))
    if method == PaymentMethod.BANK_TRANSFER:
        form = validate_json(BankTransferApiForm, {k: v for k, v in body.items() if k != "method"})
        payment = services.record_bank_transfer(
            contract,
            seq,
            amount_fen=form.amount_fen.data,
            paid_on=form.paid_on.data,
            reference=form.reference.data,
            payer_account_name=form.payer_account_name.data,
            actor=actor,
        )
        return payment_json(payment), 201
    form = validate_json(StripeApiForm, {k: v for k, v in body.items() if k == "amount_fen"})
    try:
        payment, intent = services.start_stripe_payment(
            contract, seq, amount_fen=form.amount_fen.data, actor=actor
        )
    except GatewayError as exc:
        # The payment row and its key were committed before Stripe was called; answer the
        # failure as the result (so an Idempotency-Key replay answers the same).
        db.session.rollback()
        return error_response(exc.status, exc.code, str(exc.message)), exc.status
    return {**payment_json(payment), "client_secret": intent.client_secret}, 201


@bp.get("/payments")
@describe(
    "The caller's payments: their organization's as payer or payee, the deals their agency "
    "brokered, a regulator's in scope.",
    tags=["payments"],
    params=PAGE_PARAMS
    + [
        {
            "name": "status",
            "in": "query",
            "schema": {"type": "string", "enum": [s.value for s in PaymentStatus]},
        },
        {
            "name": "method",
            "in": "query",
            "schema": {"type": "string", "enum": [m.value for m in PaymentMethod]},
        },
    ],
    responses={200: "A page of payments", 422: "Bad filter or page"},
)
@token_required
def list_payments(actor):
    page_no, per_page = read_page_args(request.args)
    status = request.args.get("status") or None
    method = request.args.get("method") or None
    errors = {}
    if status is not None and status not in {s.value for s in PaymentStatus}:
        errors["status"] = [_l("Unknown status.")]
    if method is not None and method not in {m.value for m in PaymentMethod}:
        errors["method"] = [_l("Unknown method.")]
    if errors:
        raise ValidationError(fields=errors)
    page = paginate(services.payments_visible_to(actor, status=status, method=method), page_no, per_page)
    receipts = services.receipts_of(page.items)
    return page.to_dict(lambda p: payment_json(p, receipts[p.id]))


@bp.get("/payments/<int:payment_id>")
@describe(
    "One payment with its refunds.",
    tags=["payments"],
    responses={200: "The payment", 404: "No such payment, or not visible to you"},
)
@token_required
def get_payment(payment_id: int, actor):
    return payment_json(_payment(payment_id, actor))


@bp.post("/payments/<int:payment_id>/confirm")
@describe(
    "The seller confirms that a bank transfer arrived.",
    tags=["payments"],
    responses={
        200: "The confirmed payment",
        403: "Not the seller",
        404: "No such payment, or not visible",
        409: "Not a pending or disputed bank transfer",
    },
)
@token_required
def confirm_payment(payment_id: int, actor):
    payment = services.confirm_payment(_payment(payment_id, actor), actor=actor)
    return payment_json(payment)


@bp.post("/payments/<int:payment_id>/dispute")
@describe(
    "The seller disputes a bank transfer (it did not arrive, or not as recorded), with a reason.",
    tags=["payments"],
    body=obj({"reason": STRING}, required=["reason"]),
    responses={
        200: "The disputed payment",
        403: "Not the seller",
        404: "Not found",
        409: "Not pending",
        422: "No reason",
    },
)
@token_required
def dispute_payment(payment_id: int, actor):
    payment = _payment(payment_id, actor)
    reason = json_body().get("reason")
    payment = services.dispute_payment(payment, reason=reason if isinstance(reason, str) else "", actor=actor)
    return payment_json(payment)


@bp.post("/payments/<int:payment_id>/cancel")
@describe(
    "The buyer withdraws a payment not confirmed (a wrong record, or an abandoned online payment: "
    "its PaymentIntent is cancelled at Stripe first).",
    tags=["payments"],
    responses={
        200: "The cancelled payment",
        403: "Not the buyer",
        404: "Not found",
        409: "Already confirmed",
    },
)
@token_required
def cancel_payment(payment_id: int, actor):
    payment = services.cancel_payment(_payment(payment_id, actor), actor=actor)
    return payment_json(payment)


@bp.post("/payments/<int:payment_id>/refunds")
@describe(
    "The seller refunds part or all of a confirmed payment: a bank transfer back (recorded with its "
    "date and reference) or a Stripe refund.",
    tags=["payments"],
    body=obj(
        {"amount_fen": FEN, "reason": STRING, "refunded_on": DATE, "reference": STRING},
        required=["amount_fen", "reason"],
    ),
    responses={
        201: "The refund",
        403: "Not the seller",
        404: "Not found",
        409: "Not confirmed",
        422: "Amount above what is refundable",
        502: "Stripe refused or could not be reached",
    },
    idempotent=True,
)
@token_required
@idempotent
def refund_payment(payment_id: int, actor):
    payment = _payment(payment_id, actor)
    if not permissions.is_seller(actor, payment.contract):
        raise PermissionDenied(_l("Only the seller (the payee) can refund a payment."))
    form = validate_json(RefundApiForm)
    try:
        refund = services.record_refund(
            payment,
            amount_fen=form.amount_fen.data,
            reason=form.reason.data,
            refunded_on=form.refunded_on.data,
            reference=form.reference.data,
            actor=actor,
        )
    except GatewayError as exc:
        db.session.rollback()
        return error_response(exc.status, exc.code, str(exc.message)), exc.status
    return refund_json(refund), 201
