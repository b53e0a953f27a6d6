"""Response headers that every page carries: a strict Content-Security-Policy and friends.

Images come from this site only (avatars too: views/avatars.py), and `data:` for the small
SVGs inside Bootstrap's stylesheet (form controls); Gravatar's host only when the site opts
in to it (AVATAR_GRAVATAR).
"""

from __future__ import annotations

from flask import Flask, Response, current_app

GRAVATAR = "https://www.gravatar.com"


def content_security_policy(gravatar: bool = False) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:" + (f" {GRAVATAR}" if gravatar else ""),
            # data: is answered by the browser itself, with no network: the "could not
            # reach Microblog" message is swapped in from one (views/errors.py).
            "connect-src 'self' data:",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


def add_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", current_app.extensions["csp"])
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    app.extensions["csp"] = content_security_policy(app.config.get("AVATAR_GRAVATAR", False))
    app.after_request(add_headers)
