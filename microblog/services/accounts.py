"""Accounts: lookups, registration, sign-in (with its per-account delays), profile edits
and the throttled "last seen"."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from microblog.extensions import db
from microblog.models import User
from microblog.models.base import utcnow
from microblog.services import mentions
from microblog.services.passwords import decoy_hash

_BY_USERNAME = select(User).where(User.username == bindparam("username"))  # built once


def by_id(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def by_username(username: str) -> User | None:
    return db.session.scalar(_BY_USERNAME, {"username": username})


def username_taken(username: str, *, except_id: int | None = None) -> bool:
    query = select(User.id).where(User.username == username)
    if except_id is not None:
        query = query.where(User.id != except_id)
    return db.session.scalar(query) is not None


def email_taken(email: str) -> bool:
    query = select(User.id).where(func.lower(User.email) == email.lower())
    return db.session.scalar(query) is not None


def register(username: str, email: str, password: str) -> User:
    user = User(username=username, email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def update_profile(user: User, username: str, about_me: str, timezone: str | None = None) -> None:
    if username != user.username:
        mentions.forget(user, user.username)
    user.username = username
    user.about_me = about_me or None
    if timezone is not None:
        user.timezone = timezone
    db.session.commit()


def touch_last_seen(user: User, interval_seconds: int) -> None:
    """Record activity at most once per interval: no write on most requests.

    The UPDATE is conditional, so concurrent requests of one user write once.
    """
    now = utcnow()
    threshold = now - timedelta(seconds=interval_seconds)
    if user.last_seen is not None and user.last_seen > threshold:
        return
    db.session.execute(
        update(User)
        .where(User.id == user.id, User.last_seen <= threshold)
        .values(last_seen=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    set_committed_value(user, "last_seen", now)


USERNAME_MAX = 64  # the column's length: a longer name names no account


class LoginDelayed(Exception):
    """Sign-in to this account pauses after repeated failures; `seconds` until it resumes."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"sign-in delayed for {seconds} s")
        self.seconds = seconds


def authenticate(username: str, password: str) -> User | None:
    """The account these credentials open, or None; the login form and the API's Basic auth
    both ask here.

    A name that opens no account costs one password-hash check too, against a decoy hash
    made like real ones (same method and cost), so the time taken does not say which names
    exist. After LOGIN_FAILURES_ALLOWED failures in a row the account answers
    `LoginDelayed` for a while, whatever the password: the delay grows with each further
    failure but always ends, so an attacker cannot lock anyone out for good. Counted in the
    database, so every worker and machine sees the same count. (Usernames are public here,
    on profiles, so a delay saying that an account exists gives nothing away.)
    """
    user = by_username(username) if _could_name_an_account(username) else None
    if user is None:
        decoy = decoy_hash(current_app.config["PASSWORD_HASH_METHOD"])
        User(password_hash=decoy).check_password(password)  # the same cost as a real check
        return None
    delays = current_app.config["RATELIMIT_ENABLED"]
    now = utcnow()
    if delays and user.login_delayed_until is not None and user.login_delayed_until > now:
        raise LoginDelayed(math.ceil((user.login_delayed_until - now).total_seconds()))
    if user.check_password(password):
        if user.failed_logins or user.login_delayed_until is not None:
            _clear_failures(user)
        return user
    if delays:
        _count_failure(user, now)
    return None


def _could_name_an_account(username: str) -> bool:
    # NUL bytes cannot even be sent to PostgreSQL.
    return bool(username) and len(username) <= USERNAME_MAX and "\x00" not in username


def _count_failure(user: User, now: datetime) -> None:
    """One more failure, counted by the database itself (`failed_logins + 1`): concurrent
    failures from any worker each count once. A failure that finds the account already
    delayed by a concurrent one is not counted. Past the allowed number the account is
    delayed, doubling with each failure, up to the maximum; a delay is only ever extended."""
    config = current_app.config
    failures = db.session.scalar(
        update(User)
        .where(
            User.id == user.id,
            or_(User.login_delayed_until.is_(None), User.login_delayed_until <= now),
        )
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    )
    if failures is not None:
        set_committed_value(user, "failed_logins", failures)
    if failures is not None and failures >= config["LOGIN_FAILURES_ALLOWED"]:
        doublings = min(failures - config["LOGIN_FAILURES_ALLOWED"], 32)
        seconds = min(
            config["LOGIN_DELAY_SECONDS"] * 2**doublings, config["LOGIN_DELAY_MAX_SECONDS"]
        )
        until = now + timedelta(seconds=seconds)
        db.session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.login_delayed_until.is_(None), User.login_delayed_until < until),
            )
            .values(login_delayed_until=until)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()


def _clear_failures(user: User) -> None:
    """A successful sign-in starts the count afresh."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=0, login_delayed_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    set_committed_value(user, "failed_logins", 0)
    set_committed_value(user, "login_delayed_until", None)
