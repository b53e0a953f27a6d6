"""Configuration, read only from environment variables (and a `.env` file)."""

import os
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
load_dotenv(ROOT / ".env")


def _bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{ROOT / 'microblog.db'}")
    # Heroku-style URLs and plain postgresql:// both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    # How new password hashes are made (a werkzeug `generate_password_hash` method). A hash
    # names its own method, so a check reads it from the hash: changing this locks no one out.
    # The tests use a cheap one; keep the slow default in production.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    SQLALCHEMY_DATABASE_URI = _database_url()
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Seconds a queued task (an export) waits for a worker before it is failed, so that the
    # user can start it again rather than wait for ever when no `rq worker` runs.
    TASK_QUEUE_TIMEOUT = int(os.environ.get("TASK_QUEUE_TIMEOUT", 300))
    POSTS_PER_PAGE = int(os.environ.get("POSTS_PER_PAGE", 25))
    LANGUAGES = ["en", "es"]
    # Live translation of posts (Microsoft Translator, API v3); no key: no "Translate" link.
    MS_TRANSLATOR_KEY = os.environ.get("MS_TRANSLATOR_KEY") or None
    MS_TRANSLATOR_REGION = os.environ.get("MS_TRANSLATOR_REGION") or None
    MS_TRANSLATOR_URL = os.environ.get(
        "MS_TRANSLATOR_URL", "https://api.cognitive.microsofttranslator.com"
    )
    # Rate limits (microblog/ratelimits.py), in Flask-Limiter's notation: "10 per minute",
    # several joined by ";". RATELIMIT_ENABLED is Flask-Limiter's own switch; off, it also
    # turns off the sign-in delays below.
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")
    RATELIMIT_API_TOKENS = os.environ.get("RATELIMIT_API_TOKENS", "10 per minute")
    RATELIMIT_REGISTER = os.environ.get("RATELIMIT_REGISTER", "10 per hour")
    RATELIMIT_RESET_REQUEST = os.environ.get("RATELIMIT_RESET_REQUEST", "5 per hour")
    RATELIMIT_POST = os.environ.get("RATELIMIT_POST", "30 per minute")
    RATELIMIT_MESSAGE = os.environ.get("RATELIMIT_MESSAGE", "30 per minute")
    RATELIMIT_TRANSLATE = os.environ.get("RATELIMIT_TRANSLATE", "20 per minute")
    RATELIMIT_SEARCH = os.environ.get("RATELIMIT_SEARCH", "60 per minute")
    # After this many failed sign-ins in a row an account's sign-in pauses: first for
    # LOGIN_DELAY_SECONDS, doubling with each further failure up to LOGIN_DELAY_MAX_SECONDS.
    LOGIN_FAILURES_ALLOWED = int(os.environ.get("LOGIN_FAILURES_ALLOWED", 5))
    LOGIN_DELAY_SECONDS = int(os.environ.get("LOGIN_DELAY_SECONDS", 5))
    LOGIN_DELAY_MAX_SECONDS = int(os.environ.get("LOGIN_DELAY_MAX_SECONDS", 900))
    # Proxies in front of the app whose X-Forwarded-For and -Proto are trusted (nginx: 1).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", 0))
    LOG_TO_STDOUT = _bool("LOG_TO_STDOUT")
    LOG_DIR = os.environ.get("LOG_DIR") or str(ROOT / "logs")

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "no-reply@microblog.example")
    ADMINS = [a.strip() for a in os.environ.get("ADMINS", "").split(",") if a.strip()]
    # The same error (type and place) is emailed to the admins once per this many seconds.
    ERROR_MAIL_INTERVAL_SECONDS = int(os.environ.get("ERROR_MAIL_INTERVAL_SECONDS", 600))

    # Pages live long without reloads: the CSRF token stays bound to the session.
    WTF_CSRF_TIME_LIMIT = None
    # The session cookie is rewritten only when it changes (not on every poll).
    SESSION_REFRESH_EACH_REQUEST = False
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False
    # Served over HTTPS only (as behind deploy/nginx.conf): the session and remember-me
    # cookies get the Secure flag, so a browser never sends them over plain HTTP.
    SECURE_COOKIES = _bool("SECURE_COOKIES")
    # "Last seen" is written at most this often per user.
    LAST_SEEN_INTERVAL_SECONDS = 60
    # Avatars (services/avatars.py): uploaded pictures are files under AVATAR_DIR, which
    # every app server must share (a volume); Gravatar is another site, so opt-in only.
    AVATAR_DIR = os.environ.get("AVATAR_DIR") or str(ROOT / "instance" / "avatars")
    AVATAR_MAX_BYTES = int(os.environ.get("AVATAR_MAX_BYTES", 4 * 1024 * 1024))
    AVATAR_GRAVATAR = _bool("AVATAR_GRAVATAR")
    # Any request's body; the profile form's may be bigger (views/users.py).
    MAX_CONTENT_LENGTH = 1024 * 1024
