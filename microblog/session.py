"""Who is logged in: Flask-Login wiring, the login redirect, and "last seen"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, g, redirect, request, url_for
from flask import session as flask_session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user

from microblog import htmx
from microblog.extensions import login
from microblog.models import User
from microblog.services import accounts, sessions

View = TypeVar("View", bound=Callable)


def quiet(view: View) -> View:
    """Declare a view that must not write "last seen": it is polled, or not a visit (API)."""
    view.quiet = True  # type: ignore[attr-defined]
    return view


@login.user_loader
def load_user(token: str) -> User | None:
    """The user of the signed-in session a cookie (session or remember-me) names, if that
    session still exists: signing out, a new password or the sessions page end it."""
    found = sessions.load(token)
    if found is None:
        return None
    user, g.session_id, g.session_used = found
    return user


def sign_in(user: User, *, remember: bool = False) -> None:
    """Start a new signed-in session for `user` in this browser (a record and its cookies)."""
    flask_session.clear()  # nothing of an earlier session carries over into this one
    idle = current_app.config.get("REMEMBER_COOKIE_DURATION", timedelta(days=365))
    sessions.start(user, request.user_agent.string, idle_days=max(1, idle.days))
    login_user(user, remember=remember)


def current_session_id() -> int | None:
    """The id of this request's signed-in session (loaded with the user)."""
    return g.get("session_id") if current_user.is_authenticated else None


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
    flash(login.login_message, login.login_message_category)  # shown on the login page
    if htmx.is_htmx():
        return htmx.hx_redirect(target)
    return redirect(target)


def _path_of(url: str | None) -> str | None:
    """The path and query of a URL of this site (the host is dropped); None for a URL
    that does not parse (a Referer or HX-Current-URL such as `http://[::1`)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _has_control_character(text: str) -> bool:
    return any(ord(char) < 0x20 or char == "\x7f" for char in text)


def local_path(url: str | None) -> str | None:
    """`url` if it is a path on this site, else None: redirects never leave the site.

    Control characters are refused first: `urlsplit` silently drops TAB, CR and LF, so
    it would judge a cleaned URL while the raw one is returned, and a CR or LF in the
    Location header is a 500.
    """
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    if _has_control_character(url):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    return url.rstrip("?") or "/"


def record_last_seen() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.endpoint == "static" or getattr(view, "quiet", False):
        return
    if not current_user.is_authenticated:
        return
    interval = current_app.config["LAST_SEEN_INTERVAL_SECONDS"]
    accounts.touch_last_seen(current_user, interval)
    sessions.touch(g.session_id, g.session_used, interval)


def init_app(app: Flask) -> None:
    if app.config.get("SECURE_COOKIES"):
        # One switch for both cookies: a remember-me cookie sent over plain HTTP signs a
        # thief in as surely as a session cookie does.
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    login.login_view = "auth.login"
    login.login_message = _l("Please log in to access this page.")
    login.login_message_category = "info"
    app.before_request(record_last_seen)
