"""Avatars, served by the app itself: no page asks another site for one."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request, send_file

from microblog.models.user import IDENTICON_VERSION
from microblog.services import avatars
from microblog.session import quiet

bp = Blueprint("avatars", __name__)

# The URL names the avatar's version (`?v=`), which changes on each upload or removal:
# what such a URL answers never changes, so browsers and proxies keep it for good.
FOREVER = "public, max-age=31536000, immutable"


@bp.get("/avatar/<int:user_id>/<int:size>")
@quiet  # an image, not a visit: no "last seen"
def show(user_id: int, size: int) -> Response:
    """The user's current avatar. Public, as Gravatar's were: the API links to it."""
    current = avatars.version(user_id) if size in avatars.SIZES else None
    if current is None:
        abort(404)
    response, lasting = _avatar(user_id, current, size)
    lasting = lasting and request.args.get("v") == current
    # An old version's URL gets the current avatar, checked again next time.
    response.headers["Cache-Control"] = FOREVER if lasting else "public, no-cache"
    return response


def _avatar(user_id: int, version: str, size: int) -> tuple[Response, bool]:
    """The avatar's response, and whether it is the one its version names."""
    if version != IDENTICON_VERSION:
        path = avatars.picture_path(user_id, version, size)
        if path.is_file():
            return send_file(path, mimetype="image/webp"), True
        # The row names files this server cannot see: AVATAR_DIR is not shared (README).
        current_app.logger.warning("avatar file missing: %s", path)
        return Response(avatars.identicon(user_id, size), mimetype="image/svg+xml"), False
    return Response(avatars.identicon(user_id, size), mimetype="image/svg+xml"), True
