"""The terms of a contract: which fields the parties complete, the rules between
them, and applying a change to the contract's columns and rows at once."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Organization
from ..core.catalog import INDUSTRIES
from ..core.errors import Conflict
from ..core.money import format_yuan
from ..extensions import db
from ..ip.models import IpAsset
from .codes import CATEGORIES, COST_KINDS
from .models import Contract, ContractAsset, ContractCostLine, ContractMilestone
from .ports import paid_fen_of_milestones

#: Fields of a contract the parties complete (`update_contract` accepts these keys).
EDITABLE_FIELDS = (
    "category",
    "title",
    "subject",
    "industry",
    "valid_from",
    "valid_to",
    "signed_on",
    "buyer_name",
    "buyer_place",
    "agency_org_id",
    "turnover_fen",
    "tech_income_fen",
    "new_investment_fen",
    "new_output_fen",
)
LIST_FIELDS = ("asset_ids", "milestones", "cost_lines")
#: An amendment says what changes and why (the web form, the API and the service alike).
AMENDMENT_REASON_REQUIRED = _l("Say what the amendment changes and why.")
#: What an amendment may change.
AMENDABLE_FIELDS = (
    "category",
    "industry",
    "buyer_org_id",
    "buyer_name",
    "buyer_place",
    "turnover_fen",
    "tech_income_fen",
    "milestones",
    "cost_lines",
)


def _load_assets(asset_ids: list[int], seller_org_id: int | None) -> tuple[list[Any], list[Any]]:
    """The IP assets by id (one query), and error messages (unknown ids, not the seller's)."""
    found = {a.id: a for a in db.session.scalars(select(IpAsset).where(IpAsset.id.in_(set(asset_ids))))}
    errors: list[Any] = []
    assets = []
    for asset_id in asset_ids:
        asset = found.get(asset_id)
        if asset is None:
            errors.append(_l("There is no IP asset %(id)s.", id=asset_id))
            continue
        owners = getattr(asset, "owner_org_ids", None)
        if seller_org_id is not None and owners is not None and seller_org_id not in owners:
            errors.append(
                _l("“%(name)s” does not belong to the seller.", name=asset.title or asset.display_identifier)
            )
            continue
        assets.append(asset)
    return assets, errors


def _clean_rows(rows: list[dict[str, Any]] | None, kind: str) -> list[dict[str, Any]]:
    return [dict(r) for r in (rows or []) if r]


def _validate(values: dict[str, Any], errors: dict[str, list[Any]]) -> None:
    """Check the rules between fields on the values the contract would have."""
    category = values.get("category")
    if category is not None and category not in CATEGORIES:
        errors.setdefault("category", []).append(_l("Choose a category from the national list."))
    industry = values.get("industry")
    if industry is not None and industry not in INDUSTRIES:
        errors.setdefault("industry", []).append(_l("Choose an industry from the list."))
    for name in ("turnover_fen", "tech_income_fen", "new_investment_fen", "new_output_fen"):
        value = values.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            errors.setdefault(name, []).append(_l("Enter an amount of 0 or more."))
    turnover, income = values.get("turnover_fen"), values.get("tech_income_fen")
    amounts_ok = "turnover_fen" not in errors and "tech_income_fen" not in errors
    if amounts_ok and turnover is not None and income is not None and income > turnover:
        errors.setdefault("tech_income_fen", []).append(
            _l("Technology income cannot be more than the contract turnover.")
        )
        amounts_ok = False
    valid_from, valid_to = values.get("valid_from"), values.get("valid_to")
    if valid_from and valid_to and valid_from > valid_to:
        errors.setdefault("valid_to", []).append(_l("The validity period ends before it starts."))
    if values.get("buyer_org_id") is not None and values.get("buyer_name"):
        errors.setdefault("buyer_name", []).append(
            _l("Name either a buyer organization or an out-of-province buyer, not both.")
        )
    if values.get("buyer_name") and not values.get("buyer_place"):
        errors.setdefault("buyer_place", []).append(
            _l("Say where the out-of-province buyer is (province and city).")
        )

    cost_lines = values.get("cost_lines") or []
    for index, line in enumerate(cost_lines):
        if line.get("kind") not in COST_KINDS:
            errors.setdefault("cost_lines", []).append(
                _l("Cost line %(n)s: choose equipment, instruments, parts or raw materials.", n=index + 1)
            )
        if not isinstance(line.get("amount_fen"), int) or line["amount_fen"] <= 0:
            errors.setdefault("cost_lines", []).append(
                _l("Cost line %(n)s: the amount must be more than 0.", n=index + 1)
            )
        if not (line.get("description") or "").strip():
            errors.setdefault("cost_lines", []).append(_l("Cost line %(n)s: describe the cost.", n=index + 1))
    if amounts_ok and "cost_lines" not in errors and turnover is not None and income is not None:
        total = sum(line["amount_fen"] for line in cost_lines)
        if cost_lines and total != turnover - income:
            errors.setdefault("cost_lines", []).append(
                _l(
                    "The non-technical costs add up to %(total)s, but turnover minus technology "
                    "income is %(diff)s; they must be equal.",
                    total=format_yuan(total),
                    diff=format_yuan(turnover - income),
                )
            )

    milestones = values.get("milestones") or []
    for index, row in enumerate(milestones):
        if not isinstance(row.get("due_on"), date):
            errors.setdefault("milestones", []).append(
                _l("Milestone %(n)s: enter the due date.", n=index + 1)
            )
        if not isinstance(row.get("amount_fen"), int) or row["amount_fen"] <= 0:
            errors.setdefault("milestones", []).append(
                _l("Milestone %(n)s: the amount must be more than 0.", n=index + 1)
            )
    if "milestones" not in errors and milestones and turnover is not None and "turnover_fen" not in errors:
        total = sum(row["amount_fen"] for row in milestones)
        if total != turnover:
            errors.setdefault("milestones", []).append(
                _l(
                    "The milestones add up to %(total)s, but the contract turnover is %(turnover)s; "
                    "they must be equal.",
                    total=format_yuan(total),
                    turnover=format_yuan(turnover),
                )
            )


def _current_values(contract: Contract) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(contract, name) for name in EDITABLE_FIELDS}
    values["buyer_org_id"] = contract.buyer_org_id
    values["asset_ids"] = contract.asset_ids
    values["milestones"] = [
        {"due_on": m.due_on, "amount_fen": m.amount_fen, "description": m.description}
        for m in contract.milestones
    ]
    values["cost_lines"] = [
        {"kind": c.kind, "description": c.description, "amount_fen": c.amount_fen}
        for c in contract.cost_lines
    ]
    return values


