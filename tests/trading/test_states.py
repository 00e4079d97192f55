"""Every pair of states of each machine: allowed exactly as the table says."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from marketplace.core.errors import InvalidTransition
from marketplace.trading import states

ALLOWED = {
    states.BIDDING_MACHINE: {
        ("announced", "open"), ("announced", "ended"), ("announced", "cancelled"), ("open", "ended"),
        ("open", "cancelled"), ("ended", "settled"), ("ended", "failed"), ("settled", "forfeited"),
    },
    states.DEPOSIT_MACHINE: {
        ("awaiting", "confirmed"), ("awaiting", "released"), ("confirmed", "released"), ("confirmed", "applied"),
        ("applied", "forfeited"),
    },
    states.NOTICE_MACHINE: {("running", s) for s in ("no_buyer", "contracted", "to_bidding", "passed", "cancelled")},
}  # fmt: skip


@pytest.mark.parametrize("machine", list(ALLOWED), ids=["bidding", "deposit", "notice"])
def test_every_pair(machine):
    codes = [s.value for s in machine.states]
    for src, dst in itertools.product(codes, codes):
        obj = SimpleNamespace(status=src)
        if (src, dst) in ALLOWED[machine]:
            machine.apply(obj, machine.states(dst))
            assert obj.status == dst
        else:
            with pytest.raises(InvalidTransition):
                machine.apply(obj, machine.states(dst))
            assert obj.status == src


def test_labels_name_it_wangluo_jingjia_never_paimai():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in [
        *root.joinpath("marketplace/trading").rglob("*.p[yo]"),
        *root.joinpath("templates/trading").glob("*"),
    ]:
        assert "拍卖" not in path.read_text(encoding="utf-8"), path
