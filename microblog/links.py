"""Links to other parts of the same list ("older posts"), built from what the view declares,
and the address bar that follows a list loaded in place.

A pager link is the current view's URL with its own path arguments, `page=` (a number, or
a cursor: services/pagination.py), and only the query parameters the view says its list
keeps (`q` for search). Anything else in the query string (`_external`, `_method`,
`utm_source`...) is dropped, so a visitor cannot turn the pager into an absolute link or
make `url_for` fail.

When htmx loads older items in place, the address bar names everything the reader now
sees: a *view*, `?page=<view>`, the items from the first one shown on, as many as are
shown. Back re-fetches that URL (htmx 4 restores history by a request), the page is
rebuilt as it was, and the browser puts the scroll position back where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

from flask import Flask, Response, current_app, g, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from microblog import htmx
from microblog.services.pagination import Key, position, view_token
from microblog.session import local_path

View = TypeVar("View", bound=Callable)


def keeps_query(*names: str) -> Callable[[View], View]:
    """Declare the query parameters that a list view's pager links carry over."""

    def mark(view: View) -> View:
        view.kept_query = names  # type: ignore[attr-defined]
        return view

    return mark


def keeps_address(view: View) -> View:
    """Declare a list whose older items, loaded in place, leave the address bar as it is
    (follow_view names no view): a reload shows the list's start again. A conversation's
    latest messages and its reply form, which a view of older messages would not show."""
    view.keeps_address = True  # type: ignore[attr-defined]
    return view


def page_url(page: int | str, endpoint: str | None = None) -> str:
    """The URL of `page` (a number or a token) of the current list, or of the list at
    `endpoint` (relative, like every link here)."""
    if endpoint is None or endpoint == request.endpoint:
        endpoint, path_args = request.endpoint, request.view_args or {}
    else:
        path_args = {}
    view = current_app.view_functions.get(endpoint or "")
    kept = getattr(view, "kept_query", ())
    query = {name: request.args[name] for name in kept if name in request.args}
    return url_for(endpoint, **path_args, **query, page=page)


def current_page(endpoint: str | None = None, *, same_args: bool = False) -> str | None:
    """The `page` argument of the address bar, if it shows the list at `endpoint` (by
    default the request's own; with `same_args`, with the request's path arguments too,
    as the same post's thread): read from htmx's `HX-Current-URL`."""
    url = htmx.current_url()
    if not url:
        return None
    try:
        parts = urlsplit(url)
        adapter = current_app.url_map.bind_to_environ(request.environ)
        found, args = adapter.match(parts.path, method="GET")
    except (ValueError, HTTPException, RequestRedirect):
        return None
    if found != (endpoint or request.endpoint) or (same_args and args != request.view_args):
        return None
    pages = parse_qs(parts.query).get("page")
    return pages[-1] if pages else None


def current_view(endpoint: str | None = None) -> tuple[Key, int] | None:
    """The view (first item, how many) the address bar names, if it shows one of the list
    at `endpoint` (by default the request's own)."""
    page = current_page(endpoint)
    if page is None:
        return None
    at = position(page)
    return (at.start, at.size) if at.start is not None else None


def return_path() -> str | None:
    """The page the reader is looking at, where a row's forms and links sent without
    JavaScript (like, edit, delete) come back to: the page itself, or for a fragment the
    page htmx sent it from. Only a path on this site (None otherwise: the view picks a
    page). Found once a request: every row asks."""
    if "return_path" not in g:
        url = htmx.current_url() if htmx.is_partial() else None
        if url is None:
            # The page asked for; or, drawn again after a refused form, the one it was on.
            url = request.full_path if request.method == "GET" else request.referrer
        try:
            parts = urlsplit(url or "")
        except ValueError:  # a header that does not parse, such as `http://[::1`
            g.return_path = None
        else:
            g.return_path = local_path(parts.path + (f"?{parts.query}" if parts.query else ""))
    return g.return_path


def follow_view(response: Response) -> Response:
    """After older items were loaded in place (an htmx request for the page after a
    cursor), name the view the reader now has: the one the address bar named (it may have
    grown at the top: new posts shown), or the page the link was under, plus this page.
    Not for a view that keeps its address (`keeps_address`)."""
    if request.method != "GET" or response.status_code != 200 or not htmx.is_partial():
        return response
    if getattr(current_app.view_functions.get(request.endpoint or ""), "keeps_address", False):
        return response
    at = position(request.args.get("page"))
    if at.after is None or at.top is None:
        return response
    start, shown = current_view() or (at.top, at.shown)
    # A page's full length: at the list's end a view asks for more than there is, harmlessly.
    return htmx.replace_url(response, page_url(view_token(start, shown + at.per_page)))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["page_url"] = page_url
    app.jinja_env.globals["return_path"] = return_path
    app.after_request(follow_view)
