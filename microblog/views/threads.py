"""A post's page: the post it replies to, the post, its replies oldest first, a reply form.

With htmx a sent reply is added at the end of the replies and the form comes back empty,
unless replies the reader has not loaded lie between ("More replies" would show it again):
then, as without JavaScript, the answer takes them to the new reply on its page.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import _
from flask_login import current_user, login_required

from microblog import htmx, links
from microblog.extensions import limiter
from microblog.forms import PostForm
from microblog.models import Post
from microblog.ratelimits import by_account, setting
from microblog.services import feed, posts, threads
from microblog.services.pagination import view_token

bp = Blueprint("threads", __name__)


def reply_form(**kwargs: object) -> PostForm:
    """The post form, labelled for a reply."""
    form = PostForm(**kwargs)
    form.post.label.text = _("Your reply")
    return form


@bp.route("/post/<int:post_id>", methods=["GET", "POST"])
@login_required
# One budget for new posts however they come: this form, replies, the API (scope "post").
@limiter.shared_limit(setting("RATELIMIT_POST"), "post", key_func=by_account, methods=["POST"])
def post(post_id: int) -> Response:
    form = reply_form()
    if request.method == "POST":
        parent = posts.by_id(post_id) or abort(404)
        if form.validate_on_submit():
            return _reply(parent, form)
        if htmx.is_partial():
            return htmx.fragment(
                "partials/thread_reply_form.html", status=422, form=form, post_id=post_id
            )
    item, parent_item = threads.head(current_user, post_id)
    if item is None:
        abort(404)
    page = threads.replies(current_user, post_id, request.args.get("page"))
    return htmx.render(
        "thread.html",
        "partials/thread_replies.html",
        status=422 if form.errors else 200,
        form=form,
        post=item,
        parent=parent_item,
        page=page,
    )


def _reply(parent: Post, form: PostForm) -> Response:
    # A form sent again gets the reply its first sending stored (posts.create); the
    # language is the one chosen, or detected.
    reply = posts.create(
        current_user, form.post.data, form.key, reply_to=parent, language=form.chosen_language
    )
    flash(_("Your reply is now live!"), "success")
    place = None
    if htmx.is_partial():
        place = threads.placement(current_user, reply, links.current_page(same_args=True))
    if place is not None and place.at_end:
        response = htmx.fragment(
            "partials/thread_reply_created.html",
            form=reply_form(formdata=None),
            post=feed.one(current_user, reply.id),
            parent=parent,
        )
        # The address bar names the replies shown, this one included (links.py).
        if place.view:
            htmx.replace_url(response, links.page_url(view_token(*place.view)))
        return response
    # Without JavaScript, or when the replies shown stop short of the end: the reply on
    # its page of the thread.
    page = threads.page_of(reply)
    target = url_for(
        "threads.post",
        post_id=parent.id,
        page=page if page > 1 else None,
        _anchor=f"post-{reply.id}",
    )
    return htmx.hx_redirect(target) if htmx.is_partial() else redirect(target, 303)
