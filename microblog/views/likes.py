"""Likes: the toggle under every post, with its count.

With htmx the answer is the toggled button, morphed into the form that sent it (the focus
stays on the button). Without JavaScript the form posts, and the answer is a 303 back to
the page the reader was on, at the post's row.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_login import current_user, login_required

from microblog import htmx
from microblog.forms import EmptyForm
from microblog.models import Post, User
from microblog.services import likes, posts
from microblog.session import local_path

bp = Blueprint("likes", __name__)


@bp.post("/post/<int:post_id>/like")
@login_required
def like(post_id: int) -> Response:
    return _change(post_id, likes.like)


@bp.post("/post/<int:post_id>/unlike")
@login_required
def unlike(post_id: int) -> Response:
    return _change(post_id, likes.unlike)


def _change(post_id: int, command: Callable[[User, Post], likes.LikeState]) -> Response:
    """Shared by like and unlike: the toggled button, or back to the reader's page."""
    post = posts.by_id(post_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        state = command(current_user, post)
    except likes.PostGone:
        abort(404)
    if htmx.is_partial():
        return htmx.fragment("partials/like_button.html", post=state)
    back = local_path(request.form.get("next"))
    if back is None:
        back = url_for("users.user", username=post.author.username)
    if "#" not in back:
        back += f"#post-{post.id}"  # the reader lands where they were, at the post's row
    return redirect(back, 303)
