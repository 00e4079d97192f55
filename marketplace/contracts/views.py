"""Web pages of the contracts domain."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("contracts", __name__)
