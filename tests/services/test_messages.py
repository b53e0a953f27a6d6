"""The messages service: sending, reading, conversations and the unread count it keeps."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from microblog.extensions import db
from microblog.models import Conversation, Message, User
from microblog.models.base import utcnow
from microblog.services import conversations, messages, notifications
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


# --- Conversations ---------------------------------------------------------------------------


def test_read_conversation_returns_the_previous_read_time(make_user: Callable[..., User]):
    alice, bob = make_user("alice"), make_user("bob")
    messages.send(bob, alice, "one")
    assert messages.read_conversation(alice, bob) is None
    assert count_of(alice) == 0
    first = db.session.get(Conversation, (alice.id, bob.id)).read_at
    assert first is not None
    messages.send(bob, alice, "two")
    assert messages.read_conversation(alice, bob) == first
    assert db.session.get(Conversation, (alice.id, bob.id)).read_at > first


def test_read_conversation_with_nothing_unread_writes_nothing(
    app: Flask, make_user: Callable[..., User]
):
    alice, bob, stranger = make_user("alice"), make_user("bob"), make_user("stranger")
    messages.send(bob, alice, "one")
    messages.read_conversation(alice, bob)
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        messages.read_conversation(alice, bob)
        messages.read_conversation(alice, stranger)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 2
    assert statements and all(s.lstrip().upper().startswith("SELECT") for s in statements)


def test_exchange_pages_match_plain_offset_pages(app: Flask, make_user: Callable[..., User]):
    """Both ways, newest first, ties broken by id, the same on every page; nobody else's."""
    app.config["POSTS_PER_PAGE"] = 4
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    rng = random.Random(5)
    start = utcnow() - timedelta(days=3)
    for _ in range(40):
        sender, recipient = rng.choice([(alice, bob), (bob, alice), (carol, alice)])
        message = Message(sender_id=sender.id, recipient_id=recipient.id, body="x")
        message.timestamp = start + timedelta(hours=rng.randint(0, 10))  # many ties
        db.session.add(message)
    db.session.commit()
    plain = list(
        db.session.scalars(
            select(Message.id)
            .where(
                ((Message.sender_id == alice.id) & (Message.recipient_id == bob.id))
                | ((Message.sender_id == bob.id) & (Message.recipient_id == alice.id))
            )
            .order_by(Message.timestamp.desc(), Message.id.desc())
        )
    )
    got = []
    for number in range(1, 20):
        page = conversations.exchange(alice, bob, number)
        got += [item.id for item in page.items]
        assert page.has_next == (len(plain) > number * 4)
    assert got == plain
    assert [item.id for item in conversations.exchange(bob, alice, 2).items] == plain[4:8]


def test_inbox_latest_first_with_own_last_messages(app: Flask, make_user: Callable[..., User]):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    messages.send(bob, alice, "from bob")
    messages.send(carol, alice, "from carol")
    messages.send(alice, bob, "to bob")
    page = conversations.inbox(alice, 1)
    assert [(s.other.username, s.body, s.own, s.unread) for s in page.items] == [
        ("bob", "to bob", True, 1),
        ("carol", "from carol", False, 1),
    ]
    assert not page.has_next


def test_since_shows_at_most_the_newest_few(app: Flask, make_user: Callable[..., User]):
    alice, bob = make_user("alice"), make_user("bob")
    for n in range(conversations.SINCE_MAX + 5):
        db.session.add(Message(sender_id=bob.id, recipient_id=alice.id, body=f"m{n}"))
    db.session.commit()
    shown = conversations.since(alice, bob, 0)
    assert len(shown) == conversations.SINCE_MAX
    assert shown[-1].body == f"m{conversations.SINCE_MAX + 4}" and shown[0].body == "m5"
    assert [item.body for item in conversations.since(alice, bob, shown[-2].id)] == [
        shown[-1].body
    ]
