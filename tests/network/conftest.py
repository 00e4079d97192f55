"""Fixtures of the docking network tests."""

from __future__ import annotations

import pytest

from .factories import build_net


@pytest.fixture
def net(db):
    return build_net()
