"""Web pages of the ip domain."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ip", __name__)
