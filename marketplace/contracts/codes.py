"""The code lists of technology contracts (DOMAIN.md "Technology contracts and registration")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.i18n import label_text

#: The national registration categories (the Civil Code splits licensing from transfer).
CATEGORIES: dict[str, object] = {
    "development_commissioned": _l("Technology development (commissioned)"),
    "development_cooperative": _l("Technology development (cooperative)"),
    "transfer_patent": _l("Technology transfer: patent right"),
    "transfer_patent_application": _l("Technology transfer: patent application right"),
    "transfer_technical_secret": _l("Technology transfer: technical secret"),
    "transfer_other": _l("Technology transfer: software copyright, IC layout, plant variety, other"),
    "license_patent": _l("Technology licence: patent"),
    "license_technical_secret": _l("Technology licence: technical secret"),
    "license_software_copyright": _l("Technology licence: software copyright"),
    "license_ic_layout": _l("Technology licence: IC layout design"),
    "license_plant_variety": _l("Technology licence: new plant variety"),
    "consulting": _l("Technology consulting"),
    "service": _l("Technology service"),
    "service_training": _l("Technology service: training"),
    "service_intermediary": _l("Technology service: intermediary"),
}
TRANSFER_CATEGORIES = frozenset(c for c in CATEGORIES if c.startswith("transfer_"))

#: Words a contract's title must contain for its category (Chinese and English),
#: so that the name matches the content (a refusal reason the platform can check).
TITLE_WORDS: dict[str, tuple[str, ...]] = {
    "development_commissioned": ("开发", "研发", "develop"),
    "development_cooperative": ("开发", "研发", "develop"),
    "transfer_patent": ("转让", "作价入股", "入股", "transfer", "assign", "equity"),
    "transfer_patent_application": ("转让", "作价入股", "入股", "transfer", "assign", "equity"),
    "transfer_technical_secret": ("转让", "作价入股", "入股", "transfer", "assign", "equity"),
    "transfer_other": ("转让", "作价入股", "入股", "transfer", "assign", "equity"),
    "license_patent": ("许可", "licen"),
    "license_technical_secret": ("许可", "licen"),
    "license_software_copyright": ("许可", "licen"),
    "license_ic_layout": ("许可", "licen"),
    "license_plant_variety": ("许可", "licen"),
    "consulting": ("咨询", "论证", "评估", "consult"),
    "service": ("服务", "service"),
    "service_training": ("培训", "training"),
    "service_intermediary": ("中介", "居间", "intermediar", "brokerage"),
}

#: Reasons a registration authority gives when it returns a contract (未予登记).
RETURN_REASONS: dict[str, object] = {
    "invalid_or_not_effective": _l("The contract is invalid or has not taken effect"),
    "not_technology_contract": _l("It is not a technology contract"),
    "unclear_parties_subject_or_price": _l("Parties, subject or price are unclear"),
    "missing_approvals": _l("Approvals required by law are missing"),
    "name_content_mismatch": _l("The contract's name does not match its content"),
    "monopolistic_clauses": _l("It contains clauses that illegally monopolize technology"),
    "missing_proofs": _l("Required proofs are missing"),
    "seals_incomplete": _l("Signatures or seals are incomplete"),
    "other": _l("Other (see the note)"),
}

#: Non-technical costs: the difference between turnover and technology income.
COST_KINDS: dict[str, object] = {
    "equipment": _l("Equipment"),
    "instruments": _l("Instruments"),
    "parts": _l("Parts"),
    "raw_materials": _l("Raw materials"),
}

SOURCES: dict[str, object] = {
    "offer": _l("Accepted offer on the platform"),
    "offline": _l("Offline deal recorded by an agency"),
    "import": _l("Imported (registered offline)"),
}


def category_label(code: str | None) -> str:
    label = CATEGORIES.get(code) if code else None
    return str(label) if label is not None else (code or "")


def reason_label(code: str | None) -> str:
    label = RETURN_REASONS.get(code) if code else None
    return str(label) if label is not None else (code or "")


def cost_kind_label(code: str | None) -> str:
    label = COST_KINDS.get(code) if code else None
    return str(label) if label is not None else (code or "")


def title_matches_category(title: str | None, category: str | None) -> bool:
    if not title or not category or category not in TITLE_WORDS:
        return False
    lowered = title.lower()
    return any(word in lowered for word in TITLE_WORDS[category])


PATENT_KINDS = frozenset({"invention_patent", "utility_model", "design_patent"})

#: The licence category of each kind of right that has one of its own (patents apart).
LICENSE_BY_KIND: dict[str, str] = {
    "software_copyright": "license_software_copyright",
    "ic_layout": "license_ic_layout",
    "plant_variety": "license_plant_variety",
}


def suggest_category(deal_kind: str, asset_kinds: list[str], *, pending_patent: bool = False) -> str:
    """The registration category an accepted deal suggests, from the kinds of its assets.

    license -> license_patent when a patent is among the assets, else the licence
    of the right the assets share (software copyright, IC layout design, new
    plant variety), else license_technical_secret (know-how, achievements, or
    rights of several kinds). Transfer and equity (registered as a transfer) ->
    transfer_patent (transfer_patent_application while every patent is still
    pending) / transfer_technical_secret / transfer_other.
    """
    kinds = set(asset_kinds)
    has_patent = bool(kinds & PATENT_KINDS)
    if deal_kind == "license":
        if has_patent:
            return "license_patent"
        rights = {LICENSE_BY_KIND[k] for k in kinds if k in LICENSE_BY_KIND}
        if len(rights) == 1:
            return rights.pop()
        return "license_technical_secret"
    if has_patent:
        return "transfer_patent_application" if pending_patent else "transfer_patent"
    if kinds and kinds <= {"technical_secret", "achievement"}:
        return "transfer_technical_secret"
    if not kinds:
        return "transfer_technical_secret"
    return "transfer_other"


AUDIT_ACTIONS: dict[str, object] = {
    "contract.created": _l("created the contract draft"),
    "contract.updated": _l("changed the terms"),
    "contract.document_uploaded": _l("uploaded the signed document"),
    "contract.confirmed": _l("confirmed the deal"),
    "contract.signed": _l("signed"),
    "contract.submitted": _l("submitted it for registration"),
    "contract.registration_registered": _l("registered the contract"),
    "contract.amendment_registered": _l("registered the amendment"),
    "contract.cancellation_registered": _l("registered the cancellation"),
    "contract.returned": _l("returned it (not registered)"),
    "contract.amendment_requested": _l("applied for an amendment"),
    "contract.cancellation_requested": _l("applied for a cancellation"),
    "contract.imported": _l("imported a contract registered offline"),
}

MILESTONE_STATUSES: dict[str, object] = {
    "due": _l("to be paid"),
    "partly_paid": _l("partly paid"),
    "paid": _l("paid"),
    "overdue": _l("overdue"),
}

FIELD_LABELS: dict[str, object] = {
    "category": _l("Category"),
    "industry": _l("Industry"),
    "turnover_fen": _l("Contract turnover"),
    "tech_income_fen": _l("Technology income"),
    "buyer_org_id": _l("Buyer (organization number)"),
    "buyer_name": _l("Out-of-province buyer"),
    "buyer_place": _l("Buyer's place"),
}


def label_of(table: dict[str, object], code: str | None) -> str:
    return label_text(table, code)
