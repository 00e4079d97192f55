"""Web pages of the listings domain."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("listings", __name__)
