"""Every pair of states of the listing and demand machines."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from marketplace.core.errors import InvalidTransition
from marketplace.listings.states import DEMAND_MACHINE, LISTING_MACHINE, DemandStatus, ListingStatus

LISTING_ALLOWED = {
    ("draft", "submitted"),
    ("draft", "withdrawn"),
    ("submitted", "published"),
    ("submitted", "returned"),
    ("submitted", "withdrawn"),
    ("returned", "submitted"),
    ("returned", "withdrawn"),
    ("published", "closed"),
    ("published", "withdrawn"),
}


@pytest.mark.parametrize("src", [s.value for s in ListingStatus])
@pytest.mark.parametrize("dst", [s.value for s in ListingStatus])
def test_listing_transitions(src, dst):
    obj = SimpleNamespace(status=src)
    if (src, dst) in LISTING_ALLOWED:
        LISTING_MACHINE.apply(obj, dst)
        assert obj.status == dst
    else:
        with pytest.raises(InvalidTransition):
            LISTING_MACHINE.apply(obj, dst)
        assert obj.status == src


@pytest.mark.parametrize("src", [s.value for s in DemandStatus])
@pytest.mark.parametrize("dst", [s.value for s in DemandStatus])
def test_demand_transitions(src, dst):
    obj = SimpleNamespace(status=src)
    if (src, dst) == ("open", "closed"):
        DEMAND_MACHINE.apply(obj, dst)
        assert obj.status == "closed"
    else:
        with pytest.raises(InvalidTransition):
            DEMAND_MACHINE.apply(obj, dst)
