"""Schemathesis over /api/v1/openapi.json, against the app in-process.

For an anonymous caller and for one token per role, every operation of the
document gets generated requests that fit the document and requests that do
not. Every answer must be below 500 and every error must be in the error
format ({"error": {"code", "message", "fields"}}). Requests and answers are
counted rather than stopping at the first failure, so one run reports every
operation that fails; the figures are printed (`pytest -s`).

Bounded: SCHEMATHESIS_MAX_EXAMPLES (default 6) examples per operation and
mode and caller, so the whole file takes a few minutes on a small machine.
A deeper run: SCHEMATHESIS_MAX_EXAMPLES=100.
"""

from __future__ import annotations

import os
import re
import warnings
import zlib
from collections import Counter

import pytest
import schemathesis
from flask import has_request_context, request
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.utils import cached_property

from marketplace.accounts.services import issue_token

from .. import factories

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "6"))
ROLES = [None, "seller", "buyer", "agency", "regulator", "admin"]
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
TOTALS: Counter = Counter()


def _seed(db) -> tuple[dict[str | None, dict[str, str]], dict[str, list[int]]]:
    """One user and token per role, and a few objects whose ids the requests may use."""
    seller = factories.user_with_role("seller")
    buyer = factories.user_with_role("buyer")
    users = {
        "seller": seller,
        "buyer": buyer,
        "agency": factories.user_with_role("agency"),
        "regulator": factories.user_with_role("regulator"),
        "admin": factories.user_with_role("admin"),
    }
    asset = factories.IpAssetFactory(owned_by=seller.organization)
    published = factories.ListingFactory(seller=seller, published=True, assets=[asset])
    draft = factories.ListingFactory(seller=seller)
    demand = factories.DemandFactory(buyer=buyer)
    contract = factories.ContractFactory(seller_org=seller.organization, buyer_org=buyer.organization)
    db.session.flush()
    headers: dict[str | None, dict[str, str]] = {None: {}}
    for role, user in users.items():
        _token, plaintext = issue_token(user, "schemathesis", actor=user)
        headers[role] = {"Authorization": f"Bearer {plaintext}"}
    db.session.flush()
    ids = {
        "asset_id": [asset.id],
        "listing_id": [published.id, draft.id],
        "demand_id": [demand.id],
        "contract_id": [contract.id],
        "seq": [1, 2],
        "org_id": [seller.organization_id],
        "user_id": [seller.id],
    }
    return headers, ids


#: (route, method, name) of every query parameter a view read during the run.
READ_PARAMS: set[tuple[str, str, str]] = set()


def _note(key) -> None:
    if has_request_context() and request.url_rule is not None:
        READ_PARAMS.add((request.url_rule.rule, request.method, str(key)))


class _RecordingArgs(ImmutableMultiDict):
    """The query string, noting each parameter a view asks for."""

    def get(self, key, default=None, type=None):
        _note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        _note(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        _note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _note(key)
        return super().__contains__(key)


def _recording_request_class(base):
    class RecordingRequest(base):
        @cached_property
        def args(self):
            return _RecordingArgs(super().args.items(multi=True))

    return RecordingRequest


def _route_template(rule: str) -> str:
    return re.sub(r"<(?:[a-z_]+:)?([a-zA-Z_]+)>", r"{\1}", rule)


def error_format_problem(response) -> str | None:
    """Why an error answer is not in the error format (None when it is)."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if not content_type.startswith("application/json"):
        return f"content type {content_type!r}"
    body = response.json()
    if not isinstance(body, dict) or set(body) != {"error"} or not isinstance(body["error"], dict):
        return f"body {str(body)[:120]}"
    error = body["error"]
    if not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
        return f"error {str(error)[:120]}"
    if not set(error) <= {"code", "message", "fields"}:
        return f"error keys {sorted(error)}"
    fields = error.get("fields", {})
    if not isinstance(fields, dict) or not all(
        isinstance(v, list) and all(isinstance(m, str) for m in v) for v in fields.values()
    ):
        return f"fields {str(fields)[:120]}"
    return None


def test_every_operation_describes_each_parameter_once(client, db):
    document = client.get("/api/v1/openapi.json").get_json()
    problems = []
    for path, item in document["paths"].items():
        in_path = set(re.findall(r"{([^}]+)}", path))
        for method, op in item.items():
            params = op.get("parameters", [])
            keys = [(p["name"], p["in"]) for p in params]
            if len(keys) != len(set(keys)):
                problems.append(f"{method} {path}: {sorted(k for k in keys if keys.count(k) > 1)} twice")
            if {name for name, where in keys if where == "path"} != in_path:
                problems.append(f"{method} {path}: path parameters {keys} do not match")
            problems += [f"{method} {path}: {p['name']} has no schema" for p in params if "schema" not in p]
            for p in params:
                if p["in"] == "path" and p["schema"].get("type") == "integer":
                    if (p["schema"].get("minimum"), p["schema"].get("maximum")) != (1, 2**31 - 1):
                        problems.append(f"{method} {path}: {p['name']} is not bounded to the id range")
    assert not problems, problems


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_no_5xx_and_errors_in_the_error_format(app, db, role, caplog):
    headers, ids = _seed(db)
    client = app.test_client()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    stats: Counter = Counter()

    def fuzz(operation, mode):
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @seed(zlib.crc32(f"{role}|{operation.label}|{mode.value}".encode()))  # reproducible
        @given(case=operation.as_strategy(generation_mode=mode), known=st.booleans())
        def run(case, known):
            if known:  # half the time, ids of objects that exist
                for name in list(case.path_parameters or {}):
                    if name in ids:
                        case.path_parameters[name] = ids[name][0]
            response = case.call(session=client, headers=headers[role])
            stats["requests"] += 1
            stats[f"status_{response.status_code // 100}xx"] += 1
            where = f"{case.method} {case.formatted_path} ({mode.value})"
            if response.status_code >= 500:
                logged = [r for r in caplog.records if r.exc_info]
                cause = repr(logged[-1].exc_info[1])[:300] if logged else response.text[:200]
                failures.append(f"{where}: {response.status_code} {cause}")
                caplog.clear()
                return
            problem = error_format_problem(response)
            if problem:
                failures.append(f"{where}: {response.status_code} not in the error format: {problem}")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                run()
            except Unsatisfiable:  # nothing can break the document here (no parameters, no body)
                stats["operations_without_negative_cases"] += 1

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    READ_PARAMS.clear()
    original = app.request_class
    app.request_class = _recording_request_class(original)
    try:
        for operation in operations:
            for mode in MODES:
                fuzz(operation, mode)
    finally:
        app.request_class = original
    document = client.get("/api/v1/openapi.json").get_json()
    for rule, method, name in sorted(READ_PARAMS):
        op = document["paths"].get(_route_template(rule), {}).get(method.lower())
        described = {p["name"] for p in (op or {}).get("parameters", []) if p["in"] == "query"}
        if op is not None and name not in described:
            failures.append(f"{method} {rule}: reads the query parameter {name!r}, which is not described")
    stats["operations"] = len(operations)
    TOTALS.update(stats)
    print(f"\nschemathesis [{role or 'anonymous'}]: {dict(stats)}; failures: {len(failures)}")
    print(f"schemathesis totals so far: {dict(TOTALS)}")
    for line in sorted(set(failures))[:80]:
        print("  ", line)
    assert not failures, f"{len(failures)} failing answers, e.g. {sorted(set(failures))[:5]}"
