"""Who is logged in: Flask-Login wiring, the login redirect, and "last seen"."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, redirect, request, url_for
from flask import session as flask_session
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from microblog import htmx
from microblog.extensions import login
from microblog.models import User
from microblog.models.user import user_id_of
from microblog.services import accounts, messages

# Endpoints that must not write "last seen" (polled, hot): views add themselves here.
QUIET_ENDPOINTS: set[str] = {"static"}


@login.user_loader
def load_user(stored: str) -> User | None:
    """The user a session (or remember-me cookie) names, if their password is unchanged."""
    number = user_id_of(stored)
    if number is None:
        return None
    user = messages.load_user(number)
    if user is None or user.get_id() != stored:
        return None
    return user


@login.unauthorized_handler
def unauthorized() -> Response:
    """htmx: 204 + HX-Redirect (a login page must not land inside a fragment).

    After logging in, the user comes back to the page they were on: the request's
    own URL for a page load, the page that sent it for htmx requests and POSTs
    (a POST URL, or a fragment URL, is not a page to land on).
    """
    if htmx.is_htmx() and htmx.current_url():
        back = _path_of(htmx.current_url())
    elif request.method == "GET":
        back = request.full_path
    else:
        back = _path_of(request.referrer)
    target = url_for("auth.login", next=local_path(back))
    if htmx.is_htmx():
        return htmx.hx_redirect(target)
    return redirect(target)


def _path_of(url: str | None) -> str | None:
    """The path and query of a URL of this site (the host is dropped)."""
    if not url:
        return None
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def local_path(url: str | None) -> str | None:
    """`url` if it is a path on this site, else None: redirects never leave the site."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    return url.rstrip("?") or "/"


def session_user_id() -> str | None:
    """The user this request's session cookie names (a `session_id`), without loading them.

    For hot read-only endpoints (the badge poll) that check the user themselves: that
    they exist and that `session_id` still matches their password.
    None when the session names no user, or when Flask-Login must decide (strong session
    protection, a remember-me cookie): the caller then asks `current_user`.
    """
    mode = current_app.config.get("SESSION_PROTECTION", login.session_protection)
    if mode == "strong":
        return None
    stored = flask_session.get("_user_id")
    return stored if user_id_of(stored) is not None else None


def record_last_seen() -> None:
    if request.endpoint in QUIET_ENDPOINTS or not current_user.is_authenticated:
        return
    accounts.touch_last_seen(current_user, current_app.config["LAST_SEEN_INTERVAL_SECONDS"])


def init_app(app: Flask) -> None:
    login.login_view = "auth.login"
    login.login_message = _l("Please log in to access this page.")
    login.login_message_category = "info"
    # Templates read `current_user` as a global proxy, not through Flask-Login's context
    # processor: that one loads the user for every template rendered, so the badge poll,
    # which checks the session itself, loaded the whole user just to draw the badge.
    app.jinja_env.globals["current_user"] = current_user
    app.before_request(record_last_seen)
