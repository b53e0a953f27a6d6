"""`@username` in a post: which users it names, for links and for their Activity.

A mention is `@` and a username (letters, digits, `.`, `-`, `_`), not preceded by a word
character or another `@` (so an email address mentions nobody). Only existing users are
mentioned; the post stores their names as written at the time (`Post.mentions`), and the
row links exactly those. A rename unlinks the old name (`forget`): it never leads to whoever
takes it next.
"""

from __future__ import annotations

import re

from sqlalchemy import or_, select

from microblog.extensions import db
from microblog.models import Activity, Kind, Post, User

MENTION = re.compile(r"(?<![\w@])@([\w.-]+)")


def candidates(text: str) -> list[str]:
    """The names after each `@`, in order, once each; a trailing `.` or `-` is punctuation
    ("thanks @ana.") unless a user's name ends so: both forms are candidates."""
    names: dict[str, None] = {}
    for match in MENTION.finditer(text):
        name = match.group(1)
        names[name] = None
        if (trimmed := name.rstrip(".-")) and trimmed != name:
            names[trimmed] = None
    return list(names)


def resolve(text: str) -> dict[str, int]:
    """`{username: id}` of the existing users `text` mentions (one query; none if none)."""
    names = candidates(text)
    if not names:
        return {}
    rows = db.session.execute(select(User.username, User.id).where(User.username.in_(names)))
    return {username: user_id for username, user_id in rows}


def stored(names: dict[str, int]) -> str | None:
    """The `Post.mentions` value for these users (they fit: each is in the text, after an
    `@`, except when both `ana` and `ana.` exist; then the longest names are left out)."""
    kept = ""
    for name in sorted(names, key=len):
        if len(kept) + len(name) + 1 > Post.mentions.type.length:
            break
        kept = f"{kept} {name}" if kept else name
    return kept or None


def forget(user: User, name: str) -> None:
    """`name` is no longer `user`'s (a rename, not committed here): the posts that mention
    it stop linking it, so it never leads to whoever takes the name next. They are the
    posts the user was told of (their Activity) and their own (a mention of oneself
    tells nobody), both through an index."""
    told = select(Activity.post_id).where(
        Activity.user_id == user.id, Activity.kind == Kind.MENTION
    )
    query = select(Post).where(
        or_(Post.id.in_(told), Post.user_id == user.id), Post.mentions.is_not(None)
    )
    for post in db.session.scalars(query):
        names = (post.mentions or "").split()
        if name in names:
            post.mentions = " ".join(kept for kept in names if kept != name) or None
