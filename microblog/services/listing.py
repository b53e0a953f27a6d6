"""Post and message lists read as plain rows: one statement, no ORM objects per row.

A list page shows 25 items, each with its id, body, time and author. Selecting those
columns as rows costs a fraction of loading ORM objects (identity map, instance state, a
joined author; measured in bench/RESULTS.md). `Item` and `Author` are what the row
partials read (`post.author.username`, `post.author.avatar(48)`: the avatar's URL is made
from the author's id and avatar version, services/avatars.py).

A list's statement selects the page's ids, newest first, walking an index (a "deferred
join"), and reads those rows joined to their authors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Row, Select, bindparam, null, select

from microblog.models import Message, Post, User
from microblog.models.user import avatar_url
from microblog.services.pagination import Page, paginate_rows


@dataclass(frozen=True, slots=True)
class Author:
    id: int
    username: str
    email: str  # for the opt-in Gravatar only (AVATAR_GRAVATAR): never shown
    avatar_version: str | None

    def avatar(self, size: int, *, external: bool = False) -> str:
        return avatar_url(self.id, self.email, self.avatar_version, size, external=external)


@dataclass(frozen=True, slots=True)
class Item:
    """A post or a message as its list row shows it."""

    id: int
    body: str
    timestamp: datetime
    author: Author
    language: str | None = None  # a post's, as detected when it was written


Model = type[Post] | type[Message]


class Listing:
    """A list of posts or messages, newest first, as one statement built once.

    Its filter names bind parameters (`Post.user_id == bindparam("author_id")`), so a
    page view binds values and runs it: building and keying the statement per request
    cost more than running it (bench/RESULTS.md).
    """

    def __init__(
        self, model: Model, *where: ColumnElement[bool], ids: Select[Any] | None = None
    ) -> None:
        """`ids`, if given, selects a page's ids itself (search reads them from its index),
        highest first, with the `:limit` and `:offset` parameters; the page keeps that
        order. Else the ids are those `where` filters, newest first."""
        author_id = Post.user_id if model is Post else Message.sender_id
        if ids is None:
            newest_first = (model.timestamp.desc(), model.id.desc())
            ids = (
                select(model.id)
                .where(*where)
                .order_by(*newest_first)
                .limit(bindparam("limit"))
                .offset(bindparam("offset"))
            )
        else:
            newest_first = (model.id.desc(),)
        self.statement = (
            select(
                model.id,
                model.body,
                model.timestamp,
                User.id,
                User.username,
                User.email,
                User.avatar_version,
                model.language if model is Post else null(),
            )
            .join(User, User.id == author_id)
            .where(model.id.in_(ids.scalar_subquery()))
            .order_by(*newest_first)
        )

    def page(self, page: object, **params: Any) -> Page[Item]:
        """Page `page` of the list, its filter's parameters bound to `params`."""
        per_page = current_app.config["POSTS_PER_PAGE"]
        return paginate_rows(self.statement, page, per_page, _item, **params)


def _item(row: Row[Any]) -> Item:
    item_id, body, timestamp, user_id, username, email, avatar_version, language = row
    author = Author(user_id, username, email, avatar_version)
    return Item(item_id, body, timestamp, author, language)
