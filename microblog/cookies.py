"""Flask's signed-cookie session, checking each distinct cookie's signature once.

Every request of a logged-in user carries the same session cookie until the session
changes, and Flask verifies its signature anew each time: it builds a serializer,
derives the key and computes the HMAC (about a quarter of the badge poll's time).
`VerifiedCookieSessions` is Flask's `SecureCookieSessionInterface` with the same
cookie format, salt, keys and expiry, which remembers the cookies whose signature it
has verified, with the time they were signed. A remembered cookie is only decoded
again (base64 and tagged JSON), so each request still gets its own session object,
and its age is still checked against `PERMANENT_SESSION_LIFETIME`. A cookie is
remembered under the signing keys that verified it, so a new `SECRET_KEY` verifies
everything afresh. Cookies that fail verification are never remembered.

`SESSION_CACHE_SIZE` bounds the cookies remembered per process (0: verify each time);
the dictionary is emptied when it is full.
"""

from __future__ import annotations

import time

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from microblog.caches import BoundedCache


class VerifiedCookieSessions(SecureCookieSessionInterface):
    def __init__(self, size: int) -> None:
        self.verified: BoundedCache[tuple, int] = BoundedCache(size)
        self.serializers: dict[tuple, URLSafeTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask's serializer, built once per set of keys instead of once per request."""
        keys = _keys(app)
        serializer = self.serializers.get(keys)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                self.serializers = {keys: serializer}
        return serializer

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None or not self.verified.size:
            return super().open_session(app, request)
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (_keys(app), cookie)
        signed_at = self.verified.get(key)
        try:
            if signed_at is None:
                signer = serializer.make_signer(self.salt)
                _, signed_at = signer.unsign(cookie, max_age=max_age, return_timestamp=True)
                signed_at = int(signed_at.timestamp())
                self.verified.put(key, signed_at)
            elif time.time() - signed_at > max_age:
                return self.session_class()
            payload = cookie.rsplit(".", 2)[0]
            return self.session_class(serializer.load_payload(payload.encode("utf-8")))
        except BadSignature:
            return self.session_class()


def _keys(app: Flask) -> tuple:
    return (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)


def init_app(app: Flask) -> None:
    app.session_interface = VerifiedCookieSessions(
        0 if app.debug else app.config["SESSION_CACHE_SIZE"]
    )
