"""/activity: what others did that concerns the reader, newest first; visiting marks it seen."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_login import current_user, login_required

from microblog import htmx
from microblog.services import activity
from microblog.views.messages import unread_badge

bp = Blueprint("activity", __name__)


@bp.get("/activity")
@login_required
def index() -> Response:
    """Follows, likes, replies and mentions, grouped; what came since the last visit is
    marked new. Visiting clears the navbar's count: a page draws it at 0, and a fragment
    (the "older" link) clears it out of band."""
    seen_before = activity.mark_seen(current_user)
    page = activity.page(current_user, request.args.get("page"))
    return htmx.render(
        "activity.html",
        "partials/activity_read.html",
        page=page,
        seen_before=seen_before,
        badge=unread_badge(),
    )
