"""The messages service: sending, reading and the unread count it keeps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from microblog.extensions import db
from microblog.models import Message, User
from microblog.models.base import utcnow
from microblog.services import messages, notifications
from microblog.services.notifications import UNREAD_MESSAGE_COUNT


def count_of(user: User) -> int | None:
    found = notifications.get(user.id, UNREAD_MESSAGE_COUNT)
    return None if found is None else found[0]


def test_send_stores_and_counts(make_user: Callable[..., User]):
    alice, bob = make_user("alice"), make_user("bob")
    message = messages.send(alice, bob, "hi")
    assert message.id is not None
    assert (message.sender_id, message.recipient_id, message.body) == (alice.id, bob.id, "hi")
    messages.send(alice, bob, "again")
    assert count_of(bob) == 2
    assert count_of(alice) is None


def test_send_to_yourself_is_refused(make_user: Callable[..., User]):
    alice = make_user("alice")
    with pytest.raises(messages.MessageError):
        messages.send(alice, alice, "me")
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0


def test_mark_read_zeroes_and_returns_the_previous_time(make_user: Callable[..., User]):
    alice, bob = make_user("alice"), make_user("bob")
    messages.send(alice, bob, "one")
    assert messages.mark_read(bob) is None
    first_read = bob.last_message_read_time
    assert first_read is not None
    assert count_of(bob) == 0
    messages.send(alice, bob, "two")
    assert count_of(bob) == 1
    assert messages.mark_read(bob) == first_read
    assert count_of(bob) == 0
    db.session.expire_all()
    assert db.session.get(User, bob.id).last_message_read_time > first_read


def test_mark_read_with_nothing_unread_writes_nothing(app: Flask, make_user: Callable[..., User]):
    alice, bob = make_user("alice"), make_user("bob")
    messages.send(alice, bob, "one")
    messages.mark_read(bob)
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        messages.mark_read(bob)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements and all(s.lstrip().upper().startswith("SELECT") for s in statements)


def test_received_newest_first(app: Flask, make_user: Callable[..., User]):
    app.config["POSTS_PER_PAGE"] = 2
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    for days, body in ((3, "old"), (1, "new"), (2, "middle")):
        db.session.add(
            Message(
                sender_id=alice.id,
                recipient_id=bob.id,
                body=body,
                timestamp=utcnow() - timedelta(days=days),
            )
        )
    db.session.add(Message(sender_id=alice.id, recipient_id=carol.id, body="not bob's"))
    db.session.commit()
    first = messages.received(bob, 1)
    assert [m.body for m in first.items] == ["new", "middle"]
    assert first.has_next
    second = messages.received(bob, "2")
    assert [m.body for m in second.items] == ["old"]
    assert not second.has_next
    assert second.items[0].author.username == "alice"


def test_badge_state(make_user: Callable[..., User]):
    alice, bob = make_user("alice"), make_user("bob")
    assert messages.badge(bob.id) == (0, 0.0)
    messages.send(alice, bob, "hi")
    count, version = messages.badge(bob.id)
    assert count == 1 and version > 0


def test_refresh_all_unread_counts(make_user: Callable[..., User]):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    now = utcnow()
    bob_read = now - timedelta(days=2)
    db.session.execute(
        db.update(User).where(User.id == bob.id).values(last_message_read_time=bob_read)
    )
    for days in (1, 3, 5):
        db.session.add(
            Message(
                sender_id=alice.id,
                recipient_id=bob.id,
                body="b",
                timestamp=now - timedelta(days=days),
            )
        )
        db.session.add(
            Message(
                sender_id=bob.id,
                recipient_id=carol.id,
                body="c",
                timestamp=now - timedelta(days=days),
            )
        )
    db.session.commit()
    notifications.add(alice.id, UNREAD_MESSAGE_COUNT, 99)  # stale: replaced
    messages.refresh_all_unread_counts()
    db.session.commit()
    assert (count_of(alice), count_of(bob), count_of(carol)) == (0, 1, 3)


def test_seed_command_sets_every_badge(app: Flask):
    result = app.test_cli_runner().invoke(
        args=["seed", "--users", "8", "--follows", "2", "--posts", "20", "--messages", "60"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    users = list(db.session.scalars(select(User)))
    assert len(users) == 8
    for user in users:
        assert count_of(user) == messages.unread_count(user.id)
    assert sum(count_of(user) for user in users) == 60
