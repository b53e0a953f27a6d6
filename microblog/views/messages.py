"""Private messages, the unread badge (polled by every open tab) and notifications JSON."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import _
from flask_login import current_user, login_required

from microblog import htmx
from microblog.extensions import limiter
from microblog.forms import MessageForm
from microblog.ratelimits import by_account, setting
from microblog.services import accounts, messages
from microblog.services import notifications as notes
from microblog.session import quiet
from microblog.views import errors

bp = Blueprint("messages", __name__)

MESSAGES_CHANGED = "messages-changed"


@bp.app_template_global()  # a global, not a context processor run for every template
def unread_badge() -> dict:
    """The badge partial's arguments for the current user (the navbar calls this)."""
    if not current_user.is_authenticated:
        return {"live": False, "count": 0, "since": 0.0}
    count, since = messages.badge(current_user.id)
    return {"live": True, "count": count, "since": since}


@bp.route("/send_message/<recipient>", methods=["GET", "POST"])
@login_required
@limiter.limit(setting("RATELIMIT_MESSAGE"), key_func=by_account, methods=["POST"])
def send(recipient: str) -> Response:
    user = accounts.by_username(recipient) or abort(404)
    if user.id == current_user.id:
        return errors.refuse(
            _("You cannot send a private message to yourself."),
            400,
            url_for("users.user", username=user.username),
        )
    form = MessageForm()
    if form.validate_on_submit():
        # A form sent again gets the message its first sending stored (messages.send).
        messages.send(current_user, user, form.message.data, form.key)
        if htmx.is_partial():
            # The sender's own badge re-checks at once (a 204 when nothing changed).
            response = htmx.fragment("partials/message_sent.html", recipient=user)
            return htmx.trigger(response, MESSAGES_CHANGED)
        flash(_("Your message to %(username)s has been sent.", username=user.username), "success")
        return redirect(url_for("users.user", username=user.username), 303)
    return htmx.render(
        "send_message.html",
        "partials/message_form.html",
        status=422 if form.errors else 200,
        form=form,
        recipient=user,
    )


@bp.get("/messages")
@login_required
def index() -> Response:
    """Received messages, newest first; visiting marks them all read (badge out of band)."""
    read_before = messages.mark_read(current_user)
    page = messages.received(current_user, request.args.get("page"))
    return htmx.render(
        "messages.html",
        "partials/messages_read.html",
        page=page,
        read_before=read_before,
        badge=unread_badge(),
    )


@bp.get("/notifications")
@quiet  # polled by API clients
@login_required
def notifications() -> Response:
    """The course's JSON contract for API clients: [{name, data, timestamp}], oldest first."""
    since = notes.parse_since(request.args.get("since"))
    rows = notes.since(current_user.id, since)
    response = jsonify(
        [{"name": n.name, "data": n.get_data(), "timestamp": n.timestamp} for n in rows]
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/notifications/badge")
@quiet  # every open tab polls it every 10 s
@limiter.exempt  # polled: never throttled, whatever default limits are configured
def badge() -> Response:
    """The hottest request: after the user load, one indexed lookup, no write, 204 if
    unchanged. Not `login_required`: logged out (or expired), it answers a terminal badge
    without hx-trigger, so polling stops, instead of a redirect."""
    if not htmx.is_htmx():
        return redirect(url_for("messages.index"))
    state = unread_badge()
    if state["live"] and "since" in request.args:
        if notes.parse_since(request.args["since"]) == state["since"]:
            return htmx.vary(make_response("", 204))
    return htmx.vary(make_response(render_template("partials/unread_badge.html", **state)))
