"""List rows rendered once and remembered: a page of 25 posts reuses rows it has built.

A post's row (`partials/post.html`) and a message's (`partials/message.html`) are the same
for every reader: they show the item, its author and its age ("3 minutes ago"). So each
row is rendered by its partial once per distinct input and kept in a bounded dictionary
per process, keyed by everything the row shows: the item's id, body and time, the
author's name and email (the avatar), the locale, the time zone, the site root, and the
age text. Any change (a new username, an age that moves from "3" to "4 minutes ago") is
a new key, so a stale row is never served; the dictionary is emptied when it is full.

`ROW_CACHE_SIZE` bounds it (rows per process; 0 renders every row every time).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale, get_timezone
from markupsafe import Markup

from microblog.i18n import age
from microblog.models import Message, Post


class RowCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self.rows: dict[Hashable, str] = {}

    def row(self, key: tuple, timestamp: datetime, render: Callable[[], str]) -> str:
        """The remembered row for `key` + the age of `timestamp`, else `render()`."""
        locale = key[-1]
        full_key = (*key, age(timestamp, locale))
        html = self.rows.get(full_key)
        if html is not None:
            return html
        html = render()
        # The row is remembered only if its age text did not move while it was rendered.
        if self.size and age(timestamp, locale) == full_key[-1]:
            if len(self.rows) >= self.size:
                self.rows.clear()
            self.rows[full_key] = html
        return html


def _cache() -> RowCache:
    return current_app.extensions["row_cache"]


def _context() -> tuple:
    """What every row's key shares: the site root, the time zone, the locale (last)."""
    return request.url_root, get_timezone(), get_locale()


def _rows(partial: str, name: str, items: Iterable, mark=None, **context: object) -> Markup:
    """`partial` for each item (passed as `name`), remembered; `mark(item)` adds to the key
    what else the row shows (a message's "New")."""
    cache, shared = _cache(), _context()
    rows = []
    for item in items:
        author = item.author
        key = (partial, item.id, item.timestamp, item.body, author.username, author.email)
        if mark is not None:
            key += (mark(item),)
        rows.append(
            cache.row(
                (*key, *shared),
                item.timestamp,
                lambda item=item: render_template(partial, **{name: item}, **context),
            )
        )
    return Markup("\n".join(rows))


def post_rows(posts: Iterable[Post]) -> Markup:
    return _rows("partials/post.html", "post", posts)


def message_rows(messages: Iterable[Message], read_before: datetime | None) -> Markup:
    def unread(message: Message) -> bool:
        return read_before is None or message.timestamp > read_before

    return _rows("partials/message.html", "message", messages, unread, read_before=read_before)


def init_app(app: Flask) -> None:
    app.extensions["row_cache"] = RowCache(app.config["ROW_CACHE_SIZE"])
    app.jinja_env.globals["post_rows"] = post_rows
    app.jinja_env.globals["message_rows"] = message_rows
