"""Hostile input is refused at the request boundary, never with a 500.

- Ids in routes: the `int` converter is bounded to the database's integer
  range (1 .. 2^31 - 1), so `/api/v1/assets/2147483648` is a 404 like any
  other id that does not exist, on PostgreSQL and SQLite alike.
- JSON bodies: nesting deeper than MAX_JSON_DEPTH is a 400; the parser never
  recurses out of the stack.
- Text: a NUL byte or an unpaired surrogate ("\\ud800") in a path segment, a
  query parameter, a JSON string (or key), a form field or a file name is
  refused per field: 422 with the error format's `fields` in the API, a
  field error on forms (see BaseForm.validate), a 422 page naming the
  parameters otherwise. PostgreSQL cannot store NUL and neither database
  can encode a lone surrogate, so such text must not reach a query.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

from .errors import BadRequest, ValidationError

#: The largest id a route accepts: PostgreSQL's `integer` (SQLite's is wider).
MAX_ID = 2**31 - 1
#: Deepest nesting of arrays and objects accepted in a JSON body.
MAX_JSON_DEPTH = 20

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")

NOT_ALLOWED = _l("Contains a character that is not allowed (a NUL byte or an unpaired surrogate).")
NOT_AN_ID = _l("Not a valid number: numbers of records are between 1 and %(max)s.", max=MAX_ID)
_ID_TOKEN = re.compile(r"[0-9]+")
_ID_TEXT = re.compile(r"[\s,，、;；+\-0-9]+")  # numbers and separators only


def is_id_name(name: str) -> bool:
    """Fields and parameters that carry ids of records (`org_id`, `asset_ids`)."""
    return name.endswith(("_id", "_ids"))


def id_out_of_range(value: Any) -> bool:
    """True when an id-carrying value holds a number beyond MAX_ID (which no query may see:
    PostgreSQL's `integer` overflows, SQLite's beyond 2^63). Other shapes are the forms' business."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return abs(value) > MAX_ID
    if isinstance(value, str):
        if not _ID_TEXT.fullmatch(value):
            return False  # not a number (a Stripe id, a name): the forms say what is wrong
        return any(len(t) > 10 or int(t) > MAX_ID for t in _ID_TOKEN.findall(value))
    if isinstance(value, list):
        return any(id_out_of_range(v) for v in value)
    return False


class IdConverter(IntegerConverter):
    """`<int:...>` bounded to 1 .. MAX_ID: anything outside does not match (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_ID) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=False)


class JSONTooDeep(ValueError):
    pass


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth) for child in children)
    return deepest


def loads_limited(data: str | bytes, **kwargs: Any) -> Any:
    """json.loads that answers ValueError (JSONTooDeep) instead of recursing too deep."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise JSONTooDeep("nested too deeply") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise JSONTooDeep("nested too deeply")
    return value


class LimitedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with request bodies (and anything else it loads) depth-limited."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads_limited(s, **kwargs)


def has_bad_text(value: Any) -> bool:
    return isinstance(value, str) and _BAD_TEXT.search(value) is not None


def shown(name: str) -> str:
    """A name safe to echo back (in a message or a JSON key)."""
    return _BAD_TEXT.sub("\ufffd", name)


def bad_json_paths(value: Any, prefix: str = "") -> tuple[list[str], list[str]]:
    """Dotted paths ("owners.0.name") of the strings (or keys) with bad text, and of the
    ids (`*_id`, `*_ids`) out of range; without recursion."""
    found: list[str] = []
    ids: list[str] = []
    stack = [(value, prefix)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                name = f"{path}.{shown(str(key))}" if path else shown(str(key))
                if has_bad_text(key):
                    found.append(name)
                    continue
                if is_id_name(str(key)) and id_out_of_range(child):
                    ids.append(name)
                stack.append((child, name))
        elif isinstance(item, list):
            stack.extend(
                (child, f"{path}.{index}" if path else str(index)) for index, child in enumerate(item)
            )
        elif has_bad_text(item):
            found.append(path or "body")
    return sorted(set(found)), sorted(set(ids))


def _bad_multidict(data) -> list[str]:
    return sorted(
        {shown(key) for key, value in data.items(multi=True) if has_bad_text(key) or has_bad_text(value)}
    )


def _is_api() -> bool:
    return request.path.startswith("/api/")


def refuse_bad_input() -> None:
    """before_request: refuse NUL bytes, lone surrogates and too-deep JSON (see the module)."""
    bad: list[str] = []
    # Every parameter is looked at as a whole (lists()), not asked for by name: a
    # view's reading of a parameter is what the API document must describe.
    ids: list[str] = [k for k, values in request.args.lists() if is_id_name(k) and id_out_of_range(values)]
    bad += [shown(k) for k, v in (request.view_args or {}).items() if has_bad_text(v)]
    bad += _bad_multidict(request.args)
    bad += sorted({shown(key) for key, f in request.files.items(multi=True) if has_bad_text(f.filename)})
    if _is_api():
        bad += _bad_multidict(request.form)
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and not request.form and not request.files:
            raw = request.get_data(cache=True)
            if raw:
                try:
                    body = loads_limited(raw)
                except JSONTooDeep:
                    raise BadRequest(
                        _l("The JSON body is nested too deeply (at most %(n)s levels).", n=MAX_JSON_DEPTH)
                    ) from None
                except ValueError:
                    body = None  # not JSON: the view answers 400 when it needs a body
                bad_text, bad_ids = bad_json_paths(body)
                bad += bad_text
                ids += bad_ids
        ids += [k for k in request.form if is_id_name(k) and id_out_of_range(request.form.getlist(k))]
    # Page forms (POST) report bad text and ids on their own fields: BaseForm.validate.
    if not bad and not ids:
        return
    names = sorted(set(bad))
    if _is_api() or not bad:
        fields = {shown(name): [NOT_AN_ID] for name in ids}
        fields.update({name: [NOT_ALLOWED] for name in names})
        raise ValidationError(fields=fields)
    raise ValidationError(
        _l(
            "%(fields)s: contains a character that is not allowed (a NUL byte or an unpaired surrogate).",
            fields=", ".join(names),
        ),
        fields={name: [NOT_ALLOWED] for name in names},
    )


def register(app: Flask) -> None:
    """Before the blueprints: the `int` converter must be in place when routes are added."""
    app.url_map.converters["int"] = IdConverter
    app.json = LimitedJSONProvider(app)
    app.before_request(refuse_bad_input)
