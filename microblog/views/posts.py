"""Home (post form + timeline), explore, and the author's edits and deletions of a post."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
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
from microblog.forms import EmptyForm, PostEditForm, PostForm, detection_hint, text_budget
from microblog.inputs import row_id
from microblog.models import Post
from microblog.ratelimits import by_account, setting
from microblog.services import feed, languages, posts
from microblog.session import local_path

bp = Blueprint("posts", __name__)
# The composer's budget (partials/post_budget.html), counted as PostForm counts.
bp.add_app_template_global(text_budget)


@bp.route("/", methods=["GET", "POST"])
@bp.route("/index", methods=["GET", "POST"])
@login_required
# One budget for new posts however they come: this form, replies, the API (scope "post").
@limiter.shared_limit(setting("RATELIMIT_POST"), "post", key_func=by_account, methods=["POST"])
def index() -> Response:
    form = PostForm()
    if form.validate_on_submit():
        # A form sent again gets the post its first sending stored (posts.create).
        post = posts.create(current_user, form.post.data, form.key, language=form.chosen_language)
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
    # `editing`: the box is that post's edit form, whose ids start with its prefix.
    editing = request.args.get("editing", type=row_id)
    prefix = f"edit-{editing}-" if editing is not None else ""
    text = request.form.get("post", "")
    html = render_template(
        "partials/post_budget.html", text=text, budget_id=prefix + "post-budget"
    )
    if "language" in request.form:  # the form's language select: what detection makes of it
        html += render_template(
            "partials/post_detected.html",
            hint_id=prefix + "language-help",
            hint=detection_hint(text),
        )
    return htmx.vary(make_response(html))


@bp.get("/explore")
@login_required
def explore() -> Response:
    page = feed.explore(current_user, request.args.get("page"))
    return htmx.render("explore.html", "partials/post_page.html", page=page)


# Editing and deleting, the author only. With htmx the row's Edit swaps the row for its edit
# form and Save or Cancel swap the row back; Delete asks first (hx-confirm) and takes the row
# out. Without JavaScript they are pages (the form, a confirmation) that come back to `next`.


def _own_post(post_id: int) -> Post:
    post = posts.by_id(post_id) or abort(404)
    if post.user_id != current_user.id:
        abort(403, description=_("Only its author can change or delete a post."))
    return post


def _back(post_id: int, *, deleted: bool = False) -> str:
    """Where a form without JavaScript returns: `next` if it is a page of this site, else
    the author's profile; home after deleting the post from its own page, as with htmx."""
    back = local_path(request.args.get("next"))
    if back is None:
        return url_for("users.user", username=current_user.username)
    return url_for("posts.index") if deleted and _is_post_page(back, post_id) else back


def _is_post_page(url: str | None, post_id: int) -> bool:
    """Whether `url` is the post's own page (`/post/<id>`, views/threads.py)."""
    page = url_for("threads.post", post_id=post_id)
    return url is not None and urlsplit(url).path == page


def _row(post_id: int) -> Response:
    """The post's row as the reader sees it, its Edit link focused (after Save or Cancel)."""
    item = feed.one(current_user, post_id) or abort(404)
    return htmx.fragment("partials/post.html", post=item, focus_controls=True)


@bp.route("/post/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(setting("RATELIMIT_POST"), key_func=by_account, methods=["POST"])
def edit(post_id: int) -> Response:
    post = _own_post(post_id)
    language = post.language or languages.UNKNOWN
    form = PostEditForm(post.id, keep_language=post.language, post=post.body, language=language)
    if form.validate_on_submit():
        posts.edit(post, form.post.data, form.chosen_language)
        flash(_("Your changes have been saved."), "success")
        if htmx.is_partial():
            return _row(post.id)
        return redirect(_back(post.id), 303)
    status = 422 if form.errors else 200
    return htmx.render(
        "post_edit.html",
        "partials/post_edit_form.html",
        status=status,
        form=form,
        post=post,
        back=_back(post.id),
    )


@bp.get("/post/<int:post_id>/row")
@login_required
def row(post_id: int) -> Response:
    """The row again, when the author cancels an edit (htmx); else the post's own page."""
    if not htmx.is_partial():
        return redirect(url_for("threads.post", post_id=post_id))
    return _row(post_id)


@bp.route("/post/<int:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete(post_id: int) -> Response:
    """POST deletes (htmx has confirmed); GET is the confirmation page without JavaScript."""
    post = _own_post(post_id)
    form = EmptyForm()
    if request.method == "GET":
        page = render_template("post_delete.html", post=post, form=form, back=_back(post_id))
        return htmx.vary(make_response(page))
    if not form.validate_on_submit():
        abort(400)
    posts.delete_post(post)
    flash(_("Post deleted."), "success")
    if not htmx.is_partial():
        return redirect(_back(post_id, deleted=True), 303)
    if _is_post_page(htmx.current_url(), post_id):  # its page is gone: home
        return htmx.hx_redirect(url_for("posts.index"))
    return htmx.fragment("partials/post_deleted.html", post_id=post_id)
