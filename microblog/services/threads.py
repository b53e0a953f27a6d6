"""Threads: a post with the post it replies to, and its replies, oldest first.

A thread page reads two statements whatever its size: the post and its parent together
(the parent's id comes from a subquery on the post), then a page of replies through the
`(reply_to_id, timestamp)` index. Both are `Listing`s built once, so their rows are the
rows every other list shows (counts, the reader's like) and cost what those cost.
"""

from __future__ import annotations

from math import ceil
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import aliased

from microblog.extensions import db
from microblog.models import Post, User
from microblog.services.listing import Item, Listing
from microblog.services.pagination import Key, Page, key_of

_post = aliased(Post, name="thread_post")
_PARENT_ID = select(_post.reply_to_id).where(_post.id == bindparam("post_id")).scalar_subquery()
HEAD = Listing(Post, or_(Post.id == bindparam("post_id"), Post.id == _PARENT_ID))
REPLIES = Listing(Post, Post.reply_to_id == bindparam("post_id"), oldest_first=True)


def head(reader: User, post_id: int) -> tuple[Item | None, Item | None]:
    """The post as `reader` sees it (None if there is no such post) and the post it
    replies to (None if it replies to nothing, or to a deleted post)."""
    items = HEAD.page(1, reader_id=reader.id, post_id=post_id).items
    post = next((item for item in items if item.id == post_id), None)
    parent = next((item for item in items if item.id != post_id), None)
    return post, parent


def replies(reader: User, post_id: int, page: object) -> Page[Item]:
    """A page of the post's replies, oldest first."""
    return REPLIES.page(page, reader_id=reader.id, post_id=post_id)


class Placement(NamedTuple):
    """Where a new reply goes for the reader of a thread page."""

    at_end: bool  # at the end of the replies shown; else some they have not loaded lie between
    view: tuple[Key, int] | None = None  # what the address bar must now name, if it changed


def placement(reader: User, reply: Post, shown: object) -> Placement:
    """Where `reply`, the newest, goes for a reader of the thread page `shown` (its `page`
    argument). Not at the end of what they see if replies they have not loaded lie between:
    it would show again when "More replies" loads them."""
    view = replies(reader, reply.reply_to_id, shown)
    if any(item.id == reply.id for item in view.items):
        return Placement(at_end=True)  # that page, drawn again, shows it: address unchanged
    after = replies(reader, reply.reply_to_id, view.next_page) if view.has_next else None
    if after is None or [item.id for item in after.items] != [reply.id]:
        return Placement(at_end=False)
    return Placement(True, (key_of((view.items or after.items)[0]), len(view.items) + 1))


def page_of(reply: Post) -> int:
    """The page of its thread's replies that shows `reply` (where a reader who sent it
    without JavaScript is taken back to)."""
    if reply.reply_to_id is None:
        return 1
    earlier = select(func.count()).where(
        Post.reply_to_id == reply.reply_to_id,
        or_(
            Post.timestamp < reply.timestamp,
            (Post.timestamp == reply.timestamp) & (Post.id <= reply.id),
        ),
    )
    position = db.session.scalar(earlier) or 1
    return ceil(position / current_app.config["POSTS_PER_PAGE"])
