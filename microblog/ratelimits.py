"""Rate limits (Flask-Limiter), what they count by, and when a refused client may try again.

Views declare their limit with `@limiter.limit(setting("RATELIMIT_LOGIN"), ...)`: the value
is a setting, read from the app's configuration at each request, so every app (and every
test) has its own. Counters live in Redis when REDIS_URL is set, shared by every worker and
machine; otherwise in each process's memory. `RATELIMIT_ENABLED=false` (Flask-Limiter's own
setting) turns them off, and with them the per-account sign-in delays
(services/accounts.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, current_app
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import parse_many
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from microblog.extensions import limiter

# The limits views declare, each a setting (config.py, README).
SETTINGS = (
    "RATELIMIT_LOGIN",
    "RATELIMIT_API_TOKENS",
    "RATELIMIT_REGISTER",
    "RATELIMIT_RESET_REQUEST",
    "RATELIMIT_POST",
    "RATELIMIT_MESSAGE",
    "RATELIMIT_TRANSLATE",
    "RATELIMIT_SEARCH",
)


def setting(name: str) -> Callable[[], str]:
    """A limit ("10 per minute") read from the configuration when a request comes."""
    return lambda: current_app.config[name]


def by_account() -> str:
    """Signed-in actions count per account, since many readers can share one address (an
    office, a phone network); anonymous ones per client address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def retry_after(error: TooManyRequests) -> int:
    """Whole seconds (at least 1) until a refused client may send the request again."""
    if isinstance(error.retry_after, datetime):
        moment = error.retry_after.replace(tzinfo=error.retry_after.tzinfo or UTC)
        return max(1, math.ceil((moment - datetime.now(UTC)).total_seconds()))
    if error.retry_after is not None:
        return max(1, int(error.retry_after))
    if isinstance(error, RateLimitExceeded):
        breached = limiter.current_limit  # the limit that refused this request
        if breached is not None:
            return max(1, math.ceil(breached.window.reset_time - time.time()))
        return max(1, error.limit.limit.get_expiry())
    return 1


def init_app(app: Flask) -> None:
    for name in SETTINGS:
        # Flask-Limiter would log a limit it cannot read and skip it: fail at start instead.
        parse_many(app.config[name])
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter.init_app(app)
    if proxies := app.config.get("PROXY_COUNT", 0):
        # Behind that many proxies (deploy/nginx.conf sets X-Forwarded-For), the client's
        # address is the one they saw; with none trusted, a client could name any address
        # in that header and escape every limit.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
