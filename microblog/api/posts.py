"""Posts: read one, a user's or your home timeline; write, edit and delete your own; like.

Every post is read as its list row (`listing.Item`, services/feed.py): one statement a
page, whatever its length, with the token's user's likes in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask import Response, abort, jsonify, request, url_for
from flask_babel import _
from sqlalchemy import func, or_, select

from microblog.api import bp, schemas
from microblog.api.auth import current_user, token_auth
from microblog.extensions import db, limiter
from microblog.models import Post, User, followers
from microblog.ratelimits import setting
from microblog.services import feed, likes, posts
from microblog.services.listing import Item, Listing
from microblog.session import quiet


def _by_token_account() -> str:
    """The rate limits' key: the token's account, as `ratelimits.by_account` keys the web's."""
    return f"user:{current_user().id}"


def _post_or_404(id: int) -> Post:
    return posts.by_id(id) or abort(404, description=_("No post with id %(id)d.", id=id))


def _item_or_404(id: int) -> Item:
    item = feed.one(current_user(), id)
    return item or abort(404, description=_("No post with id %(id)d.", id=id))


def _own_or_403(id: int, message: Callable[[], str]) -> Post:
    post = _post_or_404(id)
    if post.user_id != current_user().id:
        abort(403, description=message())
    return post


def _input(*, reply: bool = False) -> schemas.PostInput:
    """The JSON body checked; anything malformed is a 400, never a 500."""
    try:
        return schemas.load_post(request.get_json(force=True, silent=True), reply=reply)
    except schemas.ValidationError as error:
        abort(400, description=str(error))


def _page(
    listing: Listing, total: Any, endpoint: str, url_args: dict[str, Any], **params: Any
) -> dict[str, Any]:
    """A page of `listing` (its parameters bound to `params`) as the token's user reads it,
    with `total` (a COUNT statement); its links go to `endpoint` with `url_args`."""
    per_page = schemas.per_page(request.args.get("per_page"))
    # A number, or a `next_cursor` link's cursor (services/pagination.position).
    where = request.args.get("page")
    page = listing.page(where, per_page=per_page, reader_id=current_user().id, **params)
    page = replace(page, total_items=db.session.scalar(total))
    items = [schemas.post_dict(item) for item in page.items]
    return schemas.page_dict(page, items, endpoint, **url_args)


def _count(*where: Any) -> Any:
    return select(func.count()).select_from(Post).where(*where)


@bp.get("/posts/<int:id>")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def get_post(id: int) -> dict[str, Any]:
    return schemas.post_dict(_item_or_404(id))


@bp.get("/users/<int:id>/posts")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def get_user_posts(id: int) -> dict[str, Any]:
    if db.session.get(User, id) is None:
        abort(404, description=_("No user with id %(id)d.", id=id))
    total = _count(Post.user_id == id)
    return _page(feed.PROFILE, total, "api.get_user_posts", {"id": id}, author_id=id)


@bp.get("/timeline")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def get_timeline() -> dict[str, Any]:
    """Your home timeline: your posts and those of whom you follow, newest first."""
    me = current_user().id
    followed = select(followers.c.followed_id).where(followers.c.follower_id == me)
    total = _count(or_(Post.user_id == me, Post.user_id.in_(followed)))
    # The web home's statement for this reader (by author, or by time for one who follows
    # many: feed.home_listing).
    return _page(feed.home_listing(current_user()), total, "api.get_timeline", {})


@bp.post("/posts")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
# Inside the token check, so that it counts per account (the key reads the token's user).
@limiter.shared_limit(setting("RATELIMIT_POST"), "post", key_func=_by_token_account)
def create_post() -> Response:
    data = _input(reply=True)
    reply_to = None
    if data.reply_to is not None and (reply_to := posts.by_id(data.reply_to)) is None:
        abort(400, description=_("No post with id %(id)d to reply to.", id=data.reply_to))
    post = posts.create(current_user(), data.body, language=data.language, reply_to=reply_to)
    response = jsonify(schemas.post_dict(_item_or_404(post.id)))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_post", id=post.id)
    return response


@bp.put("/posts/<int:id>")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def update_post(id: int) -> dict[str, Any]:
    post = _own_or_403(id, lambda: _("You can only edit your own posts."))
    data = _input()
    posts.edit(post, data.body, data.language)
    return schemas.post_dict(_item_or_404(id))


@bp.delete("/posts/<int:id>")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def delete_post(id: int) -> tuple[str, int]:
    posts.delete_post(_own_or_403(id, lambda: _("You can only delete your own posts.")))
    return "", 204


@bp.post("/posts/<int:id>/like")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def like_post(id: int) -> dict[str, Any]:
    return _like(id, likes.like)


@bp.delete("/posts/<int:id>/like")
@quiet  # an API call is not a visit: no "last seen"
@token_auth.login_required
def unlike_post(id: int) -> dict[str, Any]:
    return _like(id, likes.unlike)


def _like(id: int, command: Callable[[User, Post], likes.LikeState]) -> dict[str, Any]:
    """Like or unlike, idempotent: the post's count and whether you like it now."""
    post = _post_or_404(id)
    try:
        state = command(current_user(), post)
    except likes.PostGone:  # deleted after it was loaded
        abort(404, description=_("No post with id %(id)d.", id=id))
    return {
        "post_id": state.post_id,
        "like_count": state.like_count,
        "liked": state.liked,
        "_links": {"post": url_for("api.get_post", id=id)},
    }
