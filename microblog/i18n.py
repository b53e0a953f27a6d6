"""Languages and dates: the locale follows the browser's Accept-Language."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_datetime, format_timedelta, get_locale, get_timezone
from markupsafe import Markup

from microblog.extensions import babel
from microblog.models.base import utcnow


def select_locale() -> str | None:
    if not has_request_context():  # background jobs: the default locale
        return None
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def moment(value: datetime | None) -> Markup:
    """A <time> element: "3 minutes ago", with the exact time on hover.

    It reads well without JavaScript; the machine-readable value is ISO 8601 UTC, to the
    second (HTML's `datetime` allows at most three fractional digits). Stored times are
    naive UTC.
    """
    if value is None:
        return Markup("")
    stamp = value.replace(microsecond=0, tzinfo=UTC).isoformat()
    exact = f"{format_datetime(value, 'medium')} {get_timezone()}"
    age = format_timedelta(value - utcnow(), add_direction=True)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(stamp, exact, age)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["moment"] = moment
    app.jinja_env.globals["get_locale"] = get_locale
