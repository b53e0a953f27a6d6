"""Racing likes and follows against the real app under gunicorn: exact counts, no 5xx.

Eight readers, each with a session of their own, act at the same moment (a barrier): each
likes and unlikes one post in turn, then sends the same like several times at once (racing
clicks), and follows one author twice at once. Afterwards the post's kept count equals its
likers and its rows in post_like, the author has exactly eight followers, and the author
was told of each like and each follow once. Runs on SQLite and on PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models import Activity, Kind, Notification, Post, PostLike, User, followers
from microblog.services.activity import UNSEEN_ACTIVITY_COUNT
from tests.live_gunicorn import WebClient, gunicorn

READERS = 8


def at_once(tasks: list[Callable[[], None]]) -> None:
    """Run `tasks` in threads released together; fail if one hangs."""
    barrier = threading.Barrier(len(tasks))

    def run(task: Callable[[], None]) -> None:
        barrier.wait(timeout=30)
        task()

    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request hung"


def count(query: object) -> int:
    return db.session.scalar(select(func.count()).select_from(query))  # type: ignore[arg-type]


def test_racing_likes_and_follows_give_exact_counts(app, make_user, make_post, tmp_path):
    author = make_user("author")
    post = make_post(author, "like me")
    names = [make_user(f"reader{i}").username for i in range(READERS)]
    answers: list[tuple[str, int]] = []
    lock = threading.Lock()

    def send(reader: WebClient, path: str, htmx: bool = False) -> None:
        status, _ = reader.open(
            "POST", path, {"csrf_token": reader.csrf, "next": "/explore"}, htmx=htmx
        )
        with lock:
            answers.append((path, status))

    like, unlike = f"/post/{post.id}/like", f"/post/{post.id}/unlike"
    with gunicorn(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path,
        # Eight sign-ins from one address in a few seconds: not what this test is about.
        RATELIMIT_LOGIN="100 per minute",
    ) as base:
        readers = [WebClient(base) for _ in names]
        for reader, name in zip(readers, names, strict=True):
            reader.log_in(name)

        # Every reader likes and unlikes in turn, all of them at once: ends liked.
        def toggle(reader: WebClient) -> Callable[[], None]:
            return lambda: [send(reader, path) for path in (like, unlike, like, unlike, like)]

        at_once([toggle(reader) for reader in readers])
        # Racing clicks: each reader sends the same like three times at once (with htmx),
        # then unlikes twice at once and likes twice at once (without).
        at_once([lambda r=reader: send(r, like, htmx=True) for reader in readers for _ in "abc"])
        at_once([lambda r=reader: send(r, unlike) for reader in readers for _ in "ab"])
        at_once([lambda r=reader: send(r, like) for reader in readers for _ in "ab"])
        # Everyone follows the author at once, twice each.
        at_once([lambda r=reader: send(r, "/follow/author") for reader in readers for _ in "ab"])

    statuses = sorted({status for _, status in answers})
    assert all(status < 500 for status in statuses), answers
    assert statuses == [200, 303], answers
    assert len(answers) == READERS * (5 + 3 + 2 + 2 + 2)

    db.session.commit()  # a fresh snapshot
    db.session.expire_all()
    likers = select(PostLike).where(PostLike.post_id == post.id).subquery()
    assert db.session.get(Post, post.id).like_count == READERS
    assert count(likers) == READERS
    follows = select(followers).where(followers.c.followed_id == author.id).subquery()
    assert count(follows) == READERS
    # Each reader's following count (which chooses how their home is read) says one.
    counts = select(User.following_count).where(User.username.in_(names))
    assert list(db.session.scalars(counts)) == [1] * READERS
    # The author was told once per like and per follow, not once per request.
    told = select(Activity).where(Activity.user_id == author.id)
    assert count(told.where(Activity.kind == Kind.LIKE).subquery()) == READERS
    assert count(told.where(Activity.kind == Kind.FOLLOW).subquery()) == READERS
    # Their Activity page's lines (one a day for each kind) count them all, once.
    heads = (
        told.where(Activity.head.is_(True))
        .with_only_columns(Activity.kind, func.sum(Activity.group_count))
        .group_by(Activity.kind)
    )
    assert dict(db.session.execute(heads).all()) == {Kind.FOLLOW: READERS, Kind.LIKE: READERS}
    # And the navbar's count (kept under a lock) says so.
    unseen = select(Notification).where(
        Notification.user_id == author.id, Notification.name == UNSEEN_ACTIVITY_COUNT
    )
    assert db.session.scalar(unseen).get_data() == 2 * READERS
