"""Search: the posts that contain every word typed in the navbar's search box."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_login import current_user, login_required

from microblog import htmx
from microblog.extensions import limiter
from microblog.forms import SearchForm
from microblog.links import keeps_query
from microblog.ratelimits import by_account, setting
from microblog.services import search

bp = Blueprint("search", __name__)


@bp.get("/search")
@login_required
@limiter.limit(setting("RATELIMIT_SEARCH"), key_func=by_account)
@keeps_query("q")  # the pager stays on the same search
def index() -> Response:
    form = SearchForm(formdata=request.args)
    valid = form.validate()
    page = search.posts(form.q.data, request.args.get("page"), current_user.id) if valid else None
    return htmx.render(
        "search.html",
        "partials/post_page.html",
        status=200 if valid else 422,
        form=form,
        page=page,  # None: no words to look for (the page says why)
        marks=search.terms(form.q.data) if valid else [],
        # The count is for the page's heading: "older posts" fragments need none.
        count=search.count(form.q.data) if page and not htmx.is_partial() else 0,
        count_max=search.COUNT_MAX,
    )
