"""The REST API under /api: token authentication, JSON in and out, described by OpenAPI.

It is not CSRF-protected: a Bearer token is not sent by browsers on their own, unlike the
session cookie, which the API never reads.
"""

from flask import Blueprint

from microblog.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

from microblog.api import errors, openapi, posts, tokens, users  # noqa: E402, F401  (routes)
