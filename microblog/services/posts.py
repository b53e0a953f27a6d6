"""Writing posts: new posts and replies, edits, deletions.

Each command keeps what depends on a post in the same transaction: the counts on the
post it replies to, the mentioned users' and the replied-to author's Activity. The search
index follows by itself (triggers on SQLite, an expression index on PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from microblog.extensions import db
from microblog.models import Kind, Post, User
from microblog.models.base import utcnow
from microblog.services import activity, languages, mentions

# Back, then Post again, without JavaScript: the browser fetches the form page anew (it is
# never stored: Cache-Control no-store), so the form has a new key, but it refills the box
# with the words already posted. Those words, sent again this soon, are that same post.
REPLAY_WINDOW = timedelta(minutes=5)


class _Detect:
    def __repr__(self) -> str:
        return "DETECT"


# `language=DETECT`: detect the text's language (the composer's "Detect automatically").
# None is "unknown"; any other value is an ISO 639-1 code the author chose.
DETECT: Final = _Detect()
Language = str | None | _Detect


def create(
    author: User,
    body: str,
    submission_key: str | None = None,
    *,
    language: Language = DETECT,
    reply_to: Post | None = None,
) -> Post:
    """Store a post (a reply to `reply_to`, if given), once per sending: a form sent again
    gets the post it stored.

    "Again" is the same submission key (a double click, a resent POST), or the author's
    latest post having the same words and being younger than REPLAY_WINDOW (Back and
    resend). Two sendings of one form that race (two workers) both miss the lookups; the
    unique index on the key lets one insert through, and the other returns its post.
    """
    reply_to_id = reply_to.id if reply_to is not None else None
    replayed = by_submission(author, submission_key) or _replay(author, body, reply_to_id)
    if replayed is not None:
        return replayed
    named = mentions.resolve(body)
    post = Post(
        body=body,
        author=author,
        language=_language(body, language),
        submission_key=submission_key,
        mentions=mentions.stored(named),
        reply_to_id=reply_to_id,
        reply_to_user_id=reply_to.user_id if reply_to is not None else None,
    )
    db.session.add(post)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        if (post := by_submission(author, submission_key)) is None:
            raise
        return post
    if reply_to is not None:
        _count_replies(post.reply_to_id, +1)
        activity.record(post.reply_to_user_id, author.id, Kind.REPLY, post.id)
    _notify_mentions(post, named, {})
    db.session.commit()
    return post


def edit(post: Post, body: str, language: Language = DETECT) -> Post:
    """Change a post's text (and language): marked edited. Users it newly mentions are told;
    those it no longer mentions lose that Activity."""
    new_language = _language(body, language)
    if body == post.body and new_language == post.language:
        return post
    before = mentions.resolve(post.body)
    named = mentions.resolve(body)
    post.body = body
    post.language = new_language
    post.mentions = mentions.stored(named)
    post.edited_at = utcnow()
    db.session.flush()
    _notify_mentions(post, named, before)
    db.session.commit()
    return post


def delete_post(post: Post) -> None:
    """Delete a post with its likes and the Activity about it. Its replies stay, shown as
    replying to a deleted post (their `reply_to_id` becomes NULL)."""
    told = activity.recipients_of_post(post.id)
    if post.reply_to_id is not None:
        _count_replies(post.reply_to_id, -1)
    post_id = post.id
    db.session.expunge(post)
    # Core, so that the database's ON DELETE rules do the rest (likes, activity, replies).
    db.session.execute(delete(Post).where(Post.id == post_id))
    for user_id in told:
        activity.refresh_unseen(user_id)
    db.session.commit()
    db.session.expire_all()  # loaded replies: the database set their reply_to_id to NULL


def _language(body: str, language: Language) -> str | None:
    return languages.detect(body) if isinstance(language, _Detect) else language


def _count_replies(post_id: int, change: int) -> None:
    db.session.execute(
        update(Post)
        .where(Post.id == post_id)
        .values(reply_count=Post.reply_count + change)
        .execution_options(synchronize_session="evaluate")  # loaded posts too
    )


def _notify_mentions(post: Post, named: dict[str, int], before: dict[str, int]) -> None:
    """Tell the users `post` now names, take it back from those it named `before` only.
    The author replied to hears of it as a reply, not as a mention too."""
    replied_to = post.reply_to_user_id
    now, then = set(named.values()), set(before.values())
    for user_id in now - then - {replied_to}:
        activity.record(user_id, post.user_id, Kind.MENTION, post.id)
    for user_id in then - now - {replied_to}:
        activity.withdraw(user_id, post.user_id, Kind.MENTION, post.id)


def by_submission(author: User, submission_key: str | None) -> Post | None:
    if submission_key is None:
        return None
    return db.session.scalar(
        select(Post).where(Post.user_id == author.id, Post.submission_key == submission_key)
    )


def _replay(author: User, body: str, reply_to_id: int | None) -> Post | None:
    """The author's latest post, if it is this one sent again: the same words, to the same
    post, within REPLAY_WINDOW ("thanks!" to two posts is two replies)."""
    latest = db.session.scalar(
        select(Post)
        .where(Post.user_id == author.id)
        .order_by(Post.timestamp.desc(), Post.id.desc())
        .limit(1)
    )
    if (
        latest is not None
        and latest.body == body
        and latest.reply_to_id == reply_to_id
        and latest.timestamp > utcnow() - REPLAY_WINDOW
    ):
        return latest
    return None


def by_id(post_id: int | None) -> Post | None:
    return db.session.get(Post, post_id) if post_id is not None else None
