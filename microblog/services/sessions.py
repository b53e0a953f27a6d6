"""Signed-in sessions on the server: made at sign-in, checked on every request, ended at
sign-out, by a new password, or from the sessions page.

A sign-in gets a random token; Flask-Login stores it (via `User.get_id()`) in the session
cookie and, with "remember me", in the remember-me cookie. Loading the user for a request
is one statement: the session row by its token's hash, joined to its user. Deleting the
row ends both cookies at once, on every worker and machine.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from hashlib import sha256

from sqlalchemy import bindparam, delete, select, update
from ua_parser import parse

from microblog.extensions import db
from microblog.models import User, UserSession
from microblog.models.base import utcnow

DEVICE_MAX = 120


def _hash(token: str) -> str:
    return sha256(token.encode("utf-8")).hexdigest()


def device_of(user_agent: str | None) -> str:
    """A short description of a browser from its User-Agent: "Firefox on Linux"."""
    if not user_agent:
        return ""
    found = parse(user_agent[:1000])
    browser = found.user_agent.family if found.user_agent else None
    system = found.os.family if found.os else None
    if browser and system:
        return f"{browser} on {system}"[:DEVICE_MAX]
    return (browser or system or user_agent)[:DEVICE_MAX]


def start(user: User, user_agent: str | None, *, idle_days: int = 365) -> str:
    """Record a new sign-in of `user` and commit; the token goes into their cookies.

    Their sessions unused for `idle_days` (no cookie of theirs can still be alive: the
    remember-me cookie's lifetime) are dropped at the same time, so the list stays short.
    """
    stale = utcnow() - timedelta(days=idle_days)
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.last_used_at < stale)
    )
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=_hash(token), user=user, device=device_of(user_agent)))
    db.session.commit()
    user.session_token = token
    return token


_BY_TOKEN = (
    select(User, UserSession.id, UserSession.last_used_at)
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)


def load(token: object) -> tuple[User, int, datetime] | None:
    """The user signed in with `token`, their session's id and when it was last used."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    row = db.session.execute(_BY_TOKEN, {"token_hash": _hash(token)}).first()
    if row is None:
        return None
    user, session_id, last_used = row
    user.session_token = token
    return user, session_id, last_used


def touch(session_id: int, last_used: datetime, interval_seconds: int) -> None:
    """Record use at most once per interval (no write on most requests); commits."""
    now = utcnow()
    threshold = now - timedelta(seconds=interval_seconds)
    if last_used > threshold:
        return
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.last_used_at <= threshold)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def of(user: User) -> list[UserSession]:
    """The user's sessions, the most recently used first."""
    query = (
        select(UserSession)
        .where(UserSession.user_id == user.id)
        .order_by(UserSession.last_used_at.desc(), UserSession.id.desc())
    )
    return list(db.session.scalars(query))


def end(user: User, session_id: int) -> bool:
    """End one of `user`'s sessions; False if they have no such session. Commits."""
    result = db.session.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    db.session.commit()
    return result.rowcount > 0


def end_all(user: User, *, keep: int | None = None) -> int:
    """End every session of `user` but `keep`; how many ended. Commits."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        statement = statement.where(UserSession.id != keep)
    result = db.session.execute(statement)
    db.session.commit()
    return result.rowcount
