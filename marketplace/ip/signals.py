"""Signals the IP registry sends, so other domains can react without the registry
knowing them (the registry never imports listings or contracts).

``ownership_changed`` is sent inside the transaction that changed an asset's
owners, after the new owners are flushed, with the asset as sender and:

- ``old_owners`` and ``new_owners``: ``{org_id: share_bp}``;
- ``lost_org_ids``: organizations that no longer own any share;
- ``cause``: ``"proposal"`` (agreed by the owners or decided on evidence),
  ``"edit"`` (a sole owner adding co-owners) or ``"transfer"`` (a contract);
- ``actor``: who made the change (may be None for the system).

Receivers add and flush like services, and never commit. Listings subscribes in
``marketplace.listings.ownership`` (connected by ``create_app``).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

ownership_changed = _signals.signal("ip.ownership-changed")
