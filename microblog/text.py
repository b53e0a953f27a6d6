"""User text as HTML: escaped, with its web links and mentions clickable and searched
words marked.

Posts and about-me are plain text. `render()` escapes every character of it and adds
only three kinds of markup of its own: `<a rel="nofollow ugc noopener">` around the web
addresses that linkify-it finds (http, https and bare `www.`/domain links; no mailto,
no other schemes), a link to the profile around `@name` for the users a post mentions
(services/mentions.py), and `<mark>` around the words a search looked for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from flask import Flask, url_for
from linkify_it import LinkifyIt
from markupsafe import Markup, escape

from microblog.services.mentions import MENTION

WORD = re.compile(r"\w+")
SCHEMES = ("http://", "https://")


@cache
def _linkify() -> LinkifyIt:
    return LinkifyIt().set({"fuzzy_email": False})


def fold(word: str) -> str:
    """A word as full-text search compares it: lower case, accents removed."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _mentioned(text: str, marks: frozenset[str], names: frozenset[str]) -> Markup:
    """`_marked`, with `@name` linked to the profile for each name in `names`."""
    if not names or "@" not in text:
        return _marked(text, marks)
    parts, start = [], 0
    for match in MENTION.finditer(text):
        name = match.group(1)
        if name not in names:
            name = name.rstrip(".-")
            if name not in names:
                continue
        end = match.start(1) + len(name)
        parts.append(_marked(text[start : match.start()], marks))
        parts.append(
            Markup('<a class="mention" href="{}">@{}</a>').format(
                url_for("users.user", username=name), _marked(name, marks)
            )
        )
        start = end
    parts.append(_marked(text[start:], marks))
    return Markup("").join(parts)


def _marked(text: str, marks: frozenset[str]) -> Markup:
    if not marks:
        return escape(text)
    parts, start = [], 0
    for word in WORD.finditer(text):
        if fold(word.group()) in marks:
            parts += [escape(text[start : word.start()]), Markup("<mark>")]
            parts += [escape(word.group()), Markup("</mark>")]
            start = word.end()
    parts.append(escape(text[start:]))
    return Markup("").join(parts)


def render(text: str | None, marks: Iterable[str] = (), mentions: str | None = None) -> Markup:
    """`text` escaped, its links clickable, the words in `marks` highlighted, and `@name`
    linked for each name in `mentions` (space-separated, as `Post.mentions` stores them)."""
    text = text or ""
    wanted = frozenset(fold(word) for word in marks)
    names = frozenset(mentions.split()) if mentions else frozenset()
    linkify = _linkify()
    links = linkify.match(text) if linkify.pretest(text) else None
    parts, start = [], 0
    for link in links or ():
        if not link.url.lower().startswith(SCHEMES):
            continue
        parts.append(_mentioned(text[start : link.index], wanted, names))
        parts.append(
            Markup('<a href="{}" rel="nofollow ugc noopener">{}</a>').format(
                link.url, _marked(link.raw, wanted)
            )
        )
        start = link.last_index
    parts.append(_mentioned(text[start:], wanted, names))
    return Markup("").join(parts)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["user_text"] = render
