"""Post and message lists read as plain rows: one statement, no ORM objects per row.

A list page shows 25 items, each with its id, body, time and author. Selecting those
columns as rows costs a fraction of loading ORM objects (identity map, instance state, a
joined author; measured in bench/RESULTS.md). `Item` and `Author` are what the row
partials read (`post.author.username`, `post.author.avatar(48)`: the avatar's URL is made
from the author's id and avatar version, services/avatars.py).

A list's statement selects the page's ids, newest first, walking an index (a "deferred
join"), and reads those rows joined to their authors. A post's row also carries its counts
(kept on the post), the author it replies to, and whether the reader likes it: an EXISTS
on the like's primary key, in the same statement, bound to `:reader_id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Row, Select, bindparam, exists, select
from sqlalchemy.orm import aliased

from microblog.models import Message, Post, PostLike, User
from microblog.models.user import avatar_url
from microblog.services.pagination import Order, Page, cursor_after, paginate_rows


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
    language: str | None = None  # a post's: detected, or set by its author
    # A post's only, below: None/0/False for a message.
    edited_at: datetime | None = None
    reply_to_id: int | None = None  # None for a reply whose post was deleted: see is_reply
    reply_to_username: str | None = None
    like_count: int = 0
    reply_count: int = 0
    mentions: str | None = None  # space-separated usernames the text links (services/mentions)
    liked: bool = False  # by the reader

    @property
    def is_reply(self) -> bool:
        return self.reply_to_username is not None


Model = type[Post] | type[Message]


class Listing:
    """A list of posts or messages, newest first, as one statement built once.

    Its filter names bind parameters (`Post.user_id == bindparam("author_id")`), so a
    page view binds values and runs it: building and keying the statement per request
    cost more than running it (bench/RESULTS.md).
    """

    def __init__(
        self,
        model: Model,
        *where: ColumnElement[bool],
        ids: Select[Any] | None = None,
        oldest_first: bool = False,
    ) -> None:
        """`ids`, if given, selects a page's ids itself (search reads them from its index),
        highest first, with the `:limit` and `:offset` parameters; the page keeps that
        order. Else the ids are those `where` filters, newest first (`oldest_first`: the
        other way round, as a thread's replies read)."""
        author_id = Post.user_id if model is Post else Message.sender_id
        # Pages also continue after an item (a cursor: pagination.cursor_after).
        self.order = Order.OLDEST_FIRST if oldest_first else Order.NEWEST_FIRST
        if ids is None:
            if oldest_first:
                order = (model.timestamp.asc(), model.id.asc())
            else:
                order = (model.timestamp.desc(), model.id.desc())
            ids = (
                select(model.id)
                .where(*where, cursor_after(model.timestamp, model.id, order=self.order))
                .order_by(*order)
                .limit(bindparam("limit"))
                .offset(bindparam("offset"))
            )
        else:
            order = (model.id.desc(),)
            ids = ids.where(cursor_after(ids.selected_columns[0]))  # by id alone
        statement = (
            select(
                model.id,
                model.body,
                model.timestamp,
                User.id,
                User.username,
                User.email,
                User.avatar_version,
                *(_POST_COLUMNS if model is Post else ()),
            )
            .join(User, User.id == author_id)
            .where(model.id.in_(ids.scalar_subquery()))
            .order_by(*order)
        )
        if model is Post:
            statement = statement.outerjoin(_replied_to, _replied_to.id == Post.reply_to_user_id)
        self.statement = statement
        self.make = _post_item if model is Post else _item

    def page(self, page: object, *, per_page: int | None = None, **params: Any) -> Page[Item]:
        """Page `page` of the list, its filter's parameters bound to `params`; POSTS_PER_PAGE
        items a page unless `per_page` says (the API's `?per_page=`)."""
        per_page = per_page or current_app.config["POSTS_PER_PAGE"]
        return paginate_rows(self.statement, page, per_page, self.make, order=self.order, **params)


# The author a post replies to, and whether the reader (`:reader_id`) likes it.
_replied_to = aliased(User, name="replied_to")
_POST_COLUMNS = (
    Post.language,
    Post.edited_at,
    Post.reply_to_id,
    _replied_to.username,
    Post.like_count,
    Post.reply_count,
    Post.mentions,
    exists().where(PostLike.post_id == Post.id, PostLike.user_id == bindparam("reader_id")),
)


def _item(row: Row[Any]) -> Item:
    item_id, body, timestamp, user_id, username, email, avatar_version = row
    return Item(item_id, body, timestamp, Author(user_id, username, email, avatar_version))


def _post_item(row: Row[Any]) -> Item:
    item_id, body, timestamp, user_id, username, email, avatar_version, *post = row
    language, edited_at, reply_to_id, reply_to_username, likes, replies, mentions, liked = post
    author = Author(user_id, username, email, avatar_version)
    return Item(
        item_id,
        body,
        timestamp,
        author,
        language,
        edited_at,
        reply_to_id,
        reply_to_username,
        likes,
        replies,
        mentions,
        bool(liked),  # EXISTS: 0/1 on SQLite
    )
