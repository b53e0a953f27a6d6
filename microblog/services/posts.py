"""Writing posts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from microblog.extensions import db
from microblog.models import Post, User
from microblog.models.base import utcnow
from microblog.services import languages

# Back, then Post again, without JavaScript: the browser fetches the form page anew (it is
# never stored: Cache-Control no-store), so the form has a new key, but it refills the box
# with the words already posted. Those words, sent again this soon, are that same post.
REPLAY_WINDOW = timedelta(minutes=5)


def create(author: User, body: str, submission_key: str | None = None) -> Post:
    """Store a post, once per sending: a form sent again gets the post it stored.

    "Again" is the same submission key (a double click, a resent POST), or the author's
    latest post having the same words and being younger than REPLAY_WINDOW (Back and
    resend). Two sendings of one form that race (two workers) both miss the lookups; the
    unique index on the key lets one insert through, and the other returns its post.
    """
    if (post := by_submission(author, submission_key) or _replay(author, body)) is not None:
        return post
    post = Post(
        body=body,
        author=author,
        language=languages.detect(body),
        submission_key=submission_key,
    )
    db.session.add(post)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if (post := by_submission(author, submission_key)) is None:
            raise
    return post


def by_submission(author: User, submission_key: str | None) -> Post | None:
    if submission_key is None:
        return None
    return db.session.scalar(
        select(Post).where(Post.user_id == author.id, Post.submission_key == submission_key)
    )


def _replay(author: User, body: str) -> Post | None:
    latest = db.session.scalar(
        select(Post)
        .where(Post.user_id == author.id)
        .order_by(Post.timestamp.desc(), Post.id.desc())
        .limit(1)
    )
    if latest is not None and latest.body == body and latest.timestamp > utcnow() - REPLAY_WINDOW:
        return latest
    return None


def by_id(post_id: int | None) -> Post | None:
    return db.session.get(Post, post_id) if post_id is not None else None
