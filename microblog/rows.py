"""List rows rendered once and remembered: a page of 25 posts reuses rows it has built.

A post's row (`partials/post.html`) and a message's (`partials/message.html`) are the same
for every reader: they show the item, its author and its age ("3 minutes ago"). So each
row is rendered by its partial once per distinct input and kept in a bounded dictionary
per process, keyed by everything the row shows: the item's id, body and time, the
author's name and email (the avatar), the locale, the time zone, the script root and the
age text. Any change (a new username, an age that moves from "3" to "4 minutes ago") is
a new key, so a stale row is never served; the dictionary is emptied when it is full.

`ROW_CACHE_SIZE` bounds it (rows per process; 0 renders every row every time). It is off
in debug mode, where edited templates are reloaded without a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale, get_timezone
from markupsafe import Markup

from microblog.i18n import ager
from microblog.models.base import utcnow
from microblog.services.listing import Item


class RowCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self.rows: dict[Hashable, str] = {}

    def get(self, key: Hashable) -> str | None:
        return self.rows.get(key)

    def put(self, key: Hashable, html: str) -> None:
        if self.size:
            if len(self.rows) >= self.size:
                self.rows.clear()
            self.rows[key] = html


def _rows(
    partial: str,
    name: str,
    items: Iterable[Item],
    mark: Callable[[Item], Hashable] | None = None,
    **context: object,
) -> Markup:
    """`partial` for each item (passed as `name`), remembered; `mark(item)` adds to the key
    what else the row shows (a message's "New")."""
    cache: RowCache = current_app.extensions["row_cache"]
    locale = get_locale()
    shared = (request.script_root, get_timezone(), str(locale))
    age = ager(locale, utcnow())
    rows = []
    for item in items:
        author = item.author
        key = (partial, item.id, item.timestamp, item.body, author.username, author.email)
        if mark is not None:
            key += (mark(item),)
        key += (*shared, age(item.timestamp))
        html = cache.get(key)
        if html is None:
            html = render_template(partial, **{name: item}, **context)
            # Remembered only if the age text did not move while the row was rendered.
            if ager(locale, utcnow())(item.timestamp) == key[-1]:
                cache.put(key, html)
        rows.append(html)
    return Markup("\n".join(rows))


def post_rows(posts: Iterable[Item]) -> Markup:
    return _rows("partials/post.html", "post", posts)


def message_rows(messages: Iterable[Item], read_before: datetime | None) -> Markup:
    def unread(message: Item) -> bool:
        return read_before is None or message.timestamp > read_before

    return _rows("partials/message.html", "message", messages, unread, read_before=read_before)


def init_app(app: Flask) -> None:
    app.extensions["row_cache"] = RowCache(0 if app.debug else app.config["ROW_CACHE_SIZE"])
    app.jinja_env.globals["post_rows"] = post_rows
    app.jinja_env.globals["message_rows"] = message_rows
