"""Choosing organizations and IP assets by name on the contract pages.

The pages post ids (the API keeps ids too), but a person sees and picks names:
a plain select (checkboxes for assets) of the choices they may pick, which works
without JavaScript. When a list is long (more than `LONG_LIST` choices) the page
adds a name search: a text box submitted with the form ("Find"), which narrows
the list server-side and keeps everything typed so far; app.js filters the same
list as one types.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from wtforms import SelectField, SelectMultipleField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts.models import Organization
from ..extensions import db
from ..ip.models import AssetOwner, IpAsset

#: Above this many choices a picker gets a name search.
LONG_LIST = 50
#: The organization kinds that can be a party (seller or buyer) of a contract.
PARTY_KINDS = ("university", "research_institute", "enterprise", "individual", "other")


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


class _Narrowing:
    """A picker whose list a name search narrows when the page is drawn; the full
    list is what validation checks."""

    query: str = ""

    def set_choices(self, choices: list[tuple[Any, str]]) -> None:
        self.all_choices = list(choices)
        self.choices = list(choices)

    @property
    def is_long(self) -> bool:
        return len(getattr(self, "all_choices", ()) or ()) > LONG_LIST

    def selected_values(self) -> set[Any]:
        data = self.data
        if isinstance(data, (list, tuple, set)):
            return set(data)
        return {data} if data not in (None, "") else set()

    def narrow(self, query: str | None) -> None:
        """Keep the choices whose name contains `query` (any case), the chosen ones and the blank."""
        self.query = (query or "").strip()
        if not self.query:
            return
        needle = self.query.casefold()
        keep = self.selected_values()
        self.choices = [
            (value, label)
            for value, label in self.all_choices
            if value in ("", None) or value in keep or needle in str(label).casefold()
        ]


class OrgPicker(_Narrowing, SelectField):
    """One organization, chosen by name; the value posted is its id."""

    def __init__(self, label=None, validators=None, *, message=None, **kwargs) -> None:
        super().__init__(label, validators, coerce=_int_or_none, choices=[], **kwargs)
        self.message = message or _l("Choose an organization from the list.")

    def pre_validate(self, form) -> None:
        if self.data is None:
            return
        if self.data not in {value for value, _label in getattr(self, "all_choices", self.choices)}:
            raise ValidationError(self.message)


class AssetPicker(_Narrowing, SelectMultipleField):
    """IP assets, ticked by name; the values posted are their ids."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, label=None, validators=None, **kwargs) -> None:
        super().__init__(label, validators, coerce=int, choices=[], **kwargs)

    def process_formdata(self, valuelist) -> None:
        try:
            self.data = [int(v) for v in valuelist if str(v).strip()]
        except ValueError:
            self.data = None
            raise ValueError(_l("Choose the IP assets from the list.")) from None

    def pre_validate(self, form) -> None:
        allowed = {value for value, _label in getattr(self, "all_choices", self.choices)}
        if any(value not in allowed for value in self.data or ()):
            raise ValidationError(_l("Choose the IP assets from the list."))


# --- The choices ------------------------------------------------------------------------------


def _org_label(org: Organization) -> str:
    return f"{org.name} · {org.region_label}" if org.region_code else org.name


def _orgs(kinds: tuple[str, ...]) -> list[tuple[Any, str]]:
    orgs = db.session.scalars(
        select(Organization)
        .where(Organization.status == "approved", Organization.kind.in_(kinds))
        .order_by(Organization.name)
    ).all()
    return [(o.id, _org_label(o)) for o in orgs]


def agency_choices() -> list[tuple[Any, str]]:
    """The approved technology-transfer agencies, by name (one query)."""
    return [("", _l("— none —")), *_orgs(("agency",))]


def party_choices(*, blank: object) -> list[tuple[Any, str]]:
    """The approved organizations that can be a seller or buyer, by name (one query)."""
    return [("", blank), *_orgs(PARTY_KINDS)]


def _asset_label(asset: IpAsset, owner: str | None) -> str:
    parts = [asset.title or asset.display_identifier, asset.kind_label]
    if asset.identifier and asset.title:
        parts.append(asset.display_identifier)
    if owner:
        parts.append(owner)
    return " · ".join(str(p) for p in parts if p)


def asset_choices(
    seller_org_id: int | None, *, also: list[int] | tuple[int, ...] = ()
) -> list[tuple[Any, str]]:
    """The IP assets a contract may name, by title (one query): the seller's when it is
    known, else those of every approved organization that can sell (labelled with
    the owner's name); plus `also` (the assets the contract names already)."""
    offered = (Organization.status == "approved") & Organization.kind.in_(PARTY_KINDS)
    if seller_org_id is not None:
        offered = offered & (AssetOwner.org_id == seller_org_id)
    if also:
        offered = or_(offered, IpAsset.id.in_(list(also)))
    rows = db.session.execute(
        select(IpAsset, Organization.name)
        .join(AssetOwner, AssetOwner.asset_id == IpAsset.id)
        .join(Organization, Organization.id == AssetOwner.org_id)
        .where(offered)
    ).all()
    owners: dict[int, list[str]] = {}
    assets: dict[int, IpAsset] = {}
    for asset, owner in rows:
        assets[asset.id] = asset
        if owner not in owners.setdefault(asset.id, []):
            owners[asset.id].append(owner)
    ordered = sorted(assets.values(), key=lambda a: (a.title or "", a.id))
    show_owner = seller_org_id is None
    return [(a.id, _asset_label(a, "、".join(owners[a.id]) if show_owner else None)) for a in ordered]


def narrow_from_request(form, formdata) -> None:
    """Apply each picker's name search (`<field>_q`) as posted with the form."""
    for field in form:
        if isinstance(field, _Narrowing):
            field.narrow((formdata or {}).get(f"{field.name}_q"))


def find_requested(form, formdata) -> bool:
    """Whether the person pressed a picker's "Find" button (not "Save")."""
    name = (formdata or {}).get("find")
    return bool(name) and name in form._fields and isinstance(form[name], _Narrowing)
