"""Response headers that every page carries (a strict Content-Security-Policy and
friends), and CSRF tokens signed once per session and process."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request, session

from microblog.caches import BoundedCache
from microblog.session import QUIET_ENDPOINTS

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https://www.gravatar.com",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


def add_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


class SignedCsrfTokens:
    """The signed CSRF token made for a session's raw token, reused by its next pages.

    Flask-WTF signs the session's raw token anew on every request that renders one
    (every logged-in page: the htmx header, the logout form): ~30 µs of HMAC and
    serializer work. With `WTF_CSRF_TIME_LIMIT = None` (our config) a signed token never
    expires, so any token signed for that raw token and key is as valid as a fresh one:
    before a request, the token this process signed for it is put where Flask-WTF looks
    first (`g.csrf_token`); after it, a newly signed one is remembered. With a time
    limit nothing is reused (an old signature would expire sooner). `size` bounds the
    tokens remembered; the dictionary is emptied when full.
    """

    def __init__(self, size: int) -> None:
        self.signed: BoundedCache[tuple, str] = BoundedCache(size)

    def _key(self) -> tuple | None:
        """What Flask-WTF signs: the field's raw token in the session, with its key."""
        config = current_app.config
        if config["WTF_CSRF_TIME_LIMIT"] is not None:
            return None
        name = config["WTF_CSRF_FIELD_NAME"]
        raw = session.get(name)
        if not isinstance(raw, str):
            return None
        return (name, raw, config.get("WTF_CSRF_SECRET_KEY", current_app.secret_key))

    def reuse(self) -> None:
        if request.endpoint in QUIET_ENDPOINTS:  # polled (the badge), never show a token
            return
        key = self._key()
        token = self.signed.get(key) if key is not None else None
        if token is not None and key[0] not in g:
            setattr(g, key[0], token)

    def remember(self, response: Response) -> Response:
        if request.endpoint in QUIET_ENDPOINTS:
            return response
        key = self._key()
        token = g.get(key[0]) if key is not None else None
        if token is not None and key not in self.signed:
            self.signed.put(key, token)
        return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
    tokens = app.extensions["csrf_tokens"] = SignedCsrfTokens(
        0 if app.debug else app.config["SESSION_CACHE_SIZE"]
    )
    if tokens.signed.size:
        app.before_request(tokens.reuse)
        app.after_request(tokens.remember)
