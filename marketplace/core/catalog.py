"""The fixed code lists of the domain (../shared/DOMAIN.md): regions,
industries, organization kinds, roles. Labels are translatable."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .i18n import label_text

PROVINCE_CODE = "230000"
OUT_OF_PROVINCE = "000000"

# GB/T 2260 codes of Heilongjiang and its cities, in official order.
REGIONS: dict[str, object] = {
    "230000": _l("Heilongjiang (province)"),
    "230100": _l("Harbin"),
    "230200": _l("Qiqihar"),
    "230300": _l("Jixi"),
    "230400": _l("Hegang"),
    "230500": _l("Shuangyashan"),
    "230600": _l("Daqing"),
    "230700": _l("Yichun"),
    "230800": _l("Jiamusi"),
    "230900": _l("Qitaihe"),
    "231000": _l("Mudanjiang"),
    "231100": _l("Heihe"),
    "231200": _l("Suihua"),
    "232700": _l("Da Hinggan Ling"),
    "000000": _l("Outside Heilongjiang"),
}
CITY_CODES = tuple(c for c in REGIONS if c not in (PROVINCE_CODE, OUT_OF_PROVINCE))

INDUSTRY_GROUPS: dict[str, tuple[object, tuple[str, ...]]] = {
    "new_economy": (_l("New economic forms"), ("digital", "biology", "ice_snow", "creative_design")),
    "strategic": (
        _l("Strategic emerging industries"),
        ("aerospace", "new_materials", "high_end_equipment", "agri_machinery"),
    ),
    "traditional": (
        _l("Traditional advantage industries"),
        ("energy", "chemical", "agri_processing", "automobile", "light_industry"),
    ),
    "other": (_l("Other"), ("other",)),
}
INDUSTRIES: dict[str, object] = {
    "digital": _l("Digital economy"),
    "biology": _l("Bio-economy"),
    "ice_snow": _l("Ice and snow economy"),
    "creative_design": _l("Creative design"),
    "aerospace": _l("Aerospace"),
    "new_materials": _l("New materials"),
    "high_end_equipment": _l("High-end equipment"),
    "agri_machinery": _l("Agricultural machinery"),
    "energy": _l("Energy"),
    "chemical": _l("Chemicals"),
    "agri_processing": _l("Agricultural product processing"),
    "automobile": _l("Automobiles"),
    "light_industry": _l("Light industry"),
    "other": _l("Other"),
}

ORG_KINDS: dict[str, object] = {
    "university": _l("University"),
    "research_institute": _l("Research institute"),
    "enterprise": _l("Enterprise"),
    "agency": _l("Technology transfer agency"),
    "regulator": _l("Contract registration authority"),
    "individual": _l("Individual"),
    "other": _l("Other organization"),
    "service_provider": _l("Service provider"),
    "bank": _l("Bank"),
    "guarantee_company": _l("Guarantee company"),
    "insurer": _l("Insurer"),
    "investment_fund": _l("Investment fund"),
}
# The "three sources" of achievements.
SOURCE_KINDS = ("university", "research_institute", "enterprise")
# Organization kinds whose members get their powers only after an admin approves.
# Financial institutions: lenders, guarantors and insurers who share a loan's risk, investors.
FINANCE_ORG_KINDS = ("bank", "guarantee_company", "insurer", "investment_fund")
VETTED_ORG_KINDS = ("agency", "regulator", "service_provider", *FINANCE_ORG_KINDS)

ROLES: dict[str, object] = {
    "seller": _l("Seller"),
    "buyer": _l("Buyer"),
    "agency": _l("Agency (technology manager)"),
    "regulator": _l("Regulator"),
    "provider": _l("Service provider staff"),
    "financier": _l("Financial institution staff"),
    "admin": _l("Administrator"),
}
# Roles a person may choose when signing up (admins are created by the operator).
SIGNUP_ROLES = ("seller", "buyer", "agency", "regulator", "provider", "financier")
# The organization kinds a role requires, where it requires one.
ROLE_ORG_KINDS: dict[str, tuple[str, ...]] = {
    "agency": ("agency",),
    "regulator": ("regulator",),
    "provider": ("service_provider",),
    "financier": FINANCE_ORG_KINDS,
}


def region_label(code: str | None) -> str:
    return label_text(REGIONS, code)


def authority_name(code: str | None) -> str:
    """The full name of the technology-contract registration authority of a region:
    the province's department of science and technology, or a city's bureau."""
    if not code:
        return ""
    if code == PROVINCE_CODE:
        return str(_l("Department of Science and Technology of Heilongjiang Province"))
    return str(_l("Science and Technology Bureau of %(region)s", region=region_label(code)))


def industry_label(code: str | None) -> str:
    return label_text(INDUSTRIES, code)


def org_kind_label(code: str | None) -> str:
    return label_text(ORG_KINDS, code)


def role_label(code: str | None) -> str:
    return label_text(ROLES, code)


def city_of(region_code: str | None) -> str | None:
    """The city code (e.g. 230100) of a region code, None for province-wide or outside."""
    if not region_code or region_code in (PROVINCE_CODE, OUT_OF_PROVINCE):
        return None
    return region_code[:4] + "00"


def region_in_scope(scope_code: str | None, region_code: str | None) -> bool:
    """Whether a regulator scoped to `scope_code` sees something in `region_code`.

    The provincial authority (230000) sees every region of the province;
    a city authority sees its own city only.
    """
    if not scope_code or not region_code:
        return False
    if scope_code == PROVINCE_CODE:
        return region_code.startswith("23")
    return city_of(region_code) == scope_code


def choices(table: dict[str, object]) -> list[tuple[str, object]]:
    return list(table.items())
