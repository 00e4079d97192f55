"""The rules of paying contract milestones, by topic:

- `figures`: what each milestone holds (paid, pending, open, commission) and the
  lists of payments the pages show;
- `rules`: who may pay and how much is still open, shared by both methods;
- `bank`: bank transfers recorded, confirmed, disputed, cancelled;
- `stripe_payments`: card payments through Stripe's PaymentIntents;
- `refunds`: money given back, by bank transfer or at Stripe;
- `webhook`: Stripe's signed events.

Services add and flush; the request's boundary commits. The one deliberate
exception is Stripe: `start_stripe_payment` and `record_refund` make the row
with its idempotency key durable (`core.transaction.commit_early`) BEFORE
calling Stripe, so that a crash or a retry after the call finds the key again
and Stripe answers with the same object instead of charging or refunding twice;
and a refusal Stripe gives for good is kept the same way, though the answer is
an error.

Overpayment is decided in the database: every change that can add to what a
milestone holds (pending + confirmed - refunded) first locks the milestone
row (SELECT ... FOR UPDATE on PostgreSQL; SQLite serializes writers), then
sums and writes in the same transaction.

Callers import from here; the names below are the domain's public verbs.
"""

from __future__ import annotations

from .bank import attach_receipt, cancel_payment, confirm_payment, dispute_payment, record_bank_transfer
from .figures import (
    BP_DENOMINATOR,
    COMMISSION_TERMS_KEY,
    MilestoneFigures,
    agency_commission_bp,
    cash_received_fen,
    commission_fen,
    contracts_to_pay,
    milestone_figures,
    milestone_of,
    milestone_status,
    paid_fen,
    paid_fen_of_milestones,
    payments_of_contract,
    payments_visible_to,
    receipts_of,
    totals_for,
)
from .refunds import apply_refund_result, record_refund, sync_stripe_refunds
from .rules import ensure_can_pay
from .stripe_payments import apply_intent, client_secret_for, refresh_stripe_payment, start_stripe_payment
from .webhook import REFUND_EVENTS, WebhookAnswer, handle_stripe_webhook

__all__ = [
    "BP_DENOMINATOR",
    "COMMISSION_TERMS_KEY",
    "REFUND_EVENTS",
    "MilestoneFigures",
    "WebhookAnswer",
    "agency_commission_bp",
    "apply_intent",
    "apply_refund_result",
    "attach_receipt",
    "cancel_payment",
    "cash_received_fen",
    "client_secret_for",
    "commission_fen",
    "confirm_payment",
    "contracts_to_pay",
    "dispute_payment",
    "ensure_can_pay",
    "handle_stripe_webhook",
    "milestone_figures",
    "milestone_of",
    "milestone_status",
    "paid_fen",
    "paid_fen_of_milestones",
    "payments_of_contract",
    "payments_visible_to",
    "receipts_of",
    "record_bank_transfer",
    "record_refund",
    "refresh_stripe_payment",
    "start_stripe_payment",
    "sync_stripe_refunds",
    "totals_for",
]
