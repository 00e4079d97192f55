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


def conditional_answer(response: Response) -> Response:
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.direct_passthrough or response.is_streamed or response.mimetype != "application/json":
        return response
    if "Cache-Control" not in response.headers:
        if request.headers.get("Authorization") or response.headers.get("Set-Cookie"):
            response.headers["Cache-Control"] = "private, no-cache"
        else:
            max_age = int(current_app.config.get("API_PUBLIC_MAX_AGE", 30))
            response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.vary.add("Accept-Language")
    response.vary.add("Authorization")
    if "ETag" not in response.headers:
        response.add_etag()
    return response.make_conditional(request)


def register(app: Flask, blueprint) -> None:
    blueprint.after_request(conditional_answer)
