"""HTTP Basic (to get a token) and Bearer (everything else), never the session cookie."""

from __future__ import annotations

from flask import Response, current_app
from flask_babel import _
from flask_httpauth import HTTPBasicAuth, HTTPTokenAuth

from microblog.api.errors import error_response
from microblog.models import User
from microblog.services import accounts, tokens

basic_auth = HTTPBasicAuth()
token_auth = HTTPTokenAuth(scheme="Bearer")


def current_user() -> User:
    """The token's user, inside a view protected by `token_auth.login_required`."""
    return token_auth.current_user()


@basic_auth.verify_password
def verify_password(username: str, password: str) -> User | None:
    """The same check as the login form's, delays included (accounts.LoginDelayed: a 429)."""
    if not username or not password:  # no credentials sent: nothing to check
        return None
    return accounts.authenticate(username, password)


@basic_auth.error_handler
def basic_auth_error(status: int) -> Response:
    return error_response(status, _("A valid username and password are required."))


@token_auth.verify_token
def verify_token(token: str) -> User | None:
    user = tokens.check_token(token)
    if user is not None:
        accounts.touch_last_seen(user, current_app.config["LAST_SEEN_INTERVAL_SECONDS"])
    return user


@token_auth.error_handler
def token_auth_error(status: int) -> Response:
    return error_response(status, _("A valid, unexpired Bearer token is required."))
