"""Conditional answers for the JSON API's reads.

Every successful GET answer carries an ETag (a digest of its body) and answers
`If-None-Match` with 304 and no body, so a client that polls (a search box, a
bidding page, another system's sync) downloads only what changed. An answer to a
request without a token is the same for everyone who asks in that language: a
shared cache (the reverse proxy) may keep it for API_PUBLIC_MAX_AGE seconds. An
answer to a token is the token holder's own: `private, no-cache` (kept by the
client, revalidated before each use).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from ..core.httpcache import conditional


def conditional_answer(response: Response) -> Response:
    return conditional(
        response,
        mimetype="application/json",
        public=not (request.headers.get("Authorization") or response.headers.get("Set-Cookie")),
        max_age=int(current_app.config.get("API_PUBLIC_MAX_AGE", 30)),
        vary=("Accept-Language", "Authorization"),
    )


def register(app: Flask, blueprint) -> None:
    blueprint.after_request(conditional_answer)
