"""Notifications: one per (user, name), replaced on add, safe when adds race."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from microblog.extensions import db
from microblog.models import Notification, User
from microblog.services import notifications


def rows(user: User, name: str | None = None) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if name is not None:
        query = query.where(Notification.name == name)
    db.session.expire_all()
    return list(db.session.scalars(query))


def test_add_then_add_again_replaces(make_user: Callable[..., User]):
    alice = make_user("alice")
    first = notifications.add(alice.id, "unread_message_count", 1)
    second = notifications.add(alice.id, "unread_message_count", 5)
    assert second > first
    [row] = rows(alice)
    assert row.get_data() == 5
    assert row.timestamp == second
    assert notifications.get(alice.id, "unread_message_count") == (5, second)


def test_names_and_users_are_separate(make_user: Callable[..., User]):
    alice, bob = make_user("alice"), make_user("bob")
    notifications.add(alice.id, "unread_message_count", 2)
    notifications.add(alice.id, "task_progress", {"task_id": "t1", "progress": 40})
    notifications.add(bob.id, "unread_message_count", 7)
    assert notifications.get(alice.id, "task_progress")[0] == {"task_id": "t1", "progress": 40}
    assert notifications.get(alice.id, "unread_message_count")[0] == 2
    assert notifications.get(bob.id, "unread_message_count")[0] == 7
    assert notifications.get(bob.id, "task_progress") is None
    assert len(rows(alice)) == 2


def test_since_is_strictly_newer_and_oldest_first(make_user: Callable[..., User]):
    alice, bob = make_user("alice"), make_user("bob")
    one = notifications.add(alice.id, "a", 1)
    two = notifications.add(alice.id, "b", 2)
    notifications.add(bob.id, "c", 3)
    assert [n.name for n in notifications.since(alice.id, 0)] == ["a", "b"]
    assert [n.name for n in notifications.since(alice.id, one)] == ["b"]
    assert notifications.since(alice.id, two) == []
    notifications.add(alice.id, "a", 10)  # replaced: now the newest
    assert [n.name for n in notifications.since(alice.id, 0)] == ["b", "a"]


def test_upsert_waits_for_the_callers_commit(make_user: Callable[..., User]):
    alice = make_user("alice")
    notifications.upsert(alice.id, "a", 1)
    db.session.rollback()
    assert rows(alice) == []
    notifications.upsert(alice.id, "a", 1)
    db.session.commit()
    assert [r.get_data() for r in rows(alice)] == [1]


def test_lock_creates_with_the_default_and_keeps_existing_data(make_user: Callable[..., User]):
    alice = make_user("alice")
    notifications.lock(alice.id, "unread_message_count", 0)
    db.session.commit()
    assert notifications.get(alice.id, "unread_message_count") == (0, 0.0)
    stamp = notifications.add(alice.id, "unread_message_count", 4)
    notifications.lock(alice.id, "unread_message_count", 0)
    db.session.commit()
    assert notifications.get(alice.id, "unread_message_count") == (4, stamp)


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, 0.0),
        ("", 0.0),
        ("abc", 0.0),
        ("nan", 0.0),
        ("inf", 0.0),
        ("-inf", 0.0),
        ("1e999", 0.0),
        ("12.5", 12.5),
        ("1712345678.123456", 1712345678.123456),
        ("-3", -3.0),
    ],
)
def test_parse_since(value: str | None, expected: float):
    assert notifications.parse_since(value) == expected


def test_racing_adds_leave_one_row(app: Flask, make_user: Callable[..., User]):
    """Eight threads add the same notification at once: no constraint error, one row."""
    alice = make_user("alice")
    user_id = alice.id
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def add(value: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=10)
                for round_ in range(5):
                    notifications.add(user_id, "unread_message_count", value * 10 + round_)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    db.session.expire_all()
    count = db.session.scalar(select(func.count()).select_from(Notification))
    assert count == 1
    [row] = rows(alice)
    assert row.get_data() % 10 == 4  # the last value of one of the threads
