"""Errors in three shapes: a friendly page, an htmx fragment for the flash area, API JSON."""

from __future__ import annotations

import math
from datetime import timedelta
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_babel import _, format_timedelta
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadHost, HTTPException, InternalServerError, TooManyRequests

from microblog import htmx, ratelimits
from microblog.extensions import db
from microblog.services import accounts

bp = Blueprint("errors", __name__)


def _message(error: HTTPException) -> str:
    if isinstance(error, CSRFError):
        return _(
            "Your form expired or was sent without its security token. "
            "Reload the page and try again."
        )
    messages = {
        404: _("Sorry, that page does not exist."),
        405: _("That action is not allowed here."),
        413: _("That request is too large."),
        500: _("An unexpected error has occurred. The administrator has been notified."),
    }
    return messages.get(error.code or 500, error.description or _("Something went wrong."))


def refuse(message: str, status: int, back_to: str) -> Response:
    """Refuse an action with a visible message: in the flash area, or flashed on a redirect."""
    if htmx.is_htmx():
        return error_fragment(message, status)
    flash(message, "danger")
    return redirect(back_to, 303)


def error_fragment(message: str, status: int) -> Response:
    """A small alert, retargeted into the flash area whatever the request's own target was
    (replacing what it showed); a form that shows its errors itself says so with
    hx-status:4xx and 5xx, which htmx obeys before these headers."""
    response = htmx.fragment(
        "partials/flashes.html", status=status, messages=[("danger", message)], oob=False
    )
    response.headers["HX-Retarget"] = "#flashes"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


@bp.app_template_global()
def unreachable_url(kept: bool = False) -> str:
    """The message for a request that got no answer, as a data: URL for hx-get.

    With the network down htmx only fires htmx:error, and no request to the server can
    succeed; a data: URL (allowed by `connect-src` in security.py) is answered by the
    browser itself, so an element listening for htmx:error can still swap the message in.
    """
    html = render_template("partials/unreachable.html", kept=kept)
    return "data:text/html;charset=utf-8," + quote(html.strip(), safe="")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if isinstance(error, BadHost):
        # No URL can be built for a Host that does not parse: werkzeug's plain page.
        return error.get_response()
    if _wants_json():
        response = jsonify(error=error.name, message=error.description)
        response.status_code = status
    elif htmx.is_htmx():
        response = error_fragment(_message(error), status)
    else:
        template = "errors/404.html" if status == 404 else "errors/error.html"
        response = htmx.vary(
            make_response(
                render_template(template, status=status, message=_message(error)), status
            )
        )
    # Keep headers such as Allow (405) and WWW-Authenticate (401).
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


@bp.app_errorhandler(InternalServerError)
def internal_error(error: InternalServerError) -> Response:
    """Unhandled exceptions (already logged by Flask): roll back, then the friendly 500."""
    db.session.rollback()
    return http_error(error)


@bp.app_errorhandler(TooManyRequests)
def too_many_requests(error: TooManyRequests) -> Response:
    """A throttled request (a rate limit, or an account's sign-in delay), in the three shapes:
    when to try again, in words for people and in Retry-After for programs."""
    seconds = ratelimits.retry_after(error)
    message = _("Too many attempts. Try again in %(wait)s.", wait=_wait(seconds))
    return http_error(TooManyRequests(message, retry_after=seconds))


@bp.app_errorhandler(accounts.LoginDelayed)
def login_delayed(error: accounts.LoginDelayed) -> Response:
    return too_many_requests(TooManyRequests(retry_after=error.seconds))


def _wait(seconds: int) -> str:
    """A wait in words, "45 seconds" or "3 minutes": past a minute, rounded up to whole
    minutes, so it never says to come back too early."""
    if seconds > 60:
        seconds = math.ceil(seconds / 60) * 60
    return format_timedelta(timedelta(seconds=seconds))
