"""Errors in three shapes: a friendly page, an htmx fragment for the flash area, API JSON."""

from __future__ import annotations

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
from flask_babel import _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadHost, HTTPException, InternalServerError

from microblog import htmx
from microblog.extensions import db

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
    """A small alert, retargeted into the flash area whatever the request's own target was."""
    response = htmx.fragment(
        "partials/flashes.html", status=status, messages=[("danger", message)], oob=False
    )
    response.headers["HX-Retarget"] = "#flashes"
    response.headers["HX-Reswap"] = "beforeend"
    return response


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
