"""The JSON body of an API request: parsed, and validated by the WTForms form
that the web view uses too."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from .errors import BadRequest, ValidationError


def json_body() -> dict[str, Any]:
    """The request's JSON object; BadRequest (400) when it is not one."""
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise BadRequest(_l("The request body must be a JSON object."))
    return data


def to_formdata(data: dict[str, Any], prefix: str = "") -> MultiDict:
    """Flatten a JSON object into form data, so one WTForms form validates both.

    Scalars become strings (booleans "y" or absent, null absent); a list of
    scalars becomes repeated keys; a list of objects becomes `name-0-sub`;
    a nested object becomes `name-sub` (WTForms' FormField naming).
    """
    out = MultiDict()
    for key, value in data.items():
        name = f"{prefix}{key}"
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                out.add(name, "y")
        elif isinstance(value, dict):
            for k, v in to_formdata(value, prefix=f"{name}-").items(multi=True):
                out.add(k, v)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    for k, v in to_formdata(item, prefix=f"{name}-{index}-").items(multi=True):
                        out.add(k, v)
                elif item is not None:
                    out.add(name, str(item) if not isinstance(item, bool) else ("y" if item else ""))
        else:
            out.add(name, str(value))
    return out


def validate_json(form_cls, data: dict[str, Any] | None = None, **kwargs):
    """Validate a JSON body with a WTForms form; ValidationError (422) with fields when invalid."""
    body = json_body() if data is None else data
    form = form_cls(formdata=to_formdata(body), meta={"csrf": False}, **kwargs)
    if not form.validate():
        raise ValidationError(
            fields={
                k: list(v) if isinstance(v, list) else [v] for k, v in _flatten_errors(form.errors).items()
            }
        )
    return form


def _flatten_errors(errors, prefix: str = "") -> dict[str, list]:
    flat: dict[str, list] = {}
    for key, value in errors.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten_errors(value, f"{name}."))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                if item:
                    flat.update(_flatten_errors(item, f"{name}.{index}."))
        elif isinstance(value, list) and value and isinstance(value[0], list):
            for index, item in enumerate(value):
                if item:
                    flat[f"{name}.{index}"] = [str(m) for m in item]
        else:
            flat[name] = [str(m) for m in value]
    return flat
