"""Live translation: under a post in another language, "Translate" swaps in its translation."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask_babel import get_locale
from flask_login import login_required

from microblog import htmx
from microblog.extensions import limiter
from microblog.inputs import row_id
from microblog.models import Post
from microblog.ratelimits import by_account, setting
from microblog.services import posts, translation
from microblog.services.listing import Item

bp = Blueprint("translations", __name__)


def _reader_language() -> str:
    return str(get_locale().language)


@bp.app_template_global()
def translatable(post: Item | Post) -> bool:
    """Whether `post` gets a "Translate" link: the row partial asks (its cache key has
    the reader's locale, and a post's language never changes)."""
    return translation.offered(post.language, _reader_language())


@bp.route("/translate", methods=["GET", "POST"])
@login_required
# Both methods: GET is the same paid translation, reached without JavaScript.
@limiter.limit(setting("RATELIMIT_TRANSLATE"), key_func=by_account)
def translate() -> Response:
    """htmx POSTs here (CSRF in its header) and swaps the answer in under the post;
    without JavaScript the same link is followed (GET) to a page with the translation."""
    if not translation.available():
        abort(404)
    post = posts.by_id(request.args.get("post_id", type=row_id)) or abort(404)
    try:
        text, status = translation.translate(post.body, post.language, _reader_language()), 200
    except translation.TranslationError:
        text, status = None, 502
    return htmx.render(
        "translation.html", "partials/translation.html", status=status, post=post, text=text
    )
