"""API bearer tokens: valid for an hour, stored only as their SHA-256, revocable at once.

Why the token is derived and not random: the database keeps only `sha256(token)`, so a
stolen dump holds no usable token, yet "asking again before expiry returns the same token"
(the course's contract) needs the plain token back. So the token is
`HMAC-SHA256(SECRET_KEY, "api-token:<user id>:<expiry>")`, as unguessable as a random one
without the secret key, and recomputable from the stored expiry. Asking again recomputes it
and checks it against the stored hash; if they differ (a database that rounded the expiry,
a changed SECRET_KEY) a fresh token is issued instead. Expiries carry microseconds, so a
token issued right after a revoke never equals the revoked one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import select

from microblog.extensions import db
from microblog.models import User
from microblog.models.base import utcnow

LIFETIME = timedelta(hours=1)
# A token about to expire is not handed out again: the client gets a fresh hour.
REISSUE_MARGIN = timedelta(seconds=60)


def _derive(user_id: int, expiration: datetime, secret: str | bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    message = f"api-token:{user_id}:{expiration.isoformat()}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def get_token(user: User, secret: str | bytes) -> str:
    """The user's current token if it has more than a minute left, else a new one."""
    now = utcnow()
    expiration = user.token_expiration
    if user.token_hash and expiration is not None and expiration > now + REISSUE_MARGIN:
        token = _derive(user.id, expiration, secret)
        if hmac.compare_digest(_hash(token), user.token_hash):
            return token
    expiration = now + LIFETIME
    token = _derive(user.id, expiration, secret)
    user.token_hash = _hash(token)
    user.token_expiration = expiration
    db.session.commit()
    return token


def check_token(token: str) -> User | None:
    """The user holding this unexpired, unrevoked token, or None."""
    user = db.session.scalar(select(User).where(User.token_hash == _hash(token)))
    if user is None or user.token_expiration is None or user.token_expiration <= utcnow():
        return None
    return user


def revoke(user: User) -> None:
    user.token_hash = None
    user.token_expiration = None
    db.session.commit()
