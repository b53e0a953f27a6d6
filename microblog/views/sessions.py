"""The reader's signed-in sessions (/auth/sessions): see them, end any, or all but this one."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask_babel import _, ngettext
from flask_login import current_user, login_required

from microblog import htmx
from microblog.forms import EmptyForm
from microblog.services import sessions
from microblog.session import current_session_id

bp = Blueprint("sessions", __name__, url_prefix="/auth/sessions")


@bp.get("")
@login_required
def index() -> Response:
    return htmx.render(
        "auth/sessions.html",
        "partials/session_list.html",
        sessions=sessions.of(current_user),
        current_id=current_session_id(),
        form=EmptyForm(),
    )


@bp.post("/<int:session_id>/end")
@login_required
def end(session_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    if session_id == current_session_id():
        abort(400)  # this device signs out with Logout
    if not sessions.end(current_user, session_id):
        abort(404)
    flash(_("That session has been signed out."), "success")
    return redirect(url_for("sessions.index"), 303)


@bp.post("/end-others")
@login_required
def end_others() -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = sessions.end_all(current_user, keep=current_session_id())
    message = ngettext(
        "Signed out of %(num)d other session.", "Signed out of %(num)d other sessions.", count
    )
    flash(message, "success")
    return redirect(url_for("sessions.index"), 303)
