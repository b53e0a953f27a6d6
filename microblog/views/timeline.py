"""The live timeline: "N new posts" on home and explore, polled, and shown on request.

Every open home or explore tab polls `GET /timeline/new` every 17 s with the newest post
it shows and the count it shows: after the user load, one indexed statement (no write),
and 204 while the count is unchanged. A click on the notice fetches those posts into the
top of the list (`/timeline/new/posts`); without JavaScript the notice is a link that
reloads the list.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    request,
    url_for,
)
from flask_login import current_user, login_required

from microblog import htmx, links
from microblog.extensions import limiter
from microblog.services import feed
from microblog.services.listing import Item
from microblog.services.pagination import (
    Key,
    Page,
    key_of,
    key_token,
    parse_key,
    view_token,
)
from microblog.session import quiet

bp = Blueprint("timeline", __name__)

LISTS = {"home": "posts.index", "explore": "posts.explore"}


def _notice(timeline: str, after: Key | None, count: int = 0, *, live: bool = True) -> dict:
    """new_posts.html's arguments."""
    token = key_token(after) if after is not None else None
    return {
        "timeline": timeline,
        "after": token,
        "count": count,
        "live": live,
        "new_max": feed.NEW_MAX,
    }


@bp.app_template_global()
def new_posts_notice(timeline: str, page: Page[Item]) -> dict:
    """The notice of a page of `timeline`: it polls for posts above the newest one shown."""
    return _notice(timeline, key_of(page.items[0]) if page.items else None)


def _timeline() -> str:
    timeline = request.args.get("timeline", "")
    return timeline if timeline in LISTS else abort(404)


def _after() -> tuple[bool, Key | None]:
    """`?after=`: (valid, the newest post the page showed); empty: the list was empty."""
    value = request.args.get("after")
    if not value:
        return True, None
    key = parse_key(value)
    return key is not None, key


def _seen() -> int:
    """`?seen=`: the count the page shows (anything else: 0)."""
    try:
        return min(max(int(request.args.get("seen", 0)), 0), feed.NEW_MAX + 1)
    except ValueError:
        return 0


@bp.get("/timeline/new")
@quiet  # every open home and explore tab polls it
@limiter.exempt  # polled: never throttled, whatever default limits are configured
def poll() -> Response:
    """204 while the count of new posts is what the page shows (`seen`), else the notice.
    Not `login_required`: signed out, or given no place to count from, it answers the
    terminal notice (no hx-trigger), so polling stops, instead of a redirect."""
    timeline = _timeline()
    if not htmx.is_htmx():
        return redirect(url_for(LISTS[timeline]))
    valid, after = _after()
    if not (valid and current_user.is_authenticated):
        return htmx.fragment("partials/new_posts.html", **_notice(timeline, None, live=False))
    count = feed.count_new(current_user, timeline, after)
    if count == _seen():
        return htmx.vary(make_response("", 204))
    return htmx.fragment("partials/new_posts.html", **_notice(timeline, after, count))


@bp.get("/timeline/new/posts")
@login_required
def show() -> Response:
    """The new posts, for the top of the list; the address bar then names the view with
    them (links.py). Without JavaScript, or when there are too many to fill the gap, the
    list itself, reloaded."""
    timeline = _timeline()
    valid, after = _after()
    if not htmx.is_partial() or not valid:
        return redirect(url_for(LISTS[timeline]))
    page = feed.new_posts(current_user, timeline, after)
    if page.has_next:
        return htmx.hx_redirect(url_for(LISTS[timeline]))
    newest = key_of(page.items[0]) if page.items else after
    response = htmx.fragment(
        "partials/new_posts_rows.html", page=page, notice=_notice(timeline, newest)
    )
    if page.items:
        endpoint = LISTS[timeline]
        # What the page showed: the view in the address bar, else its first page.
        _, shown = links.current_view(endpoint) or (None, current_app.config["POSTS_PER_PAGE"])
        url = links.page_url(view_token(key_of(page.items[0]), shown + len(page.items)), endpoint)
        htmx.replace_url(response, url)
    return response
