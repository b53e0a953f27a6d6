"""Home (post form + timeline) and explore."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
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
from microblog.forms import PostForm, text_budget
from microblog.ratelimits import by_account, setting
from microblog.services import feed, posts

bp = Blueprint("posts", __name__)
# The composer's budget (partials/post_budget.html), counted as PostForm counts.
bp.add_app_template_global(text_budget)


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
            item = feed.one(current_user, post.id)
            return htmx.fragment(
                "partials/post_created.html", form=PostForm(formdata=None), post=item
            )
        return redirect(url_for("posts.index"), 303)
    status = 422 if form.errors else 200
    if form.errors and htmx.is_partial():
        return htmx.fragment("partials/post_form.html", form=form, status=status)
    page = feed.home(current_user, request.args.get("page"))
    return htmx.render(
        "index.html", "partials/post_page.html", status=status, form=form, page=page
    )


@bp.post("/post/check")
@login_required
def check() -> Response:
    """The composer's character budget, counted by the server as the author types (htmx
    sends the box 300 ms after the last key). Reads and writes nothing, so no rate limit:
    a fast typist sends a few of these a second at most."""
    # Rendered alone: pending flashed messages wait for the page or fragment they belong to.
    html = render_template("partials/post_budget.html", text=request.form.get("post", ""))
    return htmx.vary(make_response(html))


@bp.get("/explore")
@login_required
def explore() -> Response:
    page = feed.explore(current_user, request.args.get("page"))
    return htmx.render("explore.html", "partials/post_page.html", page=page)
