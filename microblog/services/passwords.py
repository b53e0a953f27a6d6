"""Password reset: signed, expiring, single-use tokens, and the reset email.

A token is a JWT (HS256 with SECRET_KEY) naming the user and carrying a
fingerprint of the user's current password hash and email. Setting a new
password changes the hash (werkzeug salts every hash), so the fingerprint no
longer matches and the token is refused: it works once, with no table of used
tokens. The expiry is checked against a clock the caller may pass, so tests
need not wait ten minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import jwt
from flask import current_app, render_template
from flask_babel import _
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from microblog.email import background, send_email
from microblog.extensions import db
from microblog.models import User
from microblog.models.base import utcnow
from microblog.services import sessions

if TYPE_CHECKING:
    from rq.job import Job

PURPOSE = "reset_password"
EXPIRES_IN = timedelta(minutes=10)
ALGORITHM = "HS256"


@cache
def decoy_hash(method: str) -> str:
    """The password hash of the stand-in account an unknown address gets (see
    `request_reset`): made once per process and method the way real ones are now
    (PASSWORD_HASH_METHOD), so the stand-in is fingerprinted like a real account."""
    return generate_password_hash(secrets.token_urlsafe(32), method)


PASSWORD_MIN = 8
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@cache
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    """Whether `password` is among the most common leaked ones (any case)."""
    return password.strip().lower() in _common()


class TokenError(Exception):
    """The link cannot be used; `expired` tells an old link from a forged or used one."""

    def __init__(self, *, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def signing_key() -> bytes:
    """A key for reset tokens only, derived from SECRET_KEY: no other token of the app
    (API tokens, say) can pass for a reset token, and the HMAC key is always 32 bytes."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"microblog password reset", hashlib.sha256).digest()


def _fingerprint(user_id: int, email: str, password_hash: str | None) -> str:
    key = signing_key()
    material = f"{user_id}\x00{email.lower()}\x00{password_hash or ''}".encode()
    return hmac.new(key, material, hashlib.sha256).hexdigest()[:32]


def _timestamp(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1)).total_seconds())


def make_token(
    user: User, *, now: datetime | None = None, expires_in: timedelta = EXPIRES_IN
) -> str:
    """A reset token for `user`, valid from `now` (naive UTC) for `expires_in`."""
    payload = {
        "purpose": PURPOSE,
        "sub": str(user.id),
        "fp": _fingerprint(user.id, user.email, user.password_hash),
        "exp": _timestamp((now or utcnow()) + expires_in),
    }
    return jwt.encode(payload, signing_key(), algorithm=ALGORITHM)


def verify_token(token: str, *, now: datetime | None = None) -> User:
    """The user a valid token was made for; else `TokenError`.

    The signature is checked first, so `expired` is only ever said of genuine tokens.
    """
    try:
        payload = jwt.decode(
            token,
            signing_key(),
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "require": ["exp", "sub", "fp", "purpose"]},
        )
        user_id = int(payload["sub"])
        expires = int(payload["exp"])
    except (jwt.InvalidTokenError, ValueError, TypeError) as error:
        raise TokenError() from error
    if payload["purpose"] != PURPOSE:
        raise TokenError()
    user = db.session.get(User, user_id)
    if user is None:
        raise TokenError()
    expected = _fingerprint(user.id, user.email, user.password_hash)
    if not hmac.compare_digest(expected, str(payload["fp"])):
        raise TokenError()  # the password changed since: the link was used
    if _timestamp(now or utcnow()) >= expires:
        raise TokenError(expired=True)
    return user


def by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def start_reset(email: str, url_root: str, language: str) -> threading.Thread | Job:
    """Run `request_reset` in the background (an RQ job, or a thread); what the view calls.

    The request's own work is then the same for every address (queue a job, answer), so
    neither the answer nor its timing tells whether an account exists; the lookup, token,
    rendering and SMTP all happen off the request. `url_root` is the site the user asked
    (links are built under it), `language` their locale, for the email's text.
    """
    return background("microblog.jobs.request_password_reset", email, url_root, language)


def reset_link(url_root: str) -> Callable[[str], str]:
    """Builds absolute reset links under `url_root` (scheme, host and script root of the
    request), in any process: a job has no request to take them from."""
    parts = urlsplit(url_root)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return lambda token: adapter.build(
        "auth.reset_password", {"token": token}, force_external=True
    )


def request_reset(
    email: str,
    link_for: Callable[[str], str],
    *,
    now: datetime | None = None,
    sync: bool = False,
) -> threading.Thread | Job | None:
    """Email a reset link to the account with `email`, if there is one.

    Unknown addresses get the same work (a lookup, a token, both bodies rendered)
    and nothing is sent. `link_for(token)` builds the absolute link (views know
    the host; services do not read the request).
    """
    user = by_email(email)
    if user is None:
        decoy = decoy_hash(current_app.config["PASSWORD_HASH_METHOD"])
        target = User(id=0, username="", email=email, password_hash=decoy)
    else:
        target = user
    link = link_for(make_token(target, now=now))
    text_body = render_template("email/reset_password.txt", user=target, link=link)
    html_body = render_template("email/reset_password.html", user=target, link=link)
    if user is None:
        return None
    subject = _("[Microblog] Reset Your Password")
    return send_email(subject, [user.email], text_body, html_body, sync=sync)


def reset_password(user: User, password: str) -> None:
    """Set the new password; every earlier reset link and every signed-in session of the
    user stop working with it, and any sign-in delay earned by failed attempts ends."""
    user.set_password(password)
    user.failed_logins = 0
    user.login_delayed_until = None
    sessions.end_all(user)  # commits the new password with it
