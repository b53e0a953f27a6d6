"""Languages and dates: the locale follows the browser's Accept-Language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any

from babel import Locale, dates
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale, get_timezone, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from microblog.extensions import babel
from microblog.models.base import utcnow


def select_locale() -> str | None:
    if not has_request_context():  # background jobs: the default locale
        return None
    return request.accept_languages.best_match(current_app.config["LANGUAGES"])


def moment(value: datetime | None) -> Markup:
    """A <time> element: "3 minutes ago", with the exact UTC time on hover.

    It reads well without JavaScript; the machine-readable value is ISO 8601 UTC.
    A list page calls this once per row, so both halves are remembered: the opening
    tag per (value, locale, zone), the relative text per (locale, direction, unit, count).
    """
    if value is None:
        return Markup("")
    locale = get_locale()
    age = ager(locale, utcnow())(value)
    return Markup(_opening_tag(value, locale, get_timezone()) + age + "</time>")


@lru_cache(maxsize=4096)
def _opening_tag(value: datetime, locale: Locale, timezone: tzinfo) -> str:
    exact = dates.format_datetime(
        value.replace(tzinfo=UTC), "medium", tzinfo=timezone, locale=locale
    )  # flask_babel.format_datetime(value, "medium")
    return f'<time datetime="{value.replace(tzinfo=UTC).isoformat()}" title="{escape(exact)} UTC">'


# Per locale: (direction, unit, count) -> babel's text for it.
_AGES: dict[str, dict[tuple[bool, str, int], str]] = {}


def ager(locale: Locale, now: datetime) -> Callable[[datetime], str]:
    """A function giving a time's age as of `now` in `locale`: "3 minutes ago".

    The same text as flask_babel.format_timedelta(value - now, add_direction=True,
    granularity="second"). Babel's text depends only on the unit it picks, the rounded
    count and the direction; the same choice is made here (babel's own loop), and babel
    is asked once per key. A list asks for one `ager` and calls it per row.
    """
    texts = _AGES.setdefault(str(locale), {})

    def age(value: datetime) -> str:
        delta = value - now
        seconds = delta.days * 86400 + delta.seconds
        for unit, unit_seconds in dates.TIMEDELTA_UNITS:
            count = abs(seconds) / unit_seconds
            if count >= 0.85 or unit == "second":
                if unit == "second" and count > 0:
                    count = max(1, count)
                count = int(round(count))
                break
        key = (seconds >= 0, unit, count)
        text = texts.get(key)
        if text is None:
            if len(texts) > 10_000:
                texts.clear()
            relative = dates.format_timedelta(
                seconds, "second", threshold=0.85, add_direction=True, locale=locale
            )
            text = texts[key] = str(escape(relative))
        return text

    return age


def template_gettext() -> Callable[..., str]:
    """Jinja's `_()`/`gettext()`: the same text as flask_babel's, found in one lookup.

    flask_babel's callable asks for the request's translations per string (~5 µs) and
    Jinja's newstyle wrapper escapes and formats every answer (~6 µs); a page has 10-20.
    This one keeps the translations per locale (they are fixed for the process, as in
    flask_babel's own cache) and remembers each finished text without variables. It is
    also `_()` itself: Jinja's `_` is an alias that looks `gettext` up and calls it
    through the context a second time (~2.5 µs a string).
    """
    catalogs: dict[Locale | None, tuple[Any, dict[tuple[bool, str], str]]] = {}

    @pass_context
    def gettext(context: Context, string: str, /, **variables: Any) -> str:
        locale = get_locale()
        catalog = catalogs.get(locale)
        if catalog is None:
            catalog = catalogs[locale] = (get_translations(), {})
        translations, texts = catalog
        key = (context.eval_ctx.autoescape, string)
        if not variables and (text := texts.get(key)) is not None:
            return text
        text = translations.ugettext(string)
        if key[0]:
            text = Markup(text)
        text = text % variables  # newstyle gettext always formats ("%%" is "%")
        if not variables:
            texts[key] = text
        return text

    return gettext


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["gettext"] = app.jinja_env.globals["_"] = template_gettext()
    app.jinja_env.globals["moment"] = moment
    app.jinja_env.globals["get_locale"] = get_locale
