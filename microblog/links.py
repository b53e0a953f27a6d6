"""Links to other pages of the same list ("older posts"), built from what the view declares.

A pager link is the current view's URL with its own path arguments, `page=N`, and only
the query parameters the view says its list keeps (`q` for search). Anything else in the
query string (`_external`, `_method`, `utm_source`...) is dropped, so a visitor cannot turn
the pager into an absolute link or make `url_for` fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request, url_for

View = TypeVar("View", bound=Callable)


def keeps_query(*names: str) -> Callable[[View], View]:
    """Declare the query parameters that a list view's pager links carry over."""

    def mark(view: View) -> View:
        view.kept_query = names  # type: ignore[attr-defined]
        return view

    return mark


def page_url(number: int) -> str:
    """The current list's URL for page `number` (relative, like every link here)."""
    view = current_app.view_functions.get(request.endpoint or "")
    kept = getattr(view, "kept_query", ())
    query = {name: request.args[name] for name in kept if name in request.args}
    return url_for(request.endpoint, **(request.view_args or {}), **query, page=number)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["page_url"] = page_url
