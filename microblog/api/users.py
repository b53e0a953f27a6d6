"""Users: read one or a page (all, followers, following), register, edit your own account."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Response, abort, jsonify, request, url_for
from flask_babel import _
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from microblog.api import bp, schemas
from microblog.api.auth import current_user, token_auth
from microblog.extensions import db, limiter
from microblog.models import User
from microblog.ratelimits import setting
from microblog.services import accounts, follows
from microblog.services.counts import user_counts
from microblog.services.pagination import paginate
from microblog.session import quiet

ID_MAX = 2**31 - 1  # user.id is a 32-bit INTEGER: a larger id exists nowhere


def _user_or_404(id: int) -> User:
    user = db.session.get(User, id) if id <= ID_MAX else None
    return user or abort(404, description=_("No user with id %(id)d.", id=id))


def _one(user: User, me: User | None) -> dict[str, Any]:
    return schemas.user_dict(user, user_counts([user.id])[user.id], me)


def _page(query: Select, endpoint: str, **url_args: Any) -> dict[str, Any]:
    page = paginate(
        query,
        request.args.get("page"),
        schemas.per_page(request.args.get("per_page")),
        count=True,
    )
    counts = user_counts(user.id for user in page.items)
    return schemas.collection(page, counts, current_user(), endpoint, **url_args)


def _body(fields: dict[str, schemas.Text]) -> dict[str, str | None]:
    """The JSON body checked against `fields`; anything malformed is a 400, never a 500."""
    try:
        return schemas.load(fields, request.get_json(force=True, silent=True))
    except schemas.ValidationError as error:
        abort(400, description=str(error))


@contextmanager
def _unique_or_400() -> Iterator[None]:
    """Two requests racing for one username or email: the loser gets a 400, not a 500."""
    try:
        yield
    except IntegrityError:
        db.session.rollback()
        abort(400, description=_("Please use a different username or email address."))


@bp.get("/users/<int:id>")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def get_user(id: int) -> dict[str, Any]:
    return _one(_user_or_404(id), current_user())


@bp.get("/users")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def get_users() -> dict[str, Any]:
    return _page(select(User).order_by(User.id), "api.get_users")


@bp.get("/users/<int:id>/followers")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def get_followers(id: int) -> dict[str, Any]:
    return _page(follows.followers_query(_user_or_404(id)), "api.get_followers", id=id)


@bp.get("/users/<int:id>/following")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def get_following(id: int) -> dict[str, Any]:
    return _page(follows.following_query(_user_or_404(id)), "api.get_following", id=id)


@bp.post("/users")
@quiet  # an API call is not a visit: no "last seen"
@limiter.shared_limit(setting("RATELIMIT_REGISTER"), "register")  # with /auth/register
def create_user() -> Response:
    data = _body(schemas.NEW_USER)
    if accounts.username_taken(data["username"]):
        abort(400, description=_("Please use a different username."))
    if accounts.email_taken(data["email"]):
        abort(400, description=_("Please use a different email address."))
    with _unique_or_400():
        user = accounts.register(data["username"], data["email"], data["password"])
    if data.get("about_me"):
        accounts.update_profile(user, user.username, data["about_me"])
    response = jsonify(_one(user, user))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_user", id=user.id)
    return response


@bp.put("/users/<int:id>")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def update_user(id: int) -> dict[str, Any]:
    user = current_user()
    if id != user.id:
        abort(403, description=_("You can only edit your own account."))
    data = _body(schemas.USER_UPDATE)
    username = data.get("username", user.username)
    if username != user.username and accounts.username_taken(username, except_id=user.id):
        abort(400, description=_("Please use a different username."))
    email = data.get("email", user.email)
    if email.lower() != user.email.lower() and accounts.email_taken(email):
        abort(400, description=_("Please use a different email address."))
    user.email = email  # committed by update_profile, with the rest, in one transaction
    with _unique_or_400():
        accounts.update_profile(user, username, data.get("about_me", user.about_me) or "")
    return _one(user, user)
