"""The rules of negotiation and brokerage. Services add and flush; the caller commits.

The rules live in sibling modules by topic, all importable from here:

- negotiation.py: ``make_offer(listing, terms, expires_on=, anonymous=, message=, actor=,
  client_org=None)``, ``counter_offer(offer, terms, actor=, expires_on=None)``,
  ``reject_offer``, ``withdraw_offer``, ``reveal_buyer``, ``expire_if_due(offer)`` and
  ``expire_due_offers()`` (lazy and batch expiry); ``TermsInput`` is the terms object
  shared with listings (listings.terms).
- acceptance.py: ``accept_offer(offer, actor=)`` (returns the contract draft).
- messages.py: ``post_message(offer, body, files=, actor=)``, the thread and its attachments.
- mandates.py: ``propose_mandate``, ``accept_mandate``, ``decline_mandate``, ``revoke_mandate``,
  ``mandate_in_force(agency_org_id, client_org_id, side)``.
- sides.py: ``buyer_display(offer, viewer)``: the buyer as this viewer may see it.
"""

from __future__ import annotations

from .acceptance import (  # noqa: F401 - imported from here by callers and tests
    accept_offer,
    accepted_deal_terms,
    deal_needs_consent_of,
)
from .mandates import (  # noqa: F401 - imported from here by callers and tests
    accept_mandate,
    buyer_mandate_for,
    decline_mandate,
    mandate_in_force,
    mandates_visible_to,
    propose_mandate,
    revoke_mandate,
    seller_mandate_for,
)
from .messages import (  # noqa: F401 - imported from here by callers and tests
    MAX_FILES_PER_MESSAGE,
    MAX_MESSAGE_CHARS,
    MESSAGE_ATTACHMENT,
    attachment_display_name,
    attachment_of_offer,
    attachments_by_message,
    author_display,
    message_attachments,
    post_message,
    send_offer_attachment,
    thread,
    thread_with_attachments,
)
from .negotiation import (  # noqa: F401 - imported from here by callers and tests
    DEFAULT_EXPIRY_DAYS,
    MAX_EXPIRY_DAYS,
    DealConflict,
    TermsInput,
    changed_fields,
    check_expiry,
    check_terms,
    counter_offer,
    deal_terms_for_check,
    default_expiry,
    expire_due_for,
    expire_due_offers,
    expire_if_due,
    expiry_due,
    make_offer,
    offer_accepted_on,
    offers_visible_to,
    reject_offer,
    reveal_buyer,
    with_list_relations,
    withdraw_offer,
)
from .sides import (  # noqa: F401 - imported from here by callers and tests
    anonymous_label,
    buyer_display,
    side_users,
)
