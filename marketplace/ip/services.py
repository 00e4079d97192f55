"""The rules of the IP registry, by topic: ``.assets`` (registering, editing,
verification, attachments), ``.owners`` (owners' shares, the asset lock and the
chain of title), ``.encumbrances`` (licences, pledges, committed deals) and
``.deals`` (the exclusivity rule). Callers import from here.

Public API for other domains (listings, contracts):

- ``check_deal(asset, deal: DealTerms, *, on=None) -> DealCheck`` (from .deals)
- ``record_committed_deal(asset, terms, *, reference, actor, counterparty=None, on=None) -> Encumbrance``
- ``close_committed_deal(asset, *, reference, released_on, note, actor) -> Encumbrance``
- ``record_transfer(asset, new_owners, *, contract_ref, effective_on, actor) -> TitleEvent``
- the signal ``signals.ownership_changed`` (sent whenever owners change)

Ownership proposals of co-owned assets are in ``.ownership``.

Services add and flush, never commit; they raise domain errors.
"""

from __future__ import annotations

from ..core.errors import Conflict  # raised here; callers and tests catch it from this module
from .assets import (
    MAX_INVENTORS,
    MAX_KEYWORDS,
    AssetData,
    add_attachment,
    asset_attachment,
    assets_visible_to,
    register_asset,
    remove_attachment,
    update_asset,
    verify_asset,
)
from .deals import DealCheck, DealExcluded, DealTerms, check_deal
from .encumbrances import (
    EncumbranceData,
    add_encumbrance,
    close_committed_deal,
    record_committed_deal,
    release_encumbrance,
)
from .owners import (
    FULL_SHARE_BP,
    OwnerShare,
    apply_owners,
    is_co_owned,
    lock_asset,
    owners_editable,
    owners_snapshot,
    record_transfer,
)

__all__ = [
    "Conflict",
    "AssetData",
    "DealCheck",
    "DealExcluded",
    "DealTerms",
    "EncumbranceData",
    "OwnerShare",
    "FULL_SHARE_BP",
    "MAX_INVENTORS",
    "MAX_KEYWORDS",
    "add_attachment",
    "asset_attachment",
    "add_encumbrance",
    "apply_owners",
    "assets_visible_to",
    "check_deal",
    "close_committed_deal",
    "is_co_owned",
    "lock_asset",
    "owners_editable",
    "owners_snapshot",
    "record_committed_deal",
    "record_transfer",
    "register_asset",
    "release_encumbrance",
    "remove_attachment",
    "update_asset",
    "verify_asset",
]