def _set_milestones(contract: Contract, rows: list[dict[str, Any]], *, keep_paid: bool = False) -> None:
    """Replace the schedule, keeping the rows (and their ids) of existing sequence numbers."""
    by_seq = {m.seq: m for m in contract.milestones}
    for seq, row in enumerate(rows, start=1):
        milestone = by_seq.pop(seq, None)
        if milestone is None:
            milestone = ContractMilestone(seq=seq)
            contract.milestones.append(milestone)
        milestone.due_on = row["due_on"]
        milestone.amount_fen = row["amount_fen"]
        milestone.description = (row.get("description") or "").strip() or None
    paid = paid_fen_of_milestones([m.id for m in by_seq.values()]) if keep_paid and by_seq else {}
    for milestone in by_seq.values():
        if keep_paid and paid.get(milestone.id):
            raise Conflict(
                _l("Milestone %(n)s has payments and cannot be removed.", n=milestone.seq),
                fields={"milestones": [_l("Milestone %(n)s has payments.", n=milestone.seq)]},
            )
        contract.milestones.remove(milestone)


def _set_cost_lines(contract: Contract, rows: list[dict[str, Any]]) -> None:
    contract.cost_lines.clear()
    db.session.flush()
    for seq, row in enumerate(rows, start=1):
        contract.cost_lines.append(
            ContractCostLine(
                seq=seq,
                kind=row["kind"],
                description=row["description"].strip(),
                amount_fen=row["amount_fen"],
            )
        )


def _set_assets(contract: Contract, asset_ids: list[int]) -> None:
    wanted = list(dict.fromkeys(asset_ids))
    for link in list(contract.asset_links):
        if link.asset_id not in wanted:
            contract.asset_links.remove(link)
    have = set(contract.asset_ids)
    for asset_id in wanted:
        if asset_id not in have:
            contract.asset_links.append(ContractAsset(asset_id=asset_id))


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (sorted(v) if k == "asset_ids" else v)
        for k, v in values.items()
        if k in EDITABLE_FIELDS or k in LIST_FIELDS or k == "buyer_org_id"
    }


_COLLECTIONS = ("milestones", "cost_lines", "asset_ids")


def _apply(contract: Contract, new: dict[str, Any], changed: set[str], *, keep_paid: bool = False) -> None:
    """Apply every changed field at once: the columns first, then the rows of the
    collections, with no flush in between, so the database never sees a half-applied
    change (e.g. the new income with the old turnover, which its check refuses)."""
    with db.session.no_autoflush:
        for name in sorted(changed - set(_COLLECTIONS)):
            setattr(contract, name, new[name])
        if "milestones" in changed:
            _set_milestones(contract, new["milestones"], keep_paid=keep_paid)
        if "cost_lines" in changed:
            _set_cost_lines(contract, new["cost_lines"])
        if "asset_ids" in changed:
            _set_assets(contract, new["asset_ids"])


def _check_org(org: Organization | None, field: str, errors: dict[str, list[Any]], *, kinds=None) -> None:
    if org is None:
        return
    if not org.is_approved:
        errors.setdefault(field, []).append(_l("This organization is not approved on the platform."))
    elif kinds and org.kind not in kinds:
        errors.setdefault(field, []).append(_l("This organization cannot take this role in a contract."))


def _deal_amount(terms: dict[str, Any]) -> int | None:
    kind = terms.get("deal_kind")
    key = {"transfer": "price_fen", "license": "upfront_fen", "equity": "valuation_fen"}.get(kind)
    value = terms.get(key) if key else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
