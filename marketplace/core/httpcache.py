"""Conditional answers for the public HTML pages.

A page asked for without a session cookie, whose answer starts no session (no
form token, no message to show next), is the same for every visitor who asks
for that address: it says so (`Cache-Control: public, max-age=PAGE_PUBLIC_MAX_AGE`)
so the reverse proxy may serve repeat views without the app, and carries an ETag
(a digest of its body) so a client or the proxy revalidates it with a 304 and no
body. A visitor with a session (logged in, a language chosen, a form started)
gets `private, no-cache`, or the `no-store` of a logged-in page. The language of
a web page comes from the session or `?lang=`, both in the key, so `Vary: Cookie`
is the whole of what varies.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request, session


def _has_session() -> bool:
    if request.cookies.get(current_app.config.get("SESSION_COOKIE_NAME", "session")):
        return True
    # Written after the hooks run: a session this answer starts (a form's token, a
    # flashed message) makes the answer this visitor's own.
    return bool(session) or session.modified


def conditional(
    response: Response, *, mimetype: str, public: bool, max_age: int, vary: tuple[str, ...]
) -> Response:
    """A successful GET's answer with its caching said: `public, max-age` when it is
    the same for everyone who asks (`public`), `private, no-cache` otherwise, unless the
    view said already; the headers it varies by; an ETag, and 304 to a request that
    has it (`If-None-Match`). The JSON API's reads use it too (api/caching.py)."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if response.direct_passthrough or response.is_streamed or response.mimetype != mimetype:
        return response
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = f"public, max-age={max_age}" if public else "private, no-cache"
    for header in vary:
        response.vary.add(header)
    if "ETag" not in response.headers:
        response.add_etag()
    return response.make_conditional(request)


def conditional_page(response: Response) -> Response:
    if request.blueprint and request.blueprint.startswith("api"):
        return response
    if request.method not in ("GET", "HEAD") or response.mimetype != "text/html":
        return response
    return conditional(
        response,
        mimetype="text/html",
        public=not (_has_session() or request.headers.get("Authorization")),
        max_age=int(current_app.config.get("PAGE_PUBLIC_MAX_AGE", 30)),
        vary=("Cookie",),
    )


def register(app: Flask) -> None:
    app.after_request(conditional_page)
