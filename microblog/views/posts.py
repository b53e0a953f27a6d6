"""Home (post form + timeline) and explore."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import _
from flask_login import current_user, login_required

from microblog import htmx
from microblog.extensions import limiter
from microblog.forms import PostForm
from microblog.ratelimits import by_account, setting
from microblog.services import feed, posts

bp = Blueprint("posts", __name__)


@bp.route("/", methods=["GET", "POST"])
@bp.route("/index", methods=["GET", "POST"])
@login_required
@limiter.limit(setting("RATELIMIT_POST"), key_func=by_account, methods=["POST"])
def index() -> Response:
    form = PostForm()
    if form.validate_on_submit():
        # A form sent again gets the post its first sending stored (posts.create).
        post = posts.create(current_user, form.post.data, form.key)
        flash(_("Your post is now live!"), "success")
        if htmx.is_partial():
            return htmx.fragment(
                "partials/post_created.html", form=PostForm(formdata=None), post=post
            )
        return redirect(url_for("posts.index"), 303)
    status = 422 if form.errors else 200
    if form.errors and htmx.is_partial():
        return htmx.fragment("partials/post_form.html", form=form, status=status)
    page = feed.home(current_user, request.args.get("page"))
    return htmx.render(
        "index.html", "partials/post_page.html", status=status, form=form, page=page
    )


@bp.get("/explore")
@login_required
def explore() -> Response:
    page = feed.explore(request.args.get("page"))
    return htmx.render("explore.html", "partials/post_page.html", page=page)
