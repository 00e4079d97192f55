"""The rules of technology contracts, one module per topic; this module names them
all so that callers (offers, payments, industrialization, the demo, the tests)
import them from one place.

- `terms`: the editable fields, the rules between them, applying a change;
- `checklist`: what the platform checks before signing and submission;
- `drafting`: creating, completing, confirming and signing a contract;
- `registration`: submission, registration, return, amendment, cancellation;
- `queries`: visibility, the regulator's queue, assets and milestone rows.

Services add and flush; the caller's boundary commits.
"""

from __future__ import annotations

from ..core.catalog import OUT_OF_PROVINCE
from .checklist import (
    SIGNED_DOCUMENT,
    CheckItem,
    ChecklistIncomplete,
    checklist,
    is_overdue,
    missing,
    needs_co_owner_consent,
    review_deadline,
    signed_documents,
    unconsented_co_owners,
)
from .drafting import (
    attach_signed_document,
    confirm_contract,
    create_draft_from_deal,
    record_offline_deal,
    sign_contract,
    signable_sides,
    update_contract,
)
from .queries import (
    CONTRACT_PAGE_LOADING,
    contract_assets,
    milestone_rows,
    milestone_status,
    queue_stmt,
    visible_contracts_stmt,
)
from .registration import (
    _record_transfers,
    authority_region_for,
    ip_reference,
    next_registration_no,
    register_contract,
    request_amendment,
    request_cancellation,
    return_contract,
    submit_contract,
)
from .terms import AMENDABLE_FIELDS, EDITABLE_FIELDS, LIST_FIELDS, _apply

__all__ = [
    "AMENDABLE_FIELDS",
    "CONTRACT_PAGE_LOADING",
    "EDITABLE_FIELDS",
    "LIST_FIELDS",
    "OUT_OF_PROVINCE",
    "SIGNED_DOCUMENT",
    "CheckItem",
    "ChecklistIncomplete",
    "_apply",
    "_record_transfers",
    "attach_signed_document",
    "authority_region_for",
    "checklist",
    "confirm_contract",
    "contract_assets",
    "create_draft_from_deal",
    "ip_reference",
    "is_overdue",
    "milestone_rows",
    "milestone_status",
    "missing",
    "needs_co_owner_consent",
    "next_registration_no",
    "queue_stmt",
    "record_offline_deal",
    "register_contract",
    "request_amendment",
    "request_cancellation",
    "return_contract",
    "review_deadline",
    "sign_contract",
    "signable_sides",
    "signed_documents",
    "submit_contract",
    "unconsented_co_owners",
    "update_contract",
    "visible_contracts_stmt",
]
