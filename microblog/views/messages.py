"""Private messages read as conversations, the unread badge (polled by every open tab) and
notifications JSON."""

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
from microblog.inputs import row_id
from microblog.links import keeps_address
from microblog.models import Message, User
from microblog.ratelimits import by_account, setting
from microblog.services import accounts, conversations, messages
from microblog.services import notifications as notes
from microblog.services.pagination import position
from microblog.session import quiet
from microblog.views import errors

bp = Blueprint("messages", __name__)

MESSAGES_CHANGED = "messages-changed"


@bp.app_template_global()  # a global, not a context processor run for every template
def unread_badge() -> dict:
    """The badge partial's arguments for the current user (the navbar calls this): unread
    messages, unseen activity (the Activity count, refreshed by the same poll) and the
    version of both, from one lookup."""
    if not current_user.is_authenticated:
        return {"live": False, "count": 0, "since": 0.0, "activity": 0}
    badges = notes.badges(current_user.id)
    return {
        "live": True,
        "count": badges.messages,
        "since": badges.version,
        "activity": badges.activity,
    }


@bp.route("/send_message/<recipient>", methods=["GET", "POST"])
@login_required
@limiter.limit(setting("RATELIMIT_MESSAGE"), key_func=by_account, methods=["POST"])
def send(recipient: str) -> Response:
    """The course's form, and a conversation's reply form: that one carries `after` (the
    last message its page shows), and its answer is the conversation (`_replied`)."""
    user = accounts.by_username(recipient) or abort(404)
    if user.id == current_user.id:
        return errors.refuse(
            _("You cannot send a private message to yourself."),
            400,
            url_for("users.user", username=user.username),
        )
    form = MessageForm()
    reply = "after" in request.form
    after = request.form.get("after", type=row_id)
    if form.validate_on_submit():
        # A form sent again gets the message its first sending stored (messages.send).
        message = messages.send(current_user, user, form.message.data, form.key)
        if reply:
            return _replied(user, message, after)
        if htmx.is_partial():
            # The sender's own badge re-checks at once (a 204 when nothing changed).
            response = htmx.fragment("partials/message_sent.html", recipient=user)
            return htmx.trigger(response, MESSAGES_CHANGED)
        flash(_("Your message to %(username)s has been sent.", username=user.username), "success")
        return redirect(url_for("users.user", username=user.username), 303)
    status = 422 if form.errors else 200
    if reply and not htmx.is_partial():  # the errors next to the field, on its own page
        return _conversation_page(user, form=form, status=status)
    return htmx.render(
        "send_message.html",
        "partials/message_form.html",
        status=status,
        form=form,
        recipient=user,
        reply=reply,
        after=after,
    )


def _replied(other: User, message: Message, after: int | None) -> Response:
    """Without JavaScript, back to the conversation (303). With htmx, a fresh form, and at
    the end of the exchange the messages after the page's last one: the new one, and any
    that came meanwhile (read now, as they are shown)."""
    flash(_("Your message to %(username)s has been sent.", username=other.username), "success")
    if not htmx.is_partial():
        return redirect(url_for("messages.conversation", username=other.username), 303)
    read_before = messages.read_conversation(current_user, other)
    shown_up_to = message.id - 1 if after is None else after
    added = conversations.since(current_user, other, shown_up_to)
    response = htmx.fragment(
        "partials/message_reply.html",
        form=MessageForm(formdata=None),
        recipient=other,
        added=added,
        after=max([shown_up_to, *(item.id for item in added)]),
        emptied=after == 0,
        read_before=read_before,
    )
    return htmx.trigger(response, MESSAGES_CHANGED)


@bp.get("/messages")
@login_required
def index() -> Response:
    """Conversations, latest first. Visiting clears the badge (the course's rule: nothing
    here is new to the reader any more); each conversation stays marked unread until it is
    opened, since this page shows only its latest message."""
    messages.mark_read(current_user)
    page = conversations.inbox(current_user, request.args.get("page"))
    return htmx.render(
        "messages.html", "partials/messages_read.html", page=page, badge=unread_badge()
    )


@bp.get("/messages/<username>")
@login_required
@keeps_address  # older messages load in place: a reload shows the latest and the form
def conversation(username: str) -> Response:
    """The exchange with one user, both ways, oldest first (a page holds the latest
    messages; "older" swaps the ones before in above them), and the reply form."""
    other = accounts.by_username(username) or abort(404)
    if other.id == current_user.id:
        return errors.refuse(
            _("You cannot send a private message to yourself."), 400, url_for("messages.index")
        )
    return _conversation_page(other)


def _conversation_page(
    other: User, form: MessageForm | None = None, status: int = 200
) -> Response:
    """Page 1 (the latest messages) reads the conversation; older pages (by number or
    cursor) read nothing: a message that came since is not on them."""
    at = position(request.args.get("page"))
    if at.at_top and at.start is None:  # not a view: one may end before the latest
        read_before = messages.read_conversation(current_user, other)
    else:
        read_before = conversations.state(current_user.id, other.id)[1]
    page = conversations.exchange(current_user, other, at)
    return htmx.render(
        "conversation.html",
        "partials/conversation_read.html",
        status=status,
        page=page,
        other=other,
        read_before=read_before,
        form=form or MessageForm(formdata=None),
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
    """The hottest request: after the user load, one indexed lookup (both navbar counts),
    no write, 204 while neither count changed; else the badge, and the Activity count out
    of band. Not `login_required`: logged out (or expired), it answers a terminal badge
    without hx-trigger, so polling stops, instead of a redirect."""
    if not htmx.is_htmx():
        return redirect(url_for("messages.index"))
    state = unread_badge()
    if state["live"] and "since" in request.args:
        if notes.parse_since(request.args["since"]) == state["since"]:
            return htmx.vary(make_response("", 204))
    html = render_template("partials/unread_badge.html", with_activity=True, **state)
    return htmx.vary(make_response(html))
