"""List rows rendered once and remembered: a page of 25 posts reuses rows it has built.

A post's row (`partials/post.html`) and a message's (`partials/message.html`) are the same
for every reader: they show the item, its author and its age ("3 minutes ago"). So each
row is rendered by its partial once per distinct input and kept in a bounded dictionary
per process, keyed by everything the row shows: the item's id, body and time, the
author's name and email (the avatar), the row's other arguments (a message's "New"), the
locale, the time zone, the script root and the age text. Any change (a new username, an
age that moves from "3" to "4 minutes ago") is a new key, so a stale row is never served;
the dictionary is emptied when it is full.

`ROW_CACHE_SIZE` bounds it (rows per process; 0 renders every row every time). It is off
in debug mode, where edited templates are reloaded without a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale, get_timezone
from markupsafe import Markup

from microblog.caches import BoundedCache
from microblog.i18n import ager
from microblog.models.base import utcnow
from microblog.services.listing import Item


def _rows(
    partial: str,
    name: str,
    items: Iterable[Item],
    extra: Callable[[Item], dict[str, Hashable]] | None = None,
) -> Markup:
    """`partial` for each item (passed as `name`), remembered. `extra(item)` gives the
    row's other arguments (a message's "unread"); they are part of the key too."""
    cache: BoundedCache[Hashable, str] = current_app.extensions["row_cache"]
    locale = get_locale()
    shared = (request.script_root, get_timezone(), str(locale))
    age = ager(locale, utcnow())
    rows = []
    for item in items:
        context = extra(item) if extra is not None else {}
        author = item.author
        key = (partial, item.id, item.timestamp, item.body, author.username, author.email)
        key += (*context.items(), *shared, age(item.timestamp))
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
    """Messages newer than the reader's previous read time (`read_before`) are marked new."""

    def unread(message: Item) -> dict[str, Hashable]:
        return {"unread": read_before is None or message.timestamp > read_before}

    return _rows("partials/message.html", "message", messages, unread)


def init_app(app: Flask) -> None:
    app.extensions["row_cache"] = BoundedCache(0 if app.debug else app.config["ROW_CACHE_SIZE"])
    app.jinja_env.globals["post_rows"] = post_rows
    app.jinja_env.globals["message_rows"] = message_rows
