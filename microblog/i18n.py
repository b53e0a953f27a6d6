"""Languages and dates: the locale follows the browser's Accept-Language, times are shown
in the reader's own time zone (a profile setting)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, dates
from flask import Flask, current_app, has_request_context, request
from flask_babel import format_timedelta, get_locale, get_timezone
from flask_login import current_user
from markupsafe import Markup, escape

from microblog.extensions import babel
from microblog.models.base import utcnow


def select_locale() -> str | None:
    if not has_request_context():  # background jobs: the default locale
        return None
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


# Areas of the IANA database that name places; Etc/GMT+5 and the legacy aliases (US/...,
# CET) only confuse a list of choices.
REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


@cache
def time_zones() -> tuple[str, ...]:
    """The zones a reader may choose, UTC first: read once, the database is on disk."""
    places = (name for name in available_timezones() if name.split("/")[0] in REGIONS)
    return ("UTC", *sorted(places))


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # gone from a newer tz database
        return None


def select_timezone() -> ZoneInfo | None:
    """The signed-in reader's zone (None: UTC, Flask-Babel's default). A ZoneInfo rather
    than a name, which Flask-Babel would look up in pytz's copy of the database."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return _zone(current_user.timezone)


def moment(value: datetime | None) -> Markup:
    """A <time> element: "3 minutes ago", with the exact time on hover.

    It reads well without JavaScript; the machine-readable value is ISO 8601 UTC, to the
    second (HTML's `datetime` allows at most three fractional digits). Stored times are
    naive UTC.
    """
    if value is None:
        return Markup("")
    age = format_timedelta(value - utcnow(), add_direction=True)
    return _time_tag(value, get_locale(), get_timezone()) + escape(age) + Markup("</time>")


@lru_cache(maxsize=8192)
def _time_tag(value: datetime, locale: Locale, zone: tzinfo) -> Markup:
    """The opening <time> tag: the ISO value, and the exact time in the reader's zone.

    A pure function of its arguments, remembered: a list page shows 25 of them, and the
    same posts are read by many readers. Babel formats it; only the answer is kept.
    """
    stamp = value.replace(microsecond=0, tzinfo=UTC).isoformat()
    exact = dates.format_datetime(value, "medium", tzinfo=zone, locale=locale)
    return Markup('<time datetime="{}" title="{} {}">').format(stamp, exact, zone)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals["moment"] = moment
    app.jinja_env.globals["get_locale"] = get_locale
