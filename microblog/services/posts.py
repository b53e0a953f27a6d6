"""Writing posts."""

from __future__ import annotations

from microblog.extensions import db
from microblog.models import Post, User
from microblog.services import languages


def create(author: User, body: str) -> Post:
    post = Post(body=body, author=author, language=languages.detect(body))
    db.session.add(post)
    db.session.commit()
    return post


def by_id(post_id: int | None) -> Post | None:
    return db.session.get(Post, post_id) if post_id is not None else None
