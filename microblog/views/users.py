"""Profiles, the hover card, editing a profile, following."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from microblog import htmx
from microblog.forms import EditProfileForm, EmptyForm
from microblog.models import User
from microblog.services import accounts, avatars, feed, follows
from microblog.views import errors

bp = Blueprint("users", __name__)

# The profile form's requests may be this many times AVATAR_MAX_BYTES: a picture well over
# its limit is then refused next to its field, keeping what else was typed; a bigger
# request is a 413 (`too_large`).
UPLOAD_ROOM = 4


@bp.url_value_preprocessor
def _room_for_a_picture(endpoint: str | None, values: dict | None) -> None:
    """Raise the body's limit for the profile form, which carries a picture. Here because
    URL value preprocessors run before every before_request hook, and CSRF's (app-wide)
    reads the body."""
    if endpoint == "users.edit_profile":
        request.max_content_length = UPLOAD_ROOM * current_app.config["AVATAR_MAX_BYTES"]


def _user_or_404(username: str) -> User:
    return accounts.by_username(username) or abort(404)


def _profile_or_404(username: str) -> tuple[follows.Person, follows.Social]:
    return follows.profile(current_user, username) or abort(404)


def _social(user: User | follows.Person, graph: follows.Social | None = None) -> dict:
    """What the follow button and the counts need to know about `user`."""
    if graph is None:
        graph = follows.social(current_user, user)
    return {
        "user": user,
        "following": graph.following,
        "followers_count": graph.followers_count,
        "following_count": graph.following_count,
        "form": EmptyForm(),
    }


@bp.get("/user/<username>")
@login_required
def user(username: str) -> Response:
    profile, graph = _profile_or_404(username)
    page = feed.profile(current_user, profile.id, request.args.get("page"))
    context = _social(profile, graph)
    return htmx.render("user.html", "partials/post_page.html", page=page, **context)


@bp.get("/user/<username>/popup")
@login_required
def popup(username: str) -> Response:
    return htmx.fragment("partials/user_popup.html", **_social(*_profile_or_404(username)))


@bp.route("/edit_profile", methods=["GET", "POST"])
@login_required
def edit_profile() -> Response:
    obj = current_user if request.method == "GET" else None
    form = EditProfileForm(current_user.id, obj=obj, timezone=current_user.timezone)
    if form.validate_on_submit():
        data = form.data
        accounts.update_profile(current_user, data["username"], data["about_me"], data["timezone"])
        if form.pictures:
            avatars.replace(current_user, form.pictures)
        elif data["remove_avatar"]:
            avatars.remove(current_user)
        flash(_("Your changes have been saved."), "success")
        return redirect(url_for("users.edit_profile"), 303)
    status = 422 if form.errors else 200
    return htmx.render("edit_profile.html", "partials/profile_form.html", status=status, form=form)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Response:
    """Only the profile form takes files: a request too big to read is a picture far over
    its limit, so say what the limit is, where the user acted."""
    limit = avatars.size_limit_text(current_app.config["AVATAR_MAX_BYTES"])
    message = _("This picture is too large: at most %(size)s.", size=limit)
    return errors.refuse(message, 413, url_for("users.edit_profile"))


@bp.post("/follow/<username>")
@login_required
def follow(username: str) -> Response:
    return _change_follow(username, follows.follow, _("You are following %(username)s!"))


@bp.post("/unfollow/<username>")
@login_required
def unfollow(username: str) -> Response:
    return _change_follow(username, follows.unfollow, _("You are not following %(username)s."))


def _change_follow(username: str, command, message: str) -> Response:  # noqa: ANN001
    """Shared by follow and unfollow: the toggled button + counts, or back to the profile."""
    other = _user_or_404(username)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if other.id == current_user.id:
        return errors.refuse(
            _("You cannot follow yourself!"), 400, url_for("users.user", username=username)
        )
    command(current_user, other)
    if htmx.is_partial():
        return htmx.fragment("partials/follow_update.html", **_social(other))
    flash(message % {"username": other.username}, "success")
    return redirect(url_for("users.user", username=other.username), 303)
