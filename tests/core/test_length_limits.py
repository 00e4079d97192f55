"""Length limits say so instead of cutting: no form uses WTForms' Length, whose
`maxlength` attribute makes a browser cut what is typed or pasted beyond it, without a
word (core.forms.MaxLength refuses it with a message naming the limit)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "marketplace"
SOURCES = sorted(p for p in ROOT.rglob("*.py") if "translations" not in p.parts)


def _length_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "Length":
                lines.append(node.lineno)
    return lines


def test_no_form_field_uses_wtforms_length():
    found = [f"{p.relative_to(ROOT)}:{line}" for p in SOURCES for line in _length_calls(p)]
    assert found == [], f"use core.forms.MaxLength instead of Length at {found}"


def test_the_listing_form_has_no_maxlength_attribute(client, login_as, db):
    login_as("seller")
    page = client.get("/listings/new").get_data(as_text=True)
    assert "maxlength" not in page
