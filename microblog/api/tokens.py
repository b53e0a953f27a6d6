"""POST /api/tokens (Basic auth) hands out a token; DELETE /api/tokens revokes it."""

from __future__ import annotations

from flask import current_app

from microblog.api import bp
from microblog.api.auth import basic_auth, current_user, token_auth
from microblog.extensions import limiter
from microblog.ratelimits import setting
from microblog.services import tokens
from microblog.session import quiet


@bp.post("/tokens")
@quiet  # an API call is not a visit: no "last seen"
@limiter.limit(setting("RATELIMIT_API_TOKENS"))  # counted before the password is checked
@basic_auth.login_required
def get_token() -> dict:
    user = basic_auth.current_user()
    return {"token": tokens.get_token(user, current_app.config["SECRET_KEY"])}


@bp.delete("/tokens")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def revoke_token() -> tuple[str, int]:
    tokens.revoke(current_user())
    return "", 204
